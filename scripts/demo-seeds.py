#!/usr/bin/env python3
"""CLIP vs PowerCLIP over several `powerclip demo` runs (one results.json per seed): per row the means, Δ per seed,
the mean Δ and in how many seeds PowerCLIP is ahead, as a Markdown table (docs/demo.md)."""
import json, sys, statistics as st
runs = [json.load(open(p))["results"] for p in sys.argv[1:]]
key = lambda x: (x["benchmark"], x["metric"])
print(f"| benchmark | metric | CLIP % (mean) | PowerCLIP % (mean) | Δ per seed ({', '.join(str(i) for i in range(len(runs)))}) | mean Δ | PowerCLIP ahead |")
print("|---|---|---|---|---|---|---|")
for c0 in runs[0]["clip"]:
    k = key(c0)
    cs = [next(x for x in r["clip"] if key(x) == k)["accuracy"] * 100 for r in runs]
    ps = [next(x for x in r["powerclip"] if key(x) == k)["accuracy"] * 100 for r in runs]
    ds = [p - c for p, c in zip(ps, cs)]
    print(f"| {k[0]} | {k[1]} | {st.mean(cs):.1f} | {st.mean(ps):.1f} | {', '.join(f'{d:+.1f}' for d in ds)} | {st.mean(ds):+.1f} | {sum(d > 0 for d in ds)}/{len(ds)} |")
