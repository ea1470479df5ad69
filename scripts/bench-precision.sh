#!/usr/bin/env bash
# bf16 autocast and activation checkpointing on this CPU (docs/performance.md, "Mixed precision" and
# "Activation checkpointing"): one fresh process per configuration (the memory probe needs one), configurations
# alternated REPEATS times; each prints the step time (3 steps, the first also measured for memory), the peak of
# malloc's bytes in use and of the resident set against the memory model, and a float32/bfloat16 1024² matmul.
# Usage: scripts/bench-precision.sh [REPEATS] [PRESET] [BATCH] [THREADS]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
repeats=${1:-3}; preset=${2:-small}; batch=${3:-128}; threads=${4:-1}
dotnet build PowerClip.Cli/PowerClip.Cli.csproj -c Release -nologo -v q -clp:ErrorsOnly >/dev/null
grep -o -m1 'avx512_bf16' /proc/cpuinfo >/dev/null && echo "CPU flag avx512_bf16: present" || echo "CPU flag avx512_bf16: absent"
echo "load average $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq "$repeats"); do
  for config in "--precision fp32" "--precision bf16" "--precision fp32 --grad-checkpointing" "--precision bf16 --grad-checkpointing"; do
    echo "== $preset batch $batch $config (repeat $r)"
    # shellcheck disable=SC2086
    POWERCLIP_NO_BUILD=1 ./powerclip bench memory --preset "$preset" --batch-size "$batch" $config --measure --device cpu \
      --threads "$threads" | grep -E '^(matmul|measured|  )'
  done
done
