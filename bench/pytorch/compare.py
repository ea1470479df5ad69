#!/usr/bin/python3
"""Side-by-side: `powerclip bench` and the PyTorch peer, alternated round by round with the same thread count,
on the same weights and batch (exported once by `powerclip bench --export`), after a loss-agreement check.

  bench/pytorch/compare.py [--preset tiny] [--batch 64] [--rounds 3] [--repeats 5] [--threads 2] [--powerclip CMD]

Prints per objective the median over rounds of each side's median step (and of its phases) and the ratio
.NET / PyTorch. Needs the built `powerclip` (default: PowerClip.Cli/bin/Release/net10.0/powerclip.dll via dotnet)
and Debian's python3-torch + libopenblas0-pthread (apt-get install -y python3-torch libopenblas0-pthread).
"""
import argparse, os, statistics, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PHASES = ["forward", "loss", "backward", "optimizer", "step"]


def table(text, batch):
    """Rows `| batch | objective | forward | loss | backward | optimizer | step | ...` of either side's output."""
    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 7 and cells[0] == str(batch) and cells[1] in ("clip", "powerclip"):
            rows[cells[1]] = [float(c) for c in cells[2:7]]
    if len(rows) != 2:
        raise SystemExit("could not read both objectives from:\n" + text)
    return rows


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
    return r.stdout


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--preset", default="tiny")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--powerclip", default=f"dotnet {ROOT}/PowerClip.Cli/bin/Release/net10.0/powerclip.dll")
    a = p.parse_args()
    pc = a.powerclip.split()
    common = ["--preset", a.preset, "--batch-sizes", str(a.batch), "--threads", str(a.threads), "--device", "cpu"]
    peer = ["/usr/bin/python3", os.path.join(HERE, "powerclip_peer.py")]
    with tempfile.TemporaryDirectory() as d:
        run(pc + ["bench"] + common + ["--repeats", "1", "--warmup", "0", "--export", d])
        print(run(peer + [d, "--check", "--threads", str(a.threads)]).rstrip())
        sides = {"dotnet": [], "pytorch": []}
        for r in range(a.rounds):
            sides["dotnet"].append(table(run(pc + ["bench"] + common + ["--repeats", str(a.repeats)]), a.batch))
            sides["pytorch"].append(table(run(peer + [d, "--repeats", str(a.repeats), "--threads", str(a.threads)]), a.batch))
            load = open("/proc/loadavg").read().split()[0] if os.path.exists("/proc/loadavg") else "?"
            print(f"round {r + 1}: .NET step clip {sides['dotnet'][-1]['clip'][4]:.1f} / powerclip {sides['dotnet'][-1]['powerclip'][4]:.1f} ms; "
                  f"PyTorch clip {sides['pytorch'][-1]['clip'][4]:.1f} / powerclip {sides['pytorch'][-1]['powerclip'][4]:.1f} ms; load {load}", flush=True)
    print(f"\npreset {a.preset}, batch {a.batch}, {a.threads} threads, median over {a.rounds} alternated rounds of each side's median of {a.repeats} steps")
    print("| objective | side | " + " | ".join(f"{ph} ms" for ph in PHASES) + " | .NET / PyTorch (step) |")
    print("|---|---|" + "---|" * (len(PHASES) + 1))
    for obj in ("clip", "powerclip"):
        med = {s: [statistics.median(r[obj][k] for r in rows) for k in range(5)] for s, rows in sides.items()}
        ratio = statistics.median(dn[obj][4] / pt[obj][4] for dn, pt in zip(sides["dotnet"], sides["pytorch"]))
        for s in ("dotnet", "pytorch"):
            print(f"| {obj} | {s} | " + " | ".join(f"{x:.1f}" for x in med[s]) + (f" | {ratio:.2f} |" if s == "dotnet" else " | |"))


if __name__ == "__main__":
    main()
