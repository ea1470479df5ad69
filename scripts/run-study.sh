#!/bin/bash
# The standard study behind docs/reproduction.md: every method × seeds 0, 1, 2 with one budget (demo preset,
# batch 64, 20,000 world images, M = 10), held-out benchmarks with paired-bootstrap intervals; about 2.5 h on 2
# idle cores. Rerunning continues an interrupted study. OUT picks the folder (default runs/study); extra
# arguments go to `powerclip study` (e.g. --methods CLIP,PowerCLIP-S). Writes OUT/report.html, results.json,
# results.md, and OUT/info.txt and OUT/study.log beside them.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-runs/study}
mkdir -p "$out"
./powerclip info | tee "$out/info.txt"
POWERCLIP_NO_BUILD=1 ./powerclip study --budget standard --out "$out" --threads 2 "$@" 2>&1 | tee -a "$out/study.log"
