#!/usr/bin/python3
"""The CPU matmul gap (docs/performance.md): SGEMM kernels and training steps timed in CPU time, 1 thread.

  bench/cpu-matmul/measure.py gemm  [--rounds 5] [--reps 5]
      the `small` step's SGEMM calls (small-b64-sgemm.txt) with oneMKL's own path, oneMKL forced to AVX-512 and
      to AVX2 (the build's libpowerclip_mkl_dispatch.so), and OpenBLAS with its own kernels and with Haswell's
  bench/cpu-matmul/measure.py step  [--rounds 3] [--repeats 6] [--preset small] [--batch 64]
      CPU ms per training step: `powerclip bench` with POWERCLIP_MKL_CODE_PATH=native and =auto, and the PyTorch
      peer with OpenBLAS on one thread, as it is and with denormals flushed to zero
  bench/cpu-matmul/measure.py shapes [--preset small] [--batch 64]
      rewrites small-b64-sgemm.txt from MKL_VERBOSE output of one CLIP and one PowerCLIP step

Every configuration runs once per round, alternated, and the tables give medians over rounds. CPU time, not wall
time: a process descheduled by other jobs accrues none, so the figures hold on a busy machine (wall-clock
side-by-side: bench/pytorch/compare.py). A step's CPU time is the difference between runs with --repeats R and 1,
divided by the extra steps, which cancels start-up, JIT and warm-up. Needs gcc, the built powerclip
(dotnet build PowerClip.Train -c Release) and, for the peer and OpenBLAS, python3-torch + libopenblas0-pthread.
"""
import argparse, os, re, statistics, subprocess, sys, tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(ROOT, "PowerClip.Train", "bin", "Release", "net10.0")
NATIVE = os.path.join(OUT, "runtimes", "linux-x64", "native")
SHAPES = os.path.join(HERE, "small-b64-sgemm.txt")
OPENBLAS = "/usr/lib/x86_64-linux-gnu/libopenblas.so.0"
ONE_THREAD = dict(OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")


def environment(**changes):
    """os.environ without OpenBLAS pinning, one thread everywhere, plus changes (None removes a variable)."""
    env = {k: v for k, v in os.environ.items() if k not in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "LD_PRELOAD")}
    env.update(ONE_THREAD)
    for k, v in changes.items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    return env


def run(cmd, env, stdin=None):
    r = subprocess.run(cmd, capture_output=True, text=True, env=env, input=stdin)
    if r.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
    return r.stdout


def cpu_of(cmd, env):
    """CPU seconds (user + system) that the command and its children used."""
    before = os.times()
    run(cmd, env)
    after = os.times()
    return (after.children_user - before.children_user) + (after.children_system - before.children_system)


def load():
    return open("/proc/loadavg").read().split()[0]


def gemm(a):
    shim = os.path.join(NATIVE, "libpowerclip_mkl_dispatch.so")
    for f in (os.path.join(NATIVE, "libtorch_cpu.so"), shim, OPENBLAS):
        if not os.path.exists(f):
            sys.exit(f"missing {f} (build PowerClip.Train; apt-get install -y libopenblas0-pthread)")
    shapes = open(SHAPES).read()
    with tempfile.TemporaryDirectory() as d:
        src = os.path.join(HERE, "gemm_mix.c")
        run(["gcc", "-O2", "-o", f"{d}/mkl", src, f"-L{NATIVE}", "-ltorch_cpu", "-lc10", f"-Wl,-rpath,{NATIVE}",
             "-ldl"], os.environ)
        run(["gcc", "-O2", "-o", f"{d}/openblas", src, OPENBLAS, "-ldl"], os.environ)
        # The widely used trick for AMD: oneMKL's "is this an Intel CPU" answered yes.
        with open(f"{d}/fakeintel.c", "w") as f:
            f.write("int mkl_serv_intel_cpu_true(void) { return 1; }\n")
        run(["gcc", "-O2", "-shared", "-fPIC", "-o", f"{d}/libfakeintel.so", f"{d}/fakeintel.c"], os.environ)
        configs = {
            "oneMKL, its own path": ([f"{d}/mkl"], environment()),
            "oneMKL, AVX-512 forced (auto here)": ([f"{d}/mkl"], environment(LD_PRELOAD=shim, FORCE_TYPE="7")),
            "oneMKL, AVX2 forced": ([f"{d}/mkl"], environment(LD_PRELOAD=shim, FORCE_TYPE="5")),
            "oneMKL, mkl_serv_intel_cpu_true() = 1": ([f"{d}/mkl"], environment(LD_PRELOAD=f"{d}/libfakeintel.so")),
            # oneMKL's documented switches (MKL_DEBUG_CPU_TYPE was removed in 2020.1; kept to show it does nothing)
            "oneMKL, MKL_ENABLE_INSTRUCTIONS=AVX512": ([f"{d}/mkl"], environment(MKL_ENABLE_INSTRUCTIONS="AVX512")),
            "oneMKL, MKL_CBWR=AVX512": ([f"{d}/mkl"], environment(MKL_CBWR="AVX512")),
            "oneMKL, MKL_DEBUG_CPU_TYPE=5": ([f"{d}/mkl"], environment(MKL_DEBUG_CPU_TYPE="5")),
            "OpenBLAS 0.3.21, its own kernels": ([f"{d}/openblas"], environment()),
            "OpenBLAS, OPENBLAS_CORETYPE=Haswell": ([f"{d}/openblas"], environment(OPENBLAS_CORETYPE="Haswell")),
        }
        ms = {k: [] for k in configs}
        cpu_type = {}
        for r in range(a.rounds):
            for name, (cmd, env) in configs.items():
                out = run(cmd + [str(a.reps)], env, shapes).split()
                ms[name].append(float(out[0]))
                cpu_type[name] = out[-1]
            print(f"round {r + 1}: " + "; ".join(f"{k} {v[-1]:.1f}" for k, v in ms.items()) + f"; load {load()}",
                  flush=True)
    gflop = sum(2.0 * int(m) * int(n) * int(k) * float(c) for _, _, m, n, k, c in
                (l.split() for l in shapes.splitlines() if l.strip())) / 1e9
    base = statistics.median(ms["oneMKL, its own path"])
    print(f"\n`small`, batch 64: the step's {gflop:.1f} GFLOP of plain SGEMM calls (attention's batched products "
          f"excluded), 1 thread, CPU ms per step, median of {a.rounds} rounds (best of {a.reps} calls per shape)")
    print("| kernels | oneMKL CPU type | CPU ms | GFLOP/s | vs oneMKL's own path |\n|---|---|---|---|---|")
    for name, v in ms.items():
        m = statistics.median(v)
        t = "" if cpu_type[name] == "-1" else cpu_type[name]
        print(f"| {name} | {t} | {m:.1f} | {gflop / m * 1e3:.1f} | {m / base:.2f} |")


