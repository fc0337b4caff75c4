"""Process-separated benchmark suite: minigrad, PyTorch CPU and DeZero, measured as users run them.

Every (framework, case) runs in a fresh Python process that imports only that framework (plus NumPy):
importing PyTorch beside minigrad changes glibc malloc's behaviour and starts thread pools, which makes
an in-process comparison flatter minigrad.  Rounds are interleaved (round r runs every framework x case
once, in an order rotated by r) so that the machine's noise falls on all of them; the table shows the
median over rounds of each worker's median step time, the ratio minigrad / PyTorch beside the target
the project set, the FLOPs of each case and the time they would take at this machine's sgemm rate
(NumPy float32 1024x1024 matmul, measured in the same run, also in its own process), and peak RSS.

    python benchmarks/suite.py [--rounds 5] [--repeat 7] [--cases lenet_b100,conv]
                               [--frameworks minigrad,pytorch,dezero] [--json out.json]
                               [--memory-steps 500]

A worker is `python benchmarks/suite.py --worker FRAMEWORK CASE`; it prints one line
`SUITE-RESULT {json}`.  PyTorch runs with --torch-threads (default 2) intra-op threads; NumPy keeps
its BLAS library's default thread count.  This module imports only the standard library at the top,
so a worker can set up malloc (--malloc-setup) before NumPy is loaded.
"""
import argparse
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
FRAMEWORKS = ("minigrad", "pytorch", "dezero")
RESULT_TAG = "SUITE-RESULT "
SGEMM_N = 1024


# =============================================================================
# Cases: title, FLOPs, target ratio (minigrad / PyTorch), and a builder per framework
# =============================================================================
def _conv_flops(n, c, oc, oh, ow, kh, kw, need_gx=True):
    """Forward + backward multiply-add FLOPs of a convolution (y, gW, and gx when needed)."""
    fwd = 2 * n * oc * oh * ow * c * kh * kw
    return fwd * (3 if need_gx else 2)


def _linear_flops(n, i, o, need_gx=True):
    fwd = 2 * n * i * o
    return fwd * (3 if need_gx else 2)


def _lenet_flops(n):
    return (_conv_flops(n, 1, 6, 24, 24, 5, 5, need_gx=False) + _conv_flops(n, 6, 16, 8, 8, 5, 5)
            + _linear_flops(n, 256, 120) + _linear_flops(n, 120, 84) + _linear_flops(n, 84, 10))


CHAIN_OPS, CHAIN_SIZE = 1000, 16

# name: (title, FLOPs fwd+bwd, target ratio minigrad / PyTorch)
CASES = {
    "lenet_b100": ("LeNet train step, batch 100", _lenet_flops(100), 1.0),
    "lenet_b1": ("LeNet train step, batch 1", _lenet_flops(1), 0.8),
    "mlp_b100": ("MLP 784-1000-1000-10 train step, batch 100",
                 _linear_flops(100, 784, 1000, need_gx=False) + _linear_flops(100, 1000, 1000)
                 + _linear_flops(100, 1000, 10), 1.1),
    "conv": ("conv 64→64 3×3 pad 1, N=32, 32×32, fwd+bwd", _conv_flops(32, 64, 64, 32, 32, 3, 3), 1.2),
    # a transposed convolution does the MACs of the convolution it transposes (64 in, 32 out, 16x16)
    "deconv": ("deconv 64→32 4×4 stride 2 pad 1, N=16, 16×16, fwd+bwd",
               _conv_flops(16, 32, 64, 16, 16, 4, 4), 1.3),
    "vgg_block": ("2×(conv 3×3 64 + ReLU) + max pool, N=16, 32×32, fwd+bwd",
                  2 * _conv_flops(16, 64, 64, 32, 32, 3, 3), 1.3),
    # no GEMM: one FLOP per element per op forward, two backward; the limit shows it is all overhead
    "chain": (f"{CHAIN_OPS:,}-op elementwise chain ({CHAIN_SIZE} floats), fwd+bwd",
              3 * CHAIN_OPS * CHAIN_SIZE, 0.8),
}
LENET_RSS_TARGET = 1.2  # peak RSS of the LeNet training script: minigrad <= PyTorch's + 20%
RSS_FLAT_MIB = 20.0     # RSS growth from step 20 to the last step that still counts as flat


