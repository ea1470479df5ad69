#!/usr/bin/env bash
# Time to the first step after `--resume` at steps 100, 1,000 and 10,000 of a run on WebDataset shards
# (docs/training.md), with the saved data position and — for comparison — by replaying the data as a
# checkpoint without a position (written by an older powerclip) makes `powerclip train` do.
#
# What it does:
#  1. writes 4,000 synthetic-world samples (32 px) into 8 shards of 500 (`powerclip data world`);
#  2. trains the tiny model (clip loss, batch 16, shuffle buffer 1,000, one thread) for 100 steps, keeping that
#     checkpoint: real weights, optimizer state and data position;
#  3. for N = 100, 1,000, 10,000 builds a run folder whose checkpoint is step 100's with the trainer state's step
#     set to N and the data position after N × 16 samples, computed by scripts/resume-position.fsx from the raw
#     records (no training of N steps: the time to the first step depends on where the data stands, not on the
#     weights); the manifest is rewritten. For N = 100 the computed position must equal the trained one;
#  4. resumes each folder REPEATS times (`powerclip train --resume latest`) and takes the time from launch to the
#     first metrics line of step N, then kills the run; prints the median. The replay column removes
#     data-position.json and manifest.json first (REPLAY="100 1000" by default; add 10000 for the slow one).
# usage: scripts/resume-time.sh [WORK_DIR]      env: REPEATS (3), REPLAY ("100 1000"), POWERCLIP (launcher)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=${1:-$(mktemp -d)}
repeats=${REPEATS:-3}
replay=${REPLAY:-100 1000}
launcher=${POWERCLIP:-$root/powerclip}
"$launcher" --help >/dev/null # builds once
pc() { POWERCLIP_NO_BUILD=1 "$launcher" "$@"; }
mkdir -p "$work"
batch=16 seed=3 buffer=1000
pattern="$work/shards/train-{00000..00007}.tar"
[ -f "$work/shards/train-00007.tar" ] || pc data world --out "$work/shards" --count 4000 --per-shard 500 --image-size 32 --patch-size 8 --seed 1 >/dev/null
cat > "$work/config.json" <<JSON
{ "model": "tiny", "loss": "clip", "data": "wds:$pattern", "batch_size": $batch, "shuffle_buffer": $buffer,
  "optimizer": { "steps": 20000, "warmup_steps": 10, "checkpoint_every": 100, "seed": $seed } }
JSON
if [ ! -d "$work/trained/checkpoints/step-0000100" ]; then
  rm -rf "$work/trained"
  (exec env POWERCLIP_NO_BUILD=1 "$launcher" train --out "$work/trained" --config "$work/config.json" --device cpu --threads 1 >/dev/null 2>&1) &
  pid=$!
  while ! grep -qs step-0000100 "$work/trained/checkpoints/latest"; do sleep 0.2; done
  kill -9 $pid; wait $pid 2>/dev/null || true
fi
template="$work/trained/checkpoints/step-0000100"

position() { dotnet fsi "$root/scripts/resume-position.fsx" "$pattern" $seed $buffer $(( $1 * batch )) 2>/dev/null; }
if [ "$(position 100)" = "$(cat "$template/data-position.json")" ]; then echo "computed position at step 100 = the trained run's: yes"
else echo "computed position at step 100 differs from the trained run's: the fake checkpoints would be wrong"; exit 1; fi

# make_run N DIR [replay]: DIR holds config.json and checkpoints/step-N (a copy of step 100's, moved to step N).
make_run() {
  local n=$1 dir=$2 name; name=$(printf "step-%07d" "$n")
  rm -rf "$dir"; mkdir -p "$dir/checkpoints"
  cp "$work/trained/config.json" "$dir/config.json"
  cp -r "$template" "$dir/checkpoints/$name"
  echo "$name" > "$dir/checkpoints/latest"
  python3 - "$dir/checkpoints/$name" "$n" <<'PY'
import json, sys
d, n = sys.argv[1], int(sys.argv[2])
s = json.load(open(f"{d}/trainer-state.json")); s["Step"] = n; json.dump(s, open(f"{d}/trainer-state.json", "w"), indent=2)
PY
  position "$n" > "$dir/checkpoints/$name/data-position.json"
  python3 - "$dir/checkpoints/$name" "$n" <<'PY'
import hashlib, json, os, sys
d, n = sys.argv[1], int(sys.argv[2])
files = [{"name": f, "bytes": os.path.getsize(os.path.join(d, f)), "sha256": hashlib.sha256(open(os.path.join(d, f), "rb").read()).hexdigest()}
         for f in sorted(os.listdir(d)) if f != "manifest.json"]
json.dump({"format": 1, "step": n, "files": files}, open(os.path.join(d, "manifest.json"), "w"), indent=2)
PY
  if [ "${3:-}" = replay ]; then rm "$dir/checkpoints/$name/data-position.json" "$dir/checkpoints/$name/manifest.json"; fi
}

# first_step N DIR: seconds from launching the resume to the first logged step (N), median of $repeats.
first_step() {
  local n=$1 dir=$2 times=()
  for _ in $(seq "$repeats"); do
    local start; start=$(date +%s.%N)
    (exec env POWERCLIP_NO_BUILD=1 "$launcher" train --out "$dir" --resume latest --device cpu >/dev/null 2>&1) &
    local pid=$!
    while ! grep -qs "\"step\":$n," "$dir/metrics.jsonl"; do
      kill -0 $pid 2>/dev/null || { echo "resume at $n exited early" >&2; return 1; }
      sleep 0.02
    done
    times+=("$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f", b - a }')")
    kill -9 $pid; wait $pid 2>/dev/null || true
    rm -f "$dir/metrics.jsonl"
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {print (NR % 2 ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2)}'
}

echo "| resumed at step | samples before it | first step, saved position (s) | first step, replay (s) |"
echo "|---:|---:|---:|---:|"
for n in 100 1000 10000; do
  make_run "$n" "$work/at-$n"
  saved=$(first_step "$n" "$work/at-$n")
  replayed="—"
  if [[ " $replay " == *" $n "* ]]; then make_run "$n" "$work/replay-$n" replay; replayed=$(first_step "$n" "$work/replay-$n"); fi
  echo "| $n | $(( n * batch )) | $saved | $replayed |"
done
