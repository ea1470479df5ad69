#!/usr/bin/env bash
# The input pipeline at 224 px (docs/performance.md, "A data pipeline that scales"): writes COUNT synthetic-world
# samples at 224 px (patch 16) as WebDataset shards once, then reads, decodes, resizes, tokenizes and aligns trees
# with 1 and 2 worker threads (`powerclip data check --threads N`), alternated REPEATS times; prints samples/s.
# With a run folder as third argument it also prints the median and maximum data_wait_s of its metrics.jsonl.
# Usage: scripts/bench-data.sh [REPEATS] [COUNT] [RUN_DIR ...]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
repeats=${1:-3}; count=${2:-1000}; shift $(( $# < 2 ? $# : 2 ))
dotnet build PowerClip.Cli/PowerClip.Cli.csproj -c Release -nologo -v q -clp:ErrorsOnly >/dev/null
data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT
POWERCLIP_NO_BUILD=1 ./powerclip data world --out "$data" --count "$count" >/dev/null
shards=$(ls "$data"/*.tar | head -1 | sed 's/-[0-9]*\.tar$//')
last=$(ls "$data"/*.tar | wc -l)
pattern="$shards-{00000..$(printf '%05d' $((last - 1)))}.tar"
echo "load average $(cut -d' ' -f1-3 /proc/loadavg); $(nproc) cores; $count samples at 224 px in $last shard(s)"
for r in $(seq "$repeats"); do
  for t in 1 2; do
    POWERCLIP_NO_BUILD=1 ./powerclip data check --shards "$pattern" --threads "$t" 2>/dev/null | sed "s/^/threads $t: /"
  done
done
for run in "$@"; do
  python3 - "$run" <<'PY'
import json, statistics, sys, pathlib
run = pathlib.Path(sys.argv[1])
waits = [json.loads(l)["data_wait_s"] for l in (run / "metrics.jsonl").read_text().splitlines() if "data_wait_s" in l]
print(f"{run}: data_wait_s over {len(waits)} steps: median {statistics.median(waits) * 1e3:.3f} ms, max {max(waits) * 1e3:.3f} ms")
PY
done
