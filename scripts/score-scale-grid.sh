#!/usr/bin/env bash
# Which score scales train at the demo's scale: the literal S̄ (--score-scale sum) against S̄/M (region-mean, the
# default) over δ ∈ {0.05, 0.2, 1} × λ ∈ {0.02, 0.2} × 3 seeds, with the demo's budget (`--model demo
# --batch-size 64 --world-samples 20000 --steps 4000`, warm-up steps/10, lr 1e-3, masks). Each run is evaluated
# zero-shot on the demo's held-out export (the same files `powerclip demo` writes). Finished runs are reused
# (a run folder with `done`); unfinished ones resume from their latest checkpoint. Ends with a Markdown table
# (also in $OUT/summary.md): per configuration the final CLIP-part loss (mean over the last 10% of steps) and
# zero-shot top-1, mean and per seed, and whether it trains; then the zero-shot differences paired by seed (literal
# minus region-mean at the same λ and δ, and literal minus the default) with t-intervals over the seeds.
#
# 2 scales × 3 δ × 2 λ × 3 seeds = 36 runs; measured with two one-thread processes side by side (disjoint SCALES,
# LAMBDAS, DELTAS, SEEDS, same OUT) on 2 cores: about 7.8 min per run and process, so the grid takes about 2 h 20 min.
# Everything is overridable for a smoke test, e.g.
#   OUT=/tmp/grid STEPS=6 BATCH=8 WORLD=64 ITEMS=20 PER_CLASS=1 DELTAS=0.2 LAMBDAS=0.2 SEEDS=0 \
#       scripts/score-scale-grid.sh
set -euo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-runs/score-scale-grid}
steps=${STEPS:-4000}; batch=${BATCH:-64}; world=${WORLD:-20000}
items=${ITEMS:-500}; per_class=${PER_CLASS:-8}
scales=${SCALES:-"sum region-mean"}; deltas=${DELTAS:-"0.05 0.2 1"}
lambdas=${LAMBDAS:-"0.02 0.2"}; seeds=${SEEDS:-"0 1 2"}
threads=${THREADS:-$(nproc)}
mkdir -p "$out/runs"
./powerclip info > /dev/null   # builds once; the runs below skip the build
export POWERCLIP_NO_BUILD=1

# The demo's held-out export: demo preset images (48 px, patch 8), world seed 0, 500 items, 8 images per class.
bench=$out/benchmarks
if [ ! -f "$bench/.complete" ]; then
    rm -rf "$bench"
    ./powerclip data export-benchmarks --out "$bench" --count "$items" --per-class "$per_class" \
        --image-size 48 --patch-size 8 > "$out/export.log"
    touch "$bench/.complete"
fi

for scale in $scales; do for lambda in $lambdas; do for delta in $deltas; do for seed in $seeds; do
    run=$out/runs/$scale-lambda$lambda-delta$delta-seed$seed
    [ -f "$run/done" ] && continue
    if [ -f "$run/config.json" ]; then
        ./powerclip train --out "$run" --resume latest --threads "$threads" >> "$run.log" 2>&1
    else
        ./powerclip train --out "$run" --model demo --loss powerclip --data world --region-source masks \
            --batch-size "$batch" --world-samples "$world" --steps "$steps" \
            --warmup $(( steps / 10 > 0 ? steps / 10 : 1 )) \
            --lr 1e-3 --checkpoint-every $(( steps / 4 > 0 ? steps / 4 : 1 )) --seed "$seed" \
            --score-scale "$scale" --lambda "$lambda" --delta "$delta" --threads "$threads" > "$run.log" 2>&1
    fi
    ./powerclip eval zeroshot --data "$bench/zeroshot" --checkpoint "$run" --out "$run/zeroshot.json" \
        --threads "$threads" >> "$run.log" 2>&1
    touch "$run/done"
    echo "finished $run"
done; done; done; done

