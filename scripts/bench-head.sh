#!/usr/bin/env bash
# The PowerCLIP loss head per rank at K = 1, 2, 4 ranks with local and global negatives (docs/performance.md,
# "The loss head split across ranks"): a global batch of GLOBAL pairs (default 512) split K ways; per rank the
# time of the objective's forward + backward (median of 5) and the peak growth of malloc's bytes in use. One
# libtorch thread per rank; on a machine with fewer cores than ranks the ranks share cores (say so when quoting).
# Usage: scripts/bench-head.sh [REPEATS] [GLOBAL]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
repeats=${1:-3}
global=${2:-512}
dotnet build tests/PowerClip.Distributed.Tests/PowerClip.Distributed.Tests.fsproj -c Release -nologo -v q -clp:ErrorsOnly >/dev/null
scripts/ensure-tools.sh mpiexec.mpich=mpich
dll=tests/PowerClip.Distributed.Tests/bin/Release/net10.0/PowerClip.Distributed.Tests.dll
echo "load average $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores"
for r in $(seq "$repeats"); do
  for k in 1 2 4; do
    for negatives in local global; do
      [ "$k" = 1 ] && [ "$negatives" = global ] && continue   # one process: the same computation
      mpiexec.mpich -n "$k" dotnet "$dll" worker head --global "$global" --negatives "$negatives" --reps 5 --distributed mpi 2>/dev/null | grep '^head'
    done
  done
done
