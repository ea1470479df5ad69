#!/bin/bash
# The quick-budget runs behind docs/demo.md's score-scale table: CLIP, PowerCLIP with the literal S̄ (sum) and
# with S̄ / M (region-mean, the default). Prints step 0 and step 39 of each run. OUT picks the folder.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-/tmp/score-scale}
mkdir -p "$out"
./powerclip info > /dev/null   # builds once
common=(--model demo --steps 40 --batch-size 32 --world-samples 1200 --warmup 4 --checkpoint-every 10 --threads 1)
run() {
    local name=$1; shift
    rm -rf "${out:?}/$name"
    POWERCLIP_NO_BUILD=1 ./powerclip train --out "$out/$name" "${common[@]}" "$@" > "$out/$name.log" 2>&1
    python3 - "$out/$name/metrics.jsonl" "$name" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
f = lambda r, k: f"{r[k]:.3f}" if k in r else "-"
print(f"{sys.argv[2]:<12} grad_norm@0 {f(rows[0], 'grad_norm'):>8}  clip@0 {f(rows[0], 'clip')}  "
      f"clip@{rows[-1]['step']} {f(rows[-1], 'clip')}  triplet@{rows[-1]['step']} {f(rows[-1], 'triplet')}")
PY
}
run clip --loss clip
run sum --loss powerclip --score-scale sum
run sum-noclip --loss powerclip --score-scale sum --grad-clip 0
run mean --loss powerclip
run mean-l005 --loss powerclip --lambda 0.05 --delta 0.5
