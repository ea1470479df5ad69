#!/bin/bash
# What one arm of the standard study (`powerclip study --budget standard`) costs, per method, measured so that it
# can be scaled: CPU seconds of the process (user + sys), which depend far less on what else the machine runs than
# wall time does. For each implemented method, `powerclip train` runs the standard arm's settings (demo preset,
# batch 64, M = 10) for SHORT and LONG steps, REPEATS times, methods interleaved; per-step CPU = the slope, fixed
# CPU (start-up, model, data) = the intercept. One standard-budget study arm (CLIP, SHORT steps, 20,000 world
# samples, 500 benchmark items) gives the fixed cost of the real data preparation and the evaluation's CPU.
# One thread by default: on a loaded machine libtorch's second thread spin-waits for the first and inflates CPU
# time several-fold (measured here: tiny preset, 12 steps, 1.6 CPU-s with 1 thread, 9.5 with 2); the projection's
# anchor (an idle 2-thread run) converts single-thread CPU seconds to idle wall time.
# scripts/study-cost.py then projects the study's wall time for a step count (see docs/reproduction.md).
#   scripts/study-cost.sh [OUT]   (SHORT=10 LONG=50 REPEATS=2 THREADS=1 by default)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-runs/study-cost}
short=${SHORT:-10}; long=${LONG:-50}; repeats=${REPEATS:-2}; threads=${THREADS:-1}
mkdir -p "$out/runs"
./powerclip info > /dev/null   # builds once
methods=$(python3 scripts/study-cost.py --list-methods)
: > "$out/train.tsv"
for rep in $(seq 1 "$repeats"); do
  for steps in "$short" "$long"; do
    for m in $methods; do   # m = loss:region-source
      loss=${m%%:*}; source=${m##*:}; name="$m-$steps-$rep"; name=${name//:/-}
      rm -rf "${out:?}/runs/$name"
      /usr/bin/time -f "%e %U %S" -o "$out/time.txt" env POWERCLIP_NO_BUILD=1 ./powerclip train \
        --out "$out/runs/$name" --model demo --batch-size 64 --regions 10 --world-samples 640 --warmup 1 \
        --checkpoint-every "$steps" --steps "$steps" --loss "$loss" --region-source "$source" \
        --threads "$threads" --device cpu > "$out/runs/$name.log" 2>&1
      read -r wall user sys < "$out/time.txt"
      printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$m" "$steps" "$rep" "$wall" "$user" "$sys" | tee -a "$out/train.tsv"
    done
  done
done
# One real standard arm: the 20,000-sample data preparation and the evaluation (its results.json records CPU seconds).
rm -rf "${out:?}/study"
POWERCLIP_NO_BUILD=1 ./powerclip study --budget standard --methods CLIP --seeds 0 --steps "$short" --out "$out/study" \
  --threads "$threads" --device cpu > "$out/study.log" 2>&1
python3 scripts/study-cost.py "$out/train.tsv" "$out/study/results.json"
