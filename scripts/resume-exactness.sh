#!/usr/bin/env bash
# Kill-and-resume exactness (docs/training.md): for each case, one unbroken `powerclip train` run and one run
# that is SIGKILLed right after each of the given checkpoints (the `latest` pointer names it) and resumed with
# `--resume latest` — no --threads on resume, so the checkpoint's thread count is used. Prints, per case, the
# number of logged steps whose loss differs and whether the final weights and optimizer state are byte-identical.
#
# usage: scripts/resume-exactness.sh [WORK_DIR]        env: LOSSES (default: clip flip filip sparc powerclip), CASES
# cases: recipe  — issue 15's measurement: 2000 world samples, batch 16, 200 steps, checkpoint every 20, kill after 40
#        long    — 3000 world samples, batch 16, 1000 steps (5.3 epochs), checkpoint every 50, kills after 150, 500, 850
#        wds     — 1000 samples in 10 WebDataset shards, shuffle buffer 200, batch 16, 300 steps (4.8 epochs), kills after 60, 170
#        augment — the streamed world with augmentation, 800 samples, batch 16, 150 steps (3 epochs), kills after 30, 90
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
work=${1:-$(mktemp -d)}
mkdir -p "$work"
# POWERCLIP: the launcher (default: the repository's ./powerclip, built once here)
launcher=${POWERCLIP:-$root/powerclip}
POWERCLIP_NO_BUILD=${POWERCLIP_NO_BUILD:-0} "$launcher" --help >/dev/null || exit 1
pc() { POWERCLIP_NO_BUILD=1 "$launcher" "$@"; }
losses=${LOSSES:-clip flip filip sparc powerclip}
cases=${CASES:-recipe long wds augment}

# train_killed OUT "K1 K2 …" ARGS…: start, SIGKILL once `latest` names step-K1, resume, … , then resume to the end.
train_killed() {
  local out=$1 kills=$2; shift 2
  rm -rf "$out"
  local first=1
  for k in $kills; do
    local ck; ck=$(printf "step-%07d" "$k")
    # exec: $! is then the training process itself (powerclip execs dotnet), so SIGKILL hits it
    if [ $first = 1 ]; then (exec env POWERCLIP_NO_BUILD=1 "$launcher" train --out "$out" "$@" >/dev/null 2>&1) &
    else (exec env POWERCLIP_NO_BUILD=1 "$launcher" train --out "$out" --resume latest >/dev/null 2>&1) & fi
    local pid=$!
    while ! grep -qs "$ck" "$out/checkpoints/latest" && kill -0 $pid 2>/dev/null; do sleep 0.01; done
    kill -9 $pid 2>/dev/null; wait $pid 2>/dev/null
    first=0
  done
  pc train --out "$out" --resume latest 2>&1 | grep -E "warning|resuming" | sed 's/^/    /'
}

compare() { # compare A B: differing losses, final weights and optimizer state
  python3 - "$1" "$2" <<'PY'
import json, sys, os, filecmp
def losses(run): return {j["step"]: j["loss"] for j in map(json.loads, open(os.path.join(run, "metrics.jsonl")))}
a, b = losses(sys.argv[1]), losses(sys.argv[2])
diff = [s for s in a if a[s] != b.get(s)]
def final(run, f):
    ck = os.path.join(run, "checkpoints", open(os.path.join(run, "checkpoints", "latest")).read().strip(), f)
    return ck
w = filecmp.cmp(final(sys.argv[1], "model.safetensors"), final(sys.argv[2], "model.safetensors"), shallow=False)
o = filecmp.cmp(final(sys.argv[1], "optimizer.bin"), final(sys.argv[2], "optimizer.bin"), shallow=False)
print(f"steps {len(a)}/{len(b)}, losses differing: {len(diff)}" + (f" (first at step {diff[0]})" if diff else "") +
      f", final weights identical: {w}, optimizer state identical: {o}")
PY
}

if [[ " $cases " == *" wds "* ]] && [ ! -f "$work/shards/train-00009.tar" ]; then
  pc data world --out "$work/shards" --count 1000 --per-shard 100 --image-size 32 --patch-size 8 --seed 4 >/dev/null
fi
for c in $cases; do
  case $c in
    recipe)  kills="40";          args=(--world-samples 2000 --batch-size 16 --steps 200 --checkpoint-every 20 --seed 3) ;;
    long)    kills="150 500 850"; args=(--world-samples 3000 --batch-size 16 --steps 1000 --checkpoint-every 50 --seed 5) ;;
    wds)     kills="60 170"
             printf '{"data": "wds:%s", "shuffle_buffer": 200}\n' "$work/shards/train-{00000..00009}.tar" > "$work/wds.json"
             args=(--config "$work/wds.json" --batch-size 16 --steps 300 --checkpoint-every 10 --seed 6) ;;
    augment) kills="30 90";       args=(--world-samples 800 --augment true --batch-size 16 --steps 150 --checkpoint-every 10 --seed 7) ;;
    *) echo "unknown case $c"; exit 2 ;;
  esac
  for loss in $losses; do
    echo "== $c $loss (kills after ${kills// /, })"
    common=(--model tiny --loss "$loss" "${args[@]}" --device cpu --threads 1)
    rm -rf "$work/$c-$loss-whole"
    pc train --out "$work/$c-$loss-whole" "${common[@]}" >/dev/null 2>&1 || { echo "  unbroken run failed"; continue; }
    train_killed "$work/$c-$loss-killed" "$kills" "${common[@]}"
    echo "  $(compare "$work/$c-$loss-whole" "$work/$c-$loss-killed")"
    # KEEP_RUNS=1 keeps the checkpoints (60 MB a run); the metrics stay either way.
    [ "${KEEP_RUNS:-0}" = 1 ] || rm -rf "$work/$c-$loss-whole/checkpoints" "$work/$c-$loss-killed/checkpoints"
  done
done