def step(a):
    pc = ["dotnet", os.path.join(OUT, "powerclip.dll")]
    peer = ["/usr/bin/python3", os.path.join(ROOT, "bench", "pytorch", "powerclip_peer.py")]
    common = ["bench", "--preset", a.preset, "--batch-sizes", str(a.batch), "--threads", "1", "--device", "cpu"]
    with tempfile.TemporaryDirectory() as d:
        run(pc + common + ["--repeats", "1", "--warmup", "0", "--export", d], environment())
        print(run(peer + [d, "--check", "--threads", "1"], environment()).strip())
        configs = {
            ".NET, oneMKL's own path (native)": (lambda r: pc + common + ["--repeats", str(r)],
                                                  environment(POWERCLIP_MKL_CODE_PATH="native")),
            ".NET, default (auto: AVX-512 here)": (lambda r: pc + common + ["--repeats", str(r)],
                                                   environment(POWERCLIP_MKL_CODE_PATH="auto")),
            "PyTorch 1.13 + OpenBLAS, 1 thread": (lambda r: peer + [d, "--repeats", str(r), "--threads", "1"],
                                                  environment()),
            # Whether denormals cost anything in this step: the same peer with flush-to-zero.
            "PyTorch, denormals flushed to 0": (lambda r: peer + [d, "--repeats", str(r), "--threads", "1",
                                                                  "--flush-denormal"], environment()),
        }
        per_step = {k: [] for k in configs}
        for r in range(a.rounds):
            for name, (cmd, env) in configs.items():
                extra = cpu_of(cmd(a.repeats), env) - cpu_of(cmd(1), env)
                # Both sides time CLIP and PowerCLIP alternately: 2 steps per repeat.
                per_step[name].append(1000 * extra / (2 * (a.repeats - 1)))
            print(f"round {r + 1}: " + "; ".join(f"{k} {v[-1]:.0f}" for k, v in per_step.items())
                  + f"; load {load()}", flush=True)
    base = statistics.median(per_step["PyTorch 1.13 + OpenBLAS, 1 thread"])
    print(f"\n`{a.preset}`, batch {a.batch}, 1 thread: CPU ms per training step (mean of a CLIP and a PowerCLIP step), "
          f"median of {a.rounds} rounds, each from runs of {a.repeats} and 1 repeats")
    print("| side | CPU ms / step | rounds | / PyTorch |\n|---|---|---|---|")
    for name, v in per_step.items():
        m = statistics.median(v)
        print(f"| {name} | {m:.0f} | {', '.join(f'{x:.0f}' for x in v)} | {m / base:.2f} |")


def shapes(a):
    out = run(["dotnet", os.path.join(OUT, "powerclip.dll"), "bench", "--preset", a.preset,
               "--batch-sizes", str(a.batch), "--threads", "1", "--device", "cpu", "--repeats", "1", "--warmup", "0"],
              environment(MKL_VERBOSE="1", POWERCLIP_MKL_CODE_PATH="native"))
    calls = {}
    for m in re.finditer(r"MKL_VERBOSE SGEMM\(([NT]),([NT]),(\d+),(\d+),(\d+),", out):
        key = m.groups()
        calls[key] = calls.get(key, 0) + 1
    calls.pop(("N", "N", "1024", "1024", "1024"), None)     # the command's own peak measurement
    with open(SHAPES, "w") as f:
        for key, n in sorted(calls.items()):
            f.write(" ".join(key) + f" {n / 2:g}\n")          # one CLIP and one PowerCLIP step: per step
    print(f"wrote {len(calls)} shapes to {SHAPES}")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="what", required=True)
    g = sub.add_parser("gemm")
    g.add_argument("--rounds", type=int, default=5)
    g.add_argument("--reps", type=int, default=5)
    s = sub.add_parser("step")
    s.add_argument("--rounds", type=int, default=3)
    s.add_argument("--repeats", type=int, default=6)
    for q in (s, sub.add_parser("shapes")):
        q.add_argument("--preset", default="small")
        q.add_argument("--batch", type=int, default=64)
    a = p.parse_args()
    {"gemm": gemm, "step": step, "shapes": shapes}[a.what](a)


if __name__ == "__main__":
    main()
