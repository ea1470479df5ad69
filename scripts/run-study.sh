#!/bin/bash
# The standard study behind docs/reproduction.md: every method × seeds 0, 1, 2 with one budget (demo preset,
# batch 64, 20,000 world images, M = 10), held-out benchmarks with paired-bootstrap intervals; 1 h 42 min on 2
# cores with WORKERS=2. Rerunning continues an interrupted study. OUT picks the folder (default runs/study);
# extra arguments go to `powerclip study` (e.g. --methods CLIP,PowerCLIP-S; with WORKERS=2, e.g. --seeds or
# --steps). Writes OUT/report.html, results.json, results.md, and OUT/info.txt and OUT/study.log beside them.
#
# WORKERS=2 (how docs/reproduction.md's run was made): two processes with one libtorch thread each, every one
# training its half of the methods, method by method, from its own folder (OUT/worker-1, OUT/worker-2, whose runs/
# is a link to OUT/runs, so every arm lands in OUT/runs and a rerun finds it there; a method whose process is
# stopped by TorchSharp's Scalar race is rerun up to 3 times, which resumes it); then one study invocation over
# all methods reuses every arm and writes the table. The demo model's small matrices gain little from a second
# thread.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-runs/study}
workers=${WORKERS:-1}
mkdir -p "$out"
./powerclip info | tee "$out/info.txt"
study() { POWERCLIP_NO_BUILD=1 ./powerclip study --budget standard "$@"; }
if [ "$workers" = 1 ]; then
  study --out "$out" --threads 2 "$@" 2>&1 | tee -a "$out/study.log"
  exit
fi
[ "$workers" = 2 ] || { echo "run-study: WORKERS must be 1 or 2, got $workers" >&2; exit 2; }
# Halves of about equal cost (CPU seconds per step, docs/reproduction.md "Budget"), cheapest-to-decide first.
half1=("CLIP" "PowerCLIP-S" "w/o syntax tree" "w/o T2R" "FLIP" "A-CLIP" "FILIP")
half2=("CLIP-PGS" "PowerCLIP-R" "w/o region subsets" "w/o R2T" "w/o triplet" "SPARC" "E-CLIP")
extra=("$@")
worker() {
  local dir=$1; shift
  for m in "$@"; do
    for try in 1 2 3; do
      study --out "$dir" --threads 1 --methods "$m" "${extra[@]}" && break
      echo "run-study: '$m' stopped (try $try); rerunning resumes it"
    done
  done
}
# The halves' method lists are disjoint, so the two processes never write the same arm folder.
mkdir -p "$out/runs" "$out/worker-1" "$out/worker-2"
for w in worker-1 worker-2; do [ -e "$out/$w/runs" ] || ln -s ../runs "$out/$w/runs"; done
worker "$out/worker-1" "${half1[@]}" >>"$out/worker-1.log" 2>&1 &
worker "$out/worker-2" "${half2[@]}" >>"$out/worker-2.log" 2>&1 &
wait
[ -d "$out/benchmarks" ] || cp -r "$out/worker-1/benchmarks" "$out/benchmarks"
study --out "$out" --threads 1 "$@" 2>&1 | tee -a "$out/study.log"
