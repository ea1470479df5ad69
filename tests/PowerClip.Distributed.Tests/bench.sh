#!/usr/bin/env bash
# Measurements for docs/performance.md (not part of the test run): samples/s of 1 process × 2 threads
# against 2 processes × 1 thread at the same global batch, and the time of one gradient all-reduce as
# the parameter count grows. Usage: tests/PowerClip.Distributed.Tests/bench.sh [REPEATS]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
repeats=${1:-2}
dotnet build tests/PowerClip.Distributed.Tests/PowerClip.Distributed.Tests.fsproj -c Release -nologo -v q -clp:ErrorsOnly >/dev/null
scripts/ensure-tools.sh mpiexec.mpich=mpich
dll=tests/PowerClip.Distributed.Tests/bin/Release/net10.0/PowerClip.Distributed.Tests.dll
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
global=256
for hidden in 256 2048; do
  for loss in clip powerclip; do
    for r in $(seq "$repeats"); do
      common=(--steps 30 --hidden "$hidden" --dim 128 --loss "$loss" --dtype f32)
      dotnet "$dll" worker bench --run "$tmp/s$hidden$loss$r" --per-rank $global --threads 2 "${common[@]}" --distributed none | grep '^bench'
      mpiexec.mpich -n 2 dotnet "$dll" worker bench --run "$tmp/m$hidden$loss$r" --per-rank $((global / 2)) --threads 1 "${common[@]}" --distributed mpi 2>/dev/null | grep '^bench'
    done
  done
done
mpiexec.mpich -n 2 dotnet "$dll" worker allreduce --sizes 1e3,1e4,1e5,1e6,1e7,3e7 --reps 9 --distributed mpi 2>/dev/null | grep '^allreduce'