# --- minigrad and DeZero share one API, so one set of builders serves both --------------------------
def _import_dezero_like(framework):
    """(Variable, F, L, optimizers, models) of minigrad or DeZero, through public modules only."""
    if framework == "minigrad":
        if ROOT not in sys.path:
            sys.path.insert(0, ROOT)
        import minigrad as pkg
        import minigrad.functions as F
        import minigrad.layers as L
        import minigrad.models as models
        import minigrad.optimizers as optimizers
    else:
        import numpy as np
        if not hasattr(np, "int"):  # DeZero 0.0.13 uses np.int, removed in NumPy 1.24
            np.int = int
        import dezero as pkg
        import dezero.functions as F
        import dezero.layers as L
        import dezero.models as models
        import dezero.optimizers as optimizers
    return pkg.Variable, F, L, optimizers, models


def _dz_lenet(framework):
    Variable, F, L, optimizers, models = _import_dezero_like(framework)
    if framework == "minigrad":
        return models.LeNet(in_channels=1)

    class LeNet(models.Model):  # DeZero ships no LeNet: the same layers as minigrad.models.LeNet
        def __init__(self):
            super().__init__()
            self.conv1 = L.Conv2d(6, kernel_size=5, in_channels=1)
            self.conv2 = L.Conv2d(16, kernel_size=5, in_channels=6)
            self.fc1 = L.Linear(120, in_size=256)
            self.fc2 = L.Linear(84, in_size=120)
            self.fc3 = L.Linear(10, in_size=84)

        def forward(self, x):
            x = F.pooling(F.relu(self.conv1(x)), 2, 2)
            x = F.pooling(F.relu(self.conv2(x)), 2, 2)
            x = F.reshape(x, (x.shape[0], -1))
            x = F.relu(self.fc1(x))
            x = F.relu(self.fc2(x))
            return self.fc3(x)
    return LeNet()


def _dz_train(framework, model, batch, in_shape):
    import numpy as np
    Variable, F, L, optimizers, models = _import_dezero_like(framework)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch,) + in_shape, dtype=np.float32)
    t = rng.integers(0, 10, batch)
    opt = optimizers.SGD(lr=0.01).setup(model)

    def step():
        loss = F.softmax_cross_entropy(model(x), t)
        model.cleargrads()
        loss.backward()
        opt.update()
    return step


def _dz_fwd_bwd(framework, forward, inputs, params, out_shape):
    """Step: forward on `inputs` (Variables), then backward from a fixed output gradient."""
    import numpy as np
    Variable, F, L, optimizers, models = _import_dezero_like(framework)
    gy = Variable(np.random.default_rng(1).standard_normal(out_shape, dtype=np.float32))

    def step():
        for v in inputs + params:
            v.cleargrad()
        y = forward(*inputs)
        y.grad = gy
        y.backward()
    return step


def build_dezero_like(framework, case):
    import numpy as np
    Variable, F, L, optimizers, models = _import_dezero_like(framework)
    rng = np.random.default_rng(0)

    def var(*shape, scale=1.0):
        return Variable((rng.standard_normal(shape, dtype=np.float32) * scale).astype(np.float32))

    if case == "lenet_b100":
        return _dz_train(framework, _dz_lenet(framework), 100, (1, 28, 28))
    if case == "lenet_b1":
        return _dz_train(framework, _dz_lenet(framework), 1, (1, 28, 28))
    if case == "mlp_b100":
        return _dz_train(framework, models.MLP((1000, 1000, 10), activation=F.relu), 100, (784,))
    if case == "conv":
        x, W, b = var(32, 64, 32, 32), var(64, 64, 3, 3, scale=0.05), var(64, scale=0.0)
        return _dz_fwd_bwd(framework, lambda x: F.conv2d(x, W, b, 1, 1), [x], [W, b], (32, 64, 32, 32))
    if case == "deconv":
        x, W, b = var(16, 64, 16, 16), var(64, 32, 4, 4, scale=0.05), var(32, scale=0.0)
        return _dz_fwd_bwd(framework, lambda x: F.deconv2d(x, W, b, 2, 1), [x], [W, b], (16, 32, 32, 32))
    if case == "vgg_block":
        c1 = L.Conv2d(64, kernel_size=3, stride=1, pad=1, in_channels=64)
        c2 = L.Conv2d(64, kernel_size=3, stride=1, pad=1, in_channels=64)
        params = list(c1.params()) + list(c2.params())

        def block(x):
            return F.pooling(F.relu(c2(F.relu(c1(x)))), 2, 2)
        return _dz_fwd_bwd(framework, block, [var(16, 64, 32, 32)], params, (16, 64, 16, 16))
    if case == "chain":
        x = Variable(np.linspace(-1, 1, CHAIN_SIZE, dtype=np.float32))
        ops = (lambda y: y * 1.001, F.sin, lambda y: y + x, F.tanh)

        def step():
            x.cleargrad()
            y = x
            for i in range(CHAIN_OPS):
                y = ops[i % 4](y)
            F.sum(y).backward()
        return step
    raise KeyError(case)