python3 - "$out" "$batch" <<'PY' | tee "$out/summary.md"
import json, math, os, re, statistics as st, sys
out, batch = sys.argv[1], int(sys.argv[2])
runs = {}
for name in sorted(os.listdir(os.path.join(out, "runs"))):
    m = re.fullmatch(r"(sum|region-mean)-lambda([\d.]+)-delta([\d.]+)-seed(\d+)", name)
    path = os.path.join(out, "runs", name)
    if not m or not os.path.exists(os.path.join(path, "done")):
        continue
    rows = [json.loads(l) for l in open(os.path.join(path, "metrics.jsonl")) if l.strip()]
    tail = rows[-max(1, len(rows) // 10):]
    clip = st.mean(r["clip"] for r in tail)
    res = json.load(open(os.path.join(path, "zeroshot.json")))
    res = res["results"][res["protocol_default"]] if "results" in res else res   # eval's per-score layout
    top1, held = res["top1"]["accuracy"] * 100, res["held_out_top1"]["accuracy"] * 100
    runs.setdefault(m.groups()[:3], []).append((int(m.group(4)), clip, top1, held))
    classes = res["classes"]
chance, collapsed = 100.0 / classes, 0.95 * math.log(batch)
print(f"chance top-1 {chance:.1f} %; a run counts as collapsed when its final CLIP part is "
      f">= 0.95 ln({batch}) = {collapsed:.2f}")
print()
print("| score scale | λ | δ | literal-form λ, δ (M = 10) | final CLIP part, mean (per seed) "
      "| zero-shot top-1 %, mean (per seed) | held-out classes top-1 % | trains |")
print("|---|---|---|---|---|---|---|---|")
for (scale, lam, delta), rs in sorted(runs.items(), key=lambda kv: (kv[0][0], float(kv[0][1]), float(kv[0][2]))):
    rs.sort()
    lit = f"{float(lam):g}, {float(delta):g}" if scale == "sum" else f"{float(lam) / 10:g}, {float(delta) * 10:g}"
    clips, tops, helds = [r[1] for r in rs], [r[2] for r in rs], [r[3] for r in rs]
    trains = sum(c < collapsed and t > chance for _, c, t, _ in rs)
    print(f"| {scale} | {lam} | {delta} | {lit} | {st.mean(clips):.3f} ({', '.join(f'{c:.3f}' for c in clips)}) | "
          f"{st.mean(tops):.1f} ({', '.join(f'{t:.1f}' for t in tops)}) | {st.mean(helds):.1f} | {trains}/{len(rs)} |")

# Paired by seed (same seed = same initial weights and data order): zero-shot top-1 differences with a t-interval
# over the seeds (Student's t, n - 1 degrees of freedom: exact 97.5% quantiles up to 9 degrees, beyond that
# 1.96 + 2.4/df, within 0.03 of the exact value).
T975 = {1: 12.706, 2: 4.303, 3: 3.182, 4: 2.776, 5: 2.571, 6: 2.447, 7: 2.365, 8: 2.306, 9: 2.262}
def paired(a, b):
    top = lambda rs: {seed: t for seed, _, t, _ in rs}
    ta, tb = top(a), top(b)
    seeds = sorted(set(ta) & set(tb))
    d = [ta[s] - tb[s] for s in seeds]
    if len(d) < 2:
        return None
    half = T975.get(len(d) - 1, 1.96 + 2.4 / (len(d) - 1)) * st.stdev(d) / math.sqrt(len(d))
    signs = ", ".join(f"{x:+.1f}" for x in d)
    return f"{signs} | {st.mean(d):+.1f} [{st.mean(d) - half:+.1f}, {st.mean(d) + half:+.1f}] | {len(seeds)}"
def table(title, pairs):
    lines = [(label, paired(runs[a], runs[b])) for label, a, b in pairs if a in runs and b in runs]
    lines = [(label, p) for label, p in lines if p]
    if not lines:
        return
    print()
    print(title)
    print()
    print("| λ | δ | top-1 difference per seed | mean [95% t-interval over seeds] | seeds |")
    print("|---|---|---|---|---|")
    for label, p in lines:
        print(f"| {label} | {p} |")
configs = sorted({(lam, delta) for _, lam, delta in runs}, key=lambda c: (float(c[0]), float(c[1])))
table("Literal minus region-mean at the same nominal λ and δ (zero-shot top-1 points):",
      [(f"{lam} | {delta}", ("sum", lam, delta), ("region-mean", lam, delta)) for lam, delta in configs])
default = ("region-mean", "0.2", "0.2")
table("The literal form minus the default (region-mean, λ = 0.2, δ = 0.2), zero-shot top-1 points:",
      [(f"{lam} | {delta}", ("sum", lam, delta), default) for lam, delta in configs])
PY
