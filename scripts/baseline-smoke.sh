#!/bin/bash
# Smoke check of the baselines (not a comparison — `powerclip study` compares): CLIP, E-CLIP, CLIP-PGS and A-CLIP
# (LOSSES picks others, e.g. "clip flip sparc e-clip clip-pgs a-clip"), each STEPS (200) steps of the tiny preset with
# one batch, seed and schedule. Prints per run the mean total loss and mean CLIP part over the first and last 20
# steps, the non-finite steps, the training time the run logged, and for E-CLIP/CLIP-PGS the mean number of visible
# patches (of 16). OUT picks the folder, THREADS the threads.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-/tmp/baseline-smoke}
steps=${STEPS:-200}
threads=${THREADS:-2}
mkdir -p "$out"
./powerclip info > /dev/null   # builds once
common=(--model tiny --steps "$steps" --batch-size 32 --world-samples 2000 --warmup 20 --seed 1 --checkpoint-every "$steps" --threads "$threads")
printf '%-9s %12s %12s %12s %12s %9s %8s %8s\n' loss "total first" "total last" "clip first" "clip last" non-finite "train s" visible
for loss in ${LOSSES:-clip e-clip clip-pgs a-clip}; do
    rm -rf "${out:?}/$loss"
    POWERCLIP_NO_BUILD=1 ./powerclip train --out "$out/$loss" --loss "$loss" "${common[@]}" > "$out/$loss.log" 2>&1 || true
    python3 - "$out/$loss/metrics.jsonl" "$loss" <<'PY'
import json, math, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
mean = lambda rs, k: sum(r[k] for r in rs) / len(rs) if rs and all(k in r for r in rs) else float("nan")
first, last = rows[:20], rows[-20:]
bad = sum(1 for r in rows if not math.isfinite(r["loss"]))
vis = f"{mean(rows, 'visible_patches'):.2f}" if "visible_patches" in rows[0] else "-"
print(f"{sys.argv[2]:<9} {mean(first, 'loss'):12.4f} {mean(last, 'loss'):12.4f} {mean(first, 'clip'):12.4f} "
      f"{mean(last, 'clip'):12.4f} {bad:9d} {rows[-1]['time_s']:8.1f} {vis:>8}  ({len(rows)} steps)")
PY
done