# --- PyTorch -----------------------------------------------------------------------------------------
def build_pytorch(case):
    import numpy as np
    import torch
    import torch.nn as nn
    import torch.nn.functional as TF
    torch.manual_seed(0)
    rng = np.random.default_rng(0)

    def tensor(*shape, scale=1.0, grad=True):
        a = (rng.standard_normal(shape, dtype=np.float32) * scale).astype(np.float32)
        return torch.tensor(a, requires_grad=grad)

    def train(model, batch, in_shape):
        x = tensor(batch, *in_shape, grad=False)
        t = torch.tensor(rng.integers(0, 10, batch))
        opt = torch.optim.SGD(model.parameters(), lr=0.01)

        def step():
            opt.zero_grad(set_to_none=True)
            TF.cross_entropy(model(x), t).backward()
            opt.step()
        return step

    def fwd_bwd(forward, inputs, params, out_shape):
        gy = torch.tensor(np.random.default_rng(1).standard_normal(out_shape, dtype=np.float32))

        def step():
            for v in inputs + params:
                v.grad = None
            forward(*inputs).backward(gy)
        return step

    def lenet():
        return nn.Sequential(
            nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(256, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))

    if case == "lenet_b100":
        return train(lenet(), 100, (1, 28, 28))
    if case == "lenet_b1":
        return train(lenet(), 1, (1, 28, 28))
    if case == "mlp_b100":
        mlp = nn.Sequential(nn.Linear(784, 1000), nn.ReLU(), nn.Linear(1000, 1000), nn.ReLU(),
                            nn.Linear(1000, 10))
        return train(mlp, 100, (784,))
    if case == "conv":
        x, W, b = tensor(32, 64, 32, 32), tensor(64, 64, 3, 3, scale=0.05), tensor(64, scale=0.0)
        return fwd_bwd(lambda x: TF.conv2d(x, W, b, padding=1), [x], [W, b], (32, 64, 32, 32))
    if case == "deconv":
        x, W, b = tensor(16, 64, 16, 16), tensor(64, 32, 4, 4, scale=0.05), tensor(32, scale=0.0)
        return fwd_bwd(lambda x: TF.conv_transpose2d(x, W, b, stride=2, padding=1), [x], [W, b],
                       (16, 32, 32, 32))
    if case == "vgg_block":
        block = nn.Sequential(nn.Conv2d(64, 64, 3, padding=1), nn.ReLU(), nn.Conv2d(64, 64, 3, padding=1),
                              nn.ReLU(), nn.MaxPool2d(2))
        return fwd_bwd(block, [tensor(16, 64, 32, 32)], list(block.parameters()), (16, 64, 16, 16))
    if case == "chain":
        x = torch.linspace(-1, 1, CHAIN_SIZE, dtype=torch.float32, requires_grad=True)
        ops = (lambda y: y * 1.001, torch.sin, lambda y: y + x, torch.tanh)

        def step():
            x.grad = None
            y = x
            for i in range(CHAIN_OPS):
                y = ops[i % 4](y)
            y.sum().backward()
        return step
    raise KeyError(case)


# =============================================================================
# Worker: one framework, one case, one fresh process
# =============================================================================
M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD = -1, -2, -3  # glibc <malloc.h>


