#!/usr/bin/python3
"""Side-by-side: `powerclip bench` and the PyTorch peer, alternated round by round with the same thread count,
on the same weights and batch (exported once by `powerclip bench --export`), after a loss-agreement check.

  bench/pytorch/compare.py [--preset tiny] [--batch 64] [--rounds 3] [--repeats 5] [--threads 2]
                           [--mkl-code-paths auto] [--powerclip CMD]

Prints per objective the median over rounds of each side's median step (and of its phases) and the ratio
.NET / PyTorch. `--mkl-code-paths native,auto` runs our side once per oneMKL code path in every round
(POWERCLIP_MKL_CODE_PATH; docs/performance.md, "The CPU matmul gap").

The peer runs N threads in one pool: OpenBLAS's OpenMP build (Debian's libopenblas0-openmp, loaded for the peer
alone through LD_LIBRARY_PATH) shares PyTorch's OpenMP threads, with OPENBLAS_NUM_THREADS = OMP_NUM_THREADS =
torch.set_num_threads = N. The system's default OpenBLAS (pthreads) keeps a pool of its own: without
OPENBLAS_NUM_THREADS it starts one thread per core whatever torch.set_num_threads says, so a "1-thread" peer ran
its matrix products on 2 cores, and with 2 threads its pool ran beside OpenMP's, 3 busy threads on 2 cores
(measured: docs/performance.md, "The CPU matmul gap"). Without libopenblas0-openmp the script falls back to the
pthreads build with OPENBLAS_NUM_THREADS = N and says so. The peer's command also runs without OPENBLAS_CORETYPE
and OPENBLAS_L2_SIZE, which some machines set (this project's sets Haswell) and which pin OpenBLAS to AVX2
kernels; the script prints what it removed.

Needs the built `powerclip` (default: PowerClip.Cli/bin/Release/net10.0/powerclip.dll via dotnet) and Debian's
python3-torch + libopenblas0-openmp (apt-get install -y python3-torch libopenblas0-pthread libopenblas0-openmp;
the OpenMP build's lower alternatives priority leaves the system default as it is).
"""
import argparse, os, statistics, subprocess, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PHASES = ["forward", "loss", "backward", "optimizer", "step"]
PEER_UNSET = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
OPENBLAS_OPENMP = "/usr/lib/x86_64-linux-gnu/openblas-openmp"


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


def run(cmd, env):
    r = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if r.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
    return r.stdout


def peer_environment(threads):
    """The peer's environment: no AVX2 pinning of OpenBLAS, and N threads for OpenBLAS and for OpenMP alike."""
    env = dict(os.environ)
    removed = [f"{k}={env.pop(k)}" for k in PEER_UNSET if k in env]
    env.update(OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
    if os.path.exists(os.path.join(OPENBLAS_OPENMP, "libblas.so.3")):
        env["LD_LIBRARY_PATH"] = OPENBLAS_OPENMP + (":" + env["LD_LIBRARY_PATH"] if env.get("LD_LIBRARY_PATH") else "")
        blas = f"OpenBLAS's OpenMP build ({OPENBLAS_OPENMP}), one thread pool"
    else:
        blas = ("OpenBLAS's pthreads build: libopenblas0-openmp is not installed, so with more than one thread "
                "OpenBLAS's pool runs beside OpenMP's (apt-get install -y libopenblas0-openmp)")
    unset = ", ".join(removed) if removed else f"nothing ({', '.join(PEER_UNSET)} were not set)"
    note = (f"peer environment: unset {unset}; OPENBLAS_NUM_THREADS={threads} OMP_NUM_THREADS={threads} "
            f"torch.set_num_threads({threads}); {blas}")
    return env, note


def lines_with(text, *prefixes):
    return [l for l in text.splitlines() if l.startswith(prefixes)]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--preset", default="tiny")
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--mkl-code-paths", default="auto",
                   help="comma-separated POWERCLIP_MKL_CODE_PATH values for our side, each run every round")
    p.add_argument("--powerclip", default=f"dotnet {ROOT}/PowerClip.Cli/bin/Release/net10.0/powerclip.dll")
    a = p.parse_args()
    pc = a.powerclip.split()
    common = ["--preset", a.preset, "--batch-sizes", str(a.batch), "--threads", str(a.threads), "--device", "cpu"]
    peer = ["/usr/bin/python3", os.path.join(HERE, "powerclip_peer.py")]
    peer_env, note = peer_environment(a.threads)
    print(note)
    paths = [s.strip() for s in a.mkl_code_paths.split(",") if s.strip()]
    ours = {f".NET ({m})": dict(os.environ, POWERCLIP_MKL_CODE_PATH=m) for m in paths}
    for side, env in ours.items():
        info = run(pc + ["info", "--threads", str(a.threads)], env)
        print(f"{side}: " + " ".join(l.strip() for l in lines_with(info, "mkl code path")))
    with tempfile.TemporaryDirectory() as d:
        run(pc + ["bench"] + common + ["--repeats", "1", "--warmup", "0", "--export", d], os.environ)
        print(run(peer + [d, "--check", "--threads", str(a.threads)], peer_env).rstrip())
        sides = {s: [] for s in list(ours) + ["PyTorch"]}
        for r in range(a.rounds):
            for side, env in ours.items():
                sides[side].append(table(run(pc + ["bench"] + common + ["--repeats", str(a.repeats)], env), a.batch))
            out = run(peer + [d, "--repeats", str(a.repeats), "--threads", str(a.threads)], peer_env)
            sides["PyTorch"].append(table(out, a.batch))
            load = open("/proc/loadavg").read().split()[0] if os.path.exists("/proc/loadavg") else "?"
            steps = "; ".join(f"{s} {rows[-1]['clip'][4]:.1f} / {rows[-1]['powerclip'][4]:.1f}"
                              for s, rows in sides.items())
            print(f"round {r + 1} (step ms, clip / powerclip): {steps}; load {load}", flush=True)
            if r == 0:
                print("  peer: " + "\n  peer: ".join(lines_with(out, "BLAS:", "threads that ran")), flush=True)
    print(f"\npreset {a.preset}, batch {a.batch}, {a.threads} threads, median over {a.rounds} alternated rounds "
          f"of each side's median of {a.repeats} steps")
    print("| objective | side | " + " | ".join(f"{ph} ms" for ph in PHASES) + " | .NET / PyTorch (step) |")
    print("|---|---|" + "---|" * (len(PHASES) + 1))
    for obj in ("clip", "powerclip"):
        for s, rows in sides.items():
            med = [statistics.median(r[obj][k] for r in rows) for k in range(5)]
            ratio = "" if s == "PyTorch" else \
                f"{statistics.median(x[obj][4] / y[obj][4] for x, y in zip(rows, sides['PyTorch'])):.2f}"
            print(f"| {obj} | {s} | " + " | ".join(f"{x:.1f}" for x in med) + f" | {ratio} |")


if __name__ == "__main__":
    main()
