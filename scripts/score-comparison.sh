#!/usr/bin/env bash
# Issue 16's investigation, item 1: do the compositional benchmarks read differently through PowerCLIP's own score S̄
# than through the global cosine (the paper's protocol)? Scores every chosen arm of a finished study on SugarCrepe,
# Winoground and ARO with both scores and prints, per metric, each method's mean over seeds under each score, the
# per-seed signs of S̄ − cosine, and PowerCLIP − CLIP under each score. Evaluation only: nothing is trained or tuned.
#
#   scripts/score-comparison.sh [STUDY_DIR] [OUT_DIR]      # defaults: runs/study runs/study/score-comparison
#   METHODS="clip powerclip powerclip-boxes" SEEDS="0 1 2" THREADS=2 scripts/score-comparison.sh
set -euo pipefail
cd "$(dirname "$0")/.."
study=${1:-runs/study}
out=${2:-$study/score-comparison}
methods=${METHODS:-clip powerclip powerclip-boxes}
seeds=${SEEDS:-0 1 2}
threads=${THREADS:-2}
[ -d "$study/benchmarks" ] || { echo "score-comparison: $study/benchmarks not found (run the study first)" >&2; exit 2; }
mkdir -p "$out"
./powerclip info >/dev/null   # builds once, so the loop below does not
for m in $methods; do
  for s in $seeds; do
    run="$study/runs/$m-seed$s"
    [ -d "$run/checkpoints" ] || { echo "score-comparison: $run has no checkpoint (arm not trained)" >&2; exit 2; }
    for b in sugarcrepe winoground aro; do
      f="$out/$m-seed$s-$b.json"
      [ -s "$f" ] && continue   # resumable: finished evaluations are kept
      POWERCLIP_NO_BUILD=1 ./powerclip eval "$b" --data "$study/benchmarks/$b" --checkpoint "$run" \
        --score cosine,powerclip --threads "$threads" --out "$f.tmp" >/dev/null
      mv "$f.tmp" "$f"
    done
  done
done
python3 - "$out" "$methods" "$seeds" <<'PY'
import json, sys
out, methods, seeds = sys.argv[1], sys.argv[2].split(), [int(s) for s in sys.argv[3].split()]
def acc(x): return x['correct'] / x['total']
def metrics(m, s, score):
    r = {}
    sc = json.load(open(f'{out}/{m}-seed{s}-sugarcrepe.json'))['results'][score]['categories']
    for k, v in sc.items(): r[f'SugarCrepe {k}'] = acc(v)
    for g, cats in [('object', ['add_obj', 'replace_obj', 'swap_obj']), ('attribute', ['add_att', 'replace_att', 'swap_att'])]:
        r[f'SugarCrepe {g} (macro)'] = sum(acc(sc[c]) for c in cats) / len(cats)
    wg = json.load(open(f'{out}/{m}-seed{s}-winoground.json'))['results'][score]['all']
    for k in ['text', 'image', 'group']: r[f'Winoground {k}'] = acc(wg[k])
    aro = json.load(open(f'{out}/{m}-seed{s}-aro.json'))['results'][score]['tests']
    for k, name in [('visual_genome_relation', 'ARO relation'), ('visual_genome_attribution', 'ARO attribution')]:
        if k in aro: r[name] = acc(aro[k]['micro'])
    return r
V = {(m, s, sc): metrics(m, s, sc) for m in methods for s in seeds for sc in ['cosine', 'powerclip']}
keys = list(V[(methods[0], seeds[0], 'cosine')].keys())
def mean(xs): return sum(xs) / len(xs)
def sign(x): return '+' if x > 1e-12 else ('−' if x < -1e-12 else '0')
def pct(x, signed=False): return (f'{100 * x:+.1f}' if signed else f'{100 * x:.1f}').replace('-', '−')
hdr = ' | '.join(f'{m}: cosine | {m}: S̄ | {m}: S̄ − cosine' for m in methods)
print(f'| metric | {hdr} |'); print('|---' * (1 + 3 * len(methods)) + '|')
for k in keys:
    cells = []
    for m in methods:
        c = [V[(m, s, 'cosine')][k] for s in seeds]; p = [V[(m, s, 'powerclip')][k] for s in seeds]
        d = [b - a for a, b in zip(c, p)]
        cells += [pct(mean(c)), pct(mean(p)), f"{pct(mean(d), True)} ({' '.join(sign(x) for x in d)})"]
    print(f"| {k} | {' | '.join(cells)} |")
if 'clip' in methods:
    print(); print('| metric | ' + ' | '.join(f'{m} − clip, cosine | {m} − clip, S̄' for m in methods if m != 'clip') + ' |')
    print('|---' * (1 + 2 * (len(methods) - 1)) + '|')
    for k in keys:
        cells = []
        for m in methods:
            if m == 'clip': continue
            for sc in ['cosine', 'powerclip']:
                d = [V[(m, s, sc)][k] - V[('clip', s, sc)][k] for s in seeds]
                cells.append(f"{pct(mean(d), True)} ({' '.join(sign(x) for x in d)})")
        print(f"| {k} | {' | '.join(cells)} |")
print(); print(f'means over seeds {seeds}; signs per seed; per-seed values and 95% intervals: {out}/*.json')
PY