def _malloc_setup(kind):
    """Allocator set-ups compared by benchmarks/allocator.py; applied before NumPy is imported.

    free-*: malloc and free one untouched block (np.empty, so no page is faulted in).  glibc raises its
    dynamic mmap threshold to the size of a freed mmapped chunk, and its trim threshold to twice that,
    but only for chunks up to 32 MiB: a 32,000,000-byte block does it, a 32 MiB one (33,558,528 bytes
    with its header) does not.  mallopt-*: explicit thresholds (which switch the dynamic ones off)."""
    if kind == "none":
        return None
    if kind.startswith("free-"):
        import numpy as np
        block = np.empty(int(kind[5:]), dtype=np.uint8)
        del block
        return None
    import ctypes
    libc = ctypes.CDLL("libc.so.6")
    settings = {"mallopt-mmap": [(M_MMAP_THRESHOLD, 2 ** 30)],
                "mallopt-mmap-trim": [(M_MMAP_THRESHOLD, 2 ** 30), (M_TRIM_THRESHOLD, 2 ** 30)],
                "mallopt-mmap-trim-pad": [(M_MMAP_THRESHOLD, 2 ** 30), (M_TRIM_THRESHOLD, 2 ** 30),
                                          (M_TOP_PAD, 64 * 2 ** 20)],
                "mallopt32-trim": [(M_MMAP_THRESHOLD, 32 * 2 ** 20), (M_TRIM_THRESHOLD, 128 * 2 ** 20)]}
    return {str(param): libc.mallopt(param, value) for param, value in settings[kind]}  # 1: accepted


MALLOC_SETUPS = ("none", "free-32000000", "free-33554432", "mallopt-mmap", "mallopt-mmap-trim",
                 "mallopt-mmap-trim-pad", "mallopt32-trim")


def _rss_mib():
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2 ** 20


def _peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def _versions(framework):
    import numpy as np
    out = {"python": platform.python_version(), "numpy": np.__version__}
    if framework == "pytorch":
        import torch
        out.update(torch=torch.__version__, torch_threads=torch.get_num_threads())
    elif framework in ("minigrad", "dezero"):
        out[framework] = getattr(sys.modules[framework], "__version__", "?")
    try:
        cfg = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
        out["blas"] = f"{cfg.get('name')} {cfg.get('version')}"
    except Exception:  # noqa: BLE001 - the BLAS name is decoration; older NumPy lacks mode="dicts"
        pass
    return out


def _foreign_frameworks(framework):
    """Frameworks other than `framework` that ended up imported in this worker (should be none)."""
    names = {"minigrad": "minigrad", "pytorch": "torch", "dezero": "dezero", "numpy": None}
    return sorted(n for f, n in names.items() if n and f != framework and n in sys.modules)


def _time_steps(step, repeat, sample_s, warmup_s):
    """Per-step seconds of `repeat` samples, after a warm-up of >= 2 steps and >= warmup_s seconds."""
    t_end = time.perf_counter() + warmup_s
    n, last = 0, None
    while n < 2 or time.perf_counter() < t_end:
        t0 = time.perf_counter()
        step()
        last = time.perf_counter() - t0
        n += 1
    per_sample = max(1, math.ceil(sample_s / max(last, 1e-9)))
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        for _ in range(per_sample):
            step()
        samples.append((time.perf_counter() - t0) / per_sample)
    return samples, per_sample, n


def _sgemm_worker(repeat):
    import numpy as np
    a = np.random.default_rng(0).standard_normal((SGEMM_N, SGEMM_N), dtype=np.float32)
    b = np.random.default_rng(1).standard_normal((SGEMM_N, SGEMM_N), dtype=np.float32)
    samples, _, _ = _time_steps(lambda: a @ b, max(repeat, 10), 0.05, 0.3)
    gflops = 2 * SGEMM_N ** 3 / statistics.median(samples) / 1e9
    return {"gflops": gflops, "samples_s": samples, "versions": _versions("numpy")}


