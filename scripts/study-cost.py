#!/usr/bin/env python3
"""Projects the standard study's cost from scripts/study-cost.sh's measurements.

  study-cost.py TRAIN_TSV STUDY_RESULTS_JSON [--steps N] [--seeds K] [--wall-per-cpu F]
  study-cost.py --list-methods

Per method (loss:region-source): per-step CPU seconds = slope of CPU time against steps (medians over repeats);
the standard arm's fixed CPU (20,000-sample world, start-up) and evaluation CPU come from one real study arm.
CPU time is converted to idle wall time by an anchor: docs/demo.md measured the demo's CLIP arm (the standard arm's
settings: demo preset, batch 64, 20,000 world images) at 308 s of training for 4,000 steps on 2 idle cores, so
wall/CPU = 308 / (fixed + 4000 × CLIP's CPU-s/step) (--anchor-seconds, --anchor-steps; or give --wall-per-cpu).
CPU measured on a loaded machine is inflated (caches, SMT), which the anchor absorbs only if the inflation is the same
for every method; the idle run must confirm (the study's report prints wall and CPU seconds of every arm).
Prints a table and the step count that fits the target (--hours, default 2.5)."""
import argparse, json, statistics as st, sys
from collections import defaultdict

# The study's implemented arms as loss:region-source (keep in step with PowerClip.Train/Study/StudyMethods.cs).
METHODS = ["clip:masks", "flip:masks", "filip:masks", "sparc:masks", "powerclip:boxes", "powerclip:masks",
           "powerclip-no-subsets:masks", "powerclip-no-tree:masks", "powerclip-no-r2t:masks", "powerclip-no-t2r:masks",
           "powerclip-no-triplet:masks", "clip-pgs:masks", "a-clip:masks", "e-clip:masks"]

p = argparse.ArgumentParser()
p.add_argument("train", nargs="?"); p.add_argument("study", nargs="?")
p.add_argument("--list-methods", action="store_true")
p.add_argument("--steps", type=int, default=None); p.add_argument("--seeds", type=int, default=3)
p.add_argument("--wall-per-cpu", type=float, default=None); p.add_argument("--hours", type=float, default=2.5)
p.add_argument("--anchor-seconds", type=float, default=308.0); p.add_argument("--anchor-steps", type=int, default=4000)
p.add_argument("--extra", type=int, default=0, help="methods not implemented yet, counted at CLIP's cost")
a = p.parse_args()
if a.list_methods:
    print(" ".join(METHODS)); sys.exit(0)

cpu = defaultdict(lambda: defaultdict(list))
for line in open(a.train):
    m, steps, rep, wall, user, sysc = line.split("\t")
    cpu[m][int(steps)].append(float(user) + float(sysc))
study = json.load(open(a.study))
arm = study["arms"][0]
short = min(next(iter(cpu.values())).keys())
rows = []
for m, by in cpu.items():
    (s0, c0), (s1, c1) = sorted((s, st.median(v)) for s, v in by.items())
    rows.append((m, (c1 - c0) / (s1 - s0), c0 - s0 * (c1 - c0) / (s1 - s0)))
clip_step = next(r[1] for r in rows if r[0] == "clip:masks")
fixed = arm["train_cpu_seconds"] - study["budget"]["steps"] * clip_step   # the real data preparation and start-up
evaluation = arm["eval_cpu_seconds"]
if a.wall_per_cpu is None:
    a.wall_per_cpu = a.anchor_seconds / (fixed + a.anchor_steps * clip_step)
print(f"standard arm, measured: fixed {fixed:.1f} CPU-s (start-up, 20,000-sample world), "
      f"evaluation {evaluation:.1f} CPU-s; wall/CPU {a.wall_per_cpu:.3f}")
print(f"{'method':<28} {'CPU-s/step':>10} {'× CLIP':>7}")
for m, step, _ in rows:
    print(f"{m:<28} {step:>10.4f} {step / clip_step:>7.2f}")
steps = [step for _, step, _ in rows] + [clip_step] * a.extra
def hours(n, k):   # wall hours of n steps for the first k methods (the extras last)
    return a.seeds * sum(fixed + evaluation + n * s for s in steps[:k]) * a.wall_per_cpu / 3600
target = a.hours * 3600 / a.wall_per_cpu
fit = int((target / a.seeds - len(steps) * (fixed + evaluation)) / sum(steps))
for n in sorted({a.steps or fit, fit}):
    print(f"{n} steps × {a.seeds} seeds: about {hours(n, len(rows)):.2f} h wall on 2 idle cores for the {len(rows)} "
          f"measured methods, {hours(n, len(steps)):.2f} h with {a.extra} more at CLIP's cost")
print(f"steps that fit {a.hours} h with all {len(steps)} methods: {fit}")