def worker(args):
    framework, case = args.worker
    record = {"framework": framework, "case": case, "malloc_setup": args.malloc_setup}
    try:
        record["mallopt"] = _malloc_setup(args.malloc_setup)
        if framework == "numpy":
            record.update(_sgemm_worker(args.repeat))
        else:
            try:
                if framework == "pytorch":
                    import torch
                    torch.set_num_threads(args.torch_threads)
                    build = build_pytorch
                else:
                    _import_dezero_like(framework)
                    build = lambda case: build_dezero_like(framework, case)  # noqa: E731
            except ImportError as exc:
                record.update(error=f"not installed: {exc}", unavailable=True)
                return _emit(record)
            step = build(case)
            if args.memory_run:
                record.update(_memory_run(step, args.memory_run))
            else:
                ru0 = resource.getrusage(resource.RUSAGE_SELF)
                samples, per_sample, warm = _time_steps(step, args.repeat, args.sample_s, args.warmup_s)
                ru1 = resource.getrusage(resource.RUSAGE_SELF)
                timed = args.repeat * per_sample
                record.update(
                    median_s=statistics.median(samples), samples_s=samples, steps_per_sample=per_sample,
                    warmup_steps=warm, minflt_per_step=(ru1.ru_minflt - ru0.ru_minflt) / (timed + warm))
            record.update(versions=_versions(framework), foreign=_foreign_frameworks(framework))
        record.update(peak_rss_mib=_peak_rss_mib(), rss_end_mib=_rss_mib())
    except Exception as exc:  # noqa: BLE001 - a framework failing on a case is a result, not a crash
        record["error"] = f"{type(exc).__name__}: {exc}"
    return _emit(record)


def _memory_run(step, n_steps):
    """RSS after step 20 and at four checkpoints up to n_steps (the flat-memory check)."""
    marks = sorted({20, n_steps // 4, n_steps // 2, 3 * n_steps // 4, n_steps})
    rss = {}
    for i in range(1, n_steps + 1):
        step()
        if i in marks:
            rss[i] = _rss_mib()
    first, last = min(rss), max(rss)
    return {"memory_steps": n_steps, "rss_mib_at_step": rss, "rss_growth_mib": rss[last] - rss[first]}


def _emit(record):
    print(RESULT_TAG + json.dumps(record), flush=True)
    return 0


# =============================================================================
# Parent: spawn workers, interleave rounds, print the table
# =============================================================================
def run_worker(framework, case, args, extra=(), env=None, timeout=900):
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", framework, case,
           "--repeat", str(args.repeat), "--sample-s", str(args.sample_s), "--warmup-s", str(args.warmup_s),
           "--torch-threads", str(args.torch_threads), *extra]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"framework": framework, "case": case, "error": f"timed out after {timeout} s"}
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(RESULT_TAG):
            return json.loads(line[len(RESULT_TAG):])
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
    return {"framework": framework, "case": case, "error": f"exit {proc.returncode}: {tail[0]}"}


def _rotate(seq, r):
    r %= max(len(seq), 1)
    return list(seq[r:]) + list(seq[:r])


def _machine():
    model = "?"
    try:
        with open("/proc/cpuinfo") as fh:
            model = next((ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")), "?")
    except OSError:
        pass
    return {"cpu": model, "cpus": os.cpu_count(), "platform": platform.platform(),
            "libc": " ".join(platform.libc_ver()), "python": platform.python_version(),
            "openblas_env": {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE",
                                                          "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS",
                                                          "MALLOC_MMAP_THRESHOLD_") if k in os.environ}}


def _cpu_busy_s():
    """CPU seconds all processes have used since boot, summed over cores (/proc/stat; steal counts)."""
    with open("/proc/stat") as fh:
        user, nice, system, idle, iowait, irq, softirq, steal = map(int, fh.readline().split()[1:9])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def _children_cpu_s():
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def wait_for_quiet(max_busy, max_wait, probe=0.5):
    """Wait (at most max_wait s) until other processes use <= max_busy cores; returns the last reading."""
    if max_wait <= 0:
        return None
    t_end = time.monotonic() + max_wait
    while True:
        b0 = _cpu_busy_s()
        time.sleep(probe)
        busy = (_cpu_busy_s() - b0) / probe
        if busy <= max_busy or time.monotonic() >= t_end:
            return busy


def run_measured(framework, case, args, extra=(), env=None):
    """run_worker behind the quiet gate; re-run (up to --retries times) when other processes took more
    than --max-foreign cores on average while it ran.  Keeps the least disturbed attempt."""
    best = None
    for attempt in range(1 + args.retries):
        wait_for_quiet(args.max_foreign, args.quiet_wait)
        b0, c0, t0 = _cpu_busy_s(), _children_cpu_s(), time.monotonic()
        rec = run_worker(framework, case, args, extra, env)
        wall = time.monotonic() - t0
        rec["foreign_cores"] = max(0.0, (_cpu_busy_s() - b0) - (_children_cpu_s() - c0)) / wall
        rec["attempts"] = attempt + 1
        if best is None or rec["foreign_cores"] < best["foreign_cores"]:
            best = rec
        if rec["foreign_cores"] <= args.max_foreign or "error" in rec:
            break
    return best


def run_suite(args, log=print):
    cases, frameworks = args.cases, args.frameworks
    unavailable, runs = {}, []
    load = [os.getloadavg()[0]]
    for r in range(args.rounds):
        jobs = [("numpy", "sgemm")] + [(fw, case) for case in _rotate(cases, r)
                                       for fw in _rotate(frameworks, r)]
        for fw, case in _rotate(jobs, r):
            if fw in unavailable:
                continue
            rec = run_measured(fw, case, args)
            rec["round"] = r
            runs.append(rec)
            if rec.get("unavailable"):
                unavailable[fw] = rec["error"]
                log(f"  {fw}: {rec['error']} (left out)")
                continue
            what = (f"{rec['gflops']:.0f} GFLOP/s" if "gflops" in rec else
                    f"{rec['median_s'] * 1e3:.3f} ms" if "median_s" in rec else rec.get("error"))
            log(f"  round {r + 1}/{args.rounds} {fw:8s} {case:10s} {what}  "
                f"(others used {rec['foreign_cores']:.2f} cores; attempt {rec['attempts']})")
    memory = {}
    if args.memory_steps and "lenet_b100" in cases:
        for fw in frameworks:
            if fw not in unavailable:
                log(f"  memory: {fw} LeNet b100, {args.memory_steps} steps")
                memory[fw] = run_measured(fw, "lenet_b100", args, ["--memory-run", str(args.memory_steps)])
    load.append(os.getloadavg()[0])
    return summarize(args, runs, memory, unavailable, load)


def summarize(args, runs, memory, unavailable, load):
    sg = [r["gflops"] for r in runs if r.get("case") == "sgemm" and "gflops" in r]
    gflops = statistics.median(sg) if sg else None
    versions = {}
    for r in runs:
        versions.update(r.get("versions", {}))
    out = {"command": " ".join(["python", "benchmarks/suite.py"] + args.argv), "machine": _machine(),
           "versions": versions, "load_avg_start_end": load, "rounds": args.rounds,
           "sgemm": {"n": SGEMM_N, "gflops_median": gflops, "gflops_rounds": sg},
           "max_foreign_cores": args.max_foreign,
           "disturbed_runs": sum(1 for r in runs if r.get("foreign_cores", 0) > args.max_foreign),
           "total_runs": len(runs),
           "unavailable": unavailable, "cases": {}, "memory": memory, "runs": runs}
    for case in args.cases:
        title, flops, target = CASES[case]
        res = {}
        for fw in args.frameworks:
            recs = [r for r in runs if r.get("framework") == fw and r.get("case") == case]
            ok = [r for r in recs if "median_s" in r]
            # a run that shared the CPUs with other processes is used only when no undisturbed one exists
            clean = [r for r in ok if r.get("foreign_cores", 0) <= args.max_foreign]
            ok = clean or ok
            if not ok:
                if recs:
                    res[fw] = {"error": recs[0].get("error")}
                continue
            res[fw] = {"median_ms": statistics.median(r["median_s"] for r in ok) * 1e3,
                       "round_medians_ms": [r["median_s"] * 1e3 for r in ok],
                       "peak_rss_mib": statistics.median(r["peak_rss_mib"] for r in ok),
                       "rss_end_mib": statistics.median(r["rss_end_mib"] for r in ok),
                       "minflt_per_step": statistics.median(r["minflt_per_step"] for r in ok),
                       "foreign": sorted({f for r in ok for f in r.get("foreign", [])})}
        entry = {"title": title, "flops": flops, "target": target, "results": res,
                 "limit_ms": flops / (gflops * 1e9) * 1e3 if gflops else None}
        mg, pt = res.get("minigrad", {}), res.get("pytorch", {})
        if "median_ms" in mg and "median_ms" in pt:
            entry["ratio"] = mg["median_ms"] / pt["median_ms"]
            per_round = {fw: {r["round"]: r["median_s"] for r in runs if r.get("framework") == fw
                              and r.get("case") == case and "median_s" in r
                              and r.get("foreign_cores", 0) <= args.max_foreign}
                         for fw in ("minigrad", "pytorch")}
            both = sorted(set(per_round["minigrad"]) & set(per_round["pytorch"]))
            entry["ratio_rounds"] = [per_round["minigrad"][r] / per_round["pytorch"][r] for r in both]
        out["cases"][case] = entry
    return out


def _fmt_ms(ms):
    return f"{ms:.3g} ms" if ms >= 0.1 else f"{ms * 1e3:.3g} µs"


def _fmt_factor(f):
    return f"{f:,.0f}×" if f >= 100 else f"{f:.3g}×"


def _fmt_flops(f):
    for unit, scale in (("GFLOP", 1e9), ("MFLOP", 1e6), ("kFLOP", 1e3)):
        if f >= scale:
            return f"{f / scale:.3g} {unit}"
    return f"{f} FLOP"


NAMES = {"minigrad": "minigrad", "pytorch": "PyTorch", "dezero": "DeZero"}


def format_tables(summary, frameworks):
    gflops = summary["sgemm"]["gflops_median"]
    lines = [f"sgemm ({SGEMM_N}×{SGEMM_N} float32 NumPy matmul, own process): "
             + (f"{gflops:.0f} GFLOP/s (median of {len(summary['sgemm']['gflops_rounds'])} rounds)"
                if gflops else "not measured"), ""]
    head = ["case", "FLOPs", "limit"] + [NAMES[f] for f in frameworks] + ["minigrad / PyTorch", "target"]
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for case, e in summary["cases"].items():
        row = [e["title"], _fmt_flops(e["flops"]), _fmt_ms(e["limit_ms"]) if e["limit_ms"] else "-"]
        for fw in frameworks:
            r = e["results"].get(fw)
            if r is None or "median_ms" not in r:
                row.append("fails" if r else "-")
            elif e["limit_ms"]:
                row.append(f"{_fmt_ms(r['median_ms'])} ({_fmt_factor(r['median_ms'] / e['limit_ms'])})")
            else:
                row.append(_fmt_ms(r["median_ms"]))
        if "ratio" in e:
            met = "ok" if e["ratio"] <= e["target"] else "over"
            spread = (f" ({min(e['ratio_rounds']):.2f}–{max(e['ratio_rounds']):.2f})"
                      if len(e["ratio_rounds"]) > 1 else "")
            row += [f"**{e['ratio']:.2f}**{spread}", f"≤ {e['target']} {met}"]
        else:
            row += ["-", f"≤ {e['target']}"]
        lines.append("| " + " | ".join(row) + " |")
    lines += ["", "(×): time / limit, the limit being the case's FLOPs at the sgemm rate.  Ratio: of the medians "
              "over rounds; in brackets the range of the per-round ratios (rounds where both ran undisturbed).",
              f"Undisturbed: other processes used <= {summary['max_foreign_cores']} cores on average while the "
              f"worker ran; disturbed runs (after retries: {summary['disturbed_runs']} of "
              f"{summary['total_runs']}) count only where a cell has no undisturbed one.", ""]
    head = ["case"] + [f"{NAMES[f]} peak RSS" for f in frameworks]
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for case, e in summary["cases"].items():
        row = [e["title"]]
        for fw in frameworks:
            r = e["results"].get(fw, {})
            row.append(f"{r['peak_rss_mib']:.0f} MiB" if "peak_rss_mib" in r else "-")
        lines.append("| " + " | ".join(row) + " |")
    mem = summary["memory"]
    if mem:
        lines += ["", "LeNet batch-100 training, one process per framework: RSS after step 20 → last step, and "
                  "peak RSS (ru_maxrss)", ""]
        for fw in frameworks:
            m = mem.get(fw)
            if not m or "rss_mib_at_step" not in m:
                continue
            steps = sorted(m["rss_mib_at_step"], key=int)
            growth = m["rss_growth_mib"]
            lines.append(f"- {NAMES[fw]}: {m['rss_mib_at_step'][steps[0]]:.1f} → "
                         f"{m['rss_mib_at_step'][steps[-1]]:.1f} MiB over {m['memory_steps']} steps "
                         f"({growth:+.1f} MiB, {'flat' if growth < RSS_FLAT_MIB else 'GROWING'}); "
                         f"peak {m['peak_rss_mib']:.0f} MiB")
        if "peak_rss_mib" in mem.get("minigrad", {}) and "peak_rss_mib" in mem.get("pytorch", {}):
            ratio = mem["minigrad"]["peak_rss_mib"] / mem["pytorch"]["peak_rss_mib"]
            lines.append(f"- peak RSS minigrad / PyTorch: **{ratio:.2f}** (target ≤ {LENET_RSS_TARGET} "
                         f"{'ok' if ratio <= LENET_RSS_TARGET else 'over'})")
    return "\n".join(lines)


def _csv(choices):
    def parse(text):
        items = [s.strip() for s in text.split(",") if s.strip()]
        bad = [s for s in items if s not in choices]
        if bad or not items:
            raise argparse.ArgumentTypeError(f"expected a comma-separated subset of {', '.join(choices)}, "
                                             f"got {text!r}")
        return items
    return parse


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=5, help="interleaved rounds (default 5)")
    p.add_argument("--repeat", type=int, default=7, help="timed samples per worker (default 7)")
    p.add_argument("--cases", type=_csv(tuple(CASES)), default=list(CASES),
                   help="comma-separated: " + ", ".join(CASES))
    p.add_argument("--frameworks", type=_csv(FRAMEWORKS), default=list(FRAMEWORKS),
                   help="comma-separated: minigrad, pytorch, dezero (a missing one is left out)")
    p.add_argument("--json", metavar="PATH", help="write the summary and every worker's record here")
    p.add_argument("--memory-steps", type=int, default=500,
                   help="LeNet b100 steps of the flat-RSS check, one process per framework (0: skip)")
    p.add_argument("--sample-s", type=float, default=0.1, help="seconds per timed sample (>= 1 step)")
    p.add_argument("--warmup-s", type=float, default=0.3, help="warm-up seconds per worker (>= 2 steps)")
    p.add_argument("--torch-threads", type=int, default=2, help="PyTorch intra-op threads (default 2)")
    p.add_argument("--quiet-wait", type=float, default=60,
                   help="before each worker, wait up to this many seconds for other processes to use at "
                        "most --max-foreign cores (0: don't wait)")
    p.add_argument("--max-foreign", type=float, default=0.1,
                   help="cores other processes may use during a worker before it is re-run (default 0.1)")
    p.add_argument("--retries", type=int, default=2, help="re-runs of a disturbed worker (default 2)")
    p.add_argument("--worker", nargs=2, metavar=("FRAMEWORK", "CASE"), help=argparse.SUPPRESS)
    p.add_argument("--memory-run", type=int, default=0, help=argparse.SUPPRESS)
    p.add_argument("--malloc-setup", default="none", help=argparse.SUPPRESS, choices=MALLOC_SETUPS)
    args = p.parse_args(argv)
    args.argv = argv
    if args.worker:
        return worker(args)
    if args.rounds < 1 or args.repeat < 1:
        p.error("--rounds and --repeat must be at least 1")
    if 0 < args.memory_steps < 100:
        p.error("--memory-steps must be 0 or at least 100 (20 warm-up steps, then checkpoints)")
    print(f"{args.rounds} rounds; each (framework, case) in its own process", file=sys.stderr)
    summary = run_suite(args, log=lambda s: print(s, file=sys.stderr, flush=True))
    print(format_tables(summary, [f for f in args.frameworks if f not in summary["unavailable"]]))
    if args.json:
        tmp = args.json + ".tmp"
        with open(tmp, "w") as fh:
            json.dump(summary, fh, indent=1)
        os.replace(tmp, args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
