"""IN-PROCESS LeNet step and conv layer, minigrad beside PyTorch in one process; kept for --gpu.

On the CPU these numbers flatter minigrad: importing PyTorch into minigrad's process raises glibc
malloc's mmap threshold and starts thread pools, which makes minigrad up to 2x faster than it is in a
user's script.  The CPU figures the project quotes come from benchmarks/suite.py (one process per
framework and case).  This script remains for the GPU comparison (CuPy against PyTorch CUDA), where
the host allocator does not decide the result, and as a quick same-process A/B of minigrad changes.

  * LeNet (conv 6@5x5 - ReLU - max pool 2 - conv 16@5x5 - ReLU - max pool 2 - flatten - fc 120 - ReLU -
    fc 84 - ReLU - fc 10, softmax cross entropy): one SGD training step (forward, backward, update) on a
    batch of 100 28x28 images;
  * a mid-size convolution layer (N=32, C=64, 32x32, 3x3, pad 1, 64 filters): forward and backward
    (gradients of x, W and b).

minigrad and, when installed, PyTorch run in alternating rounds of the same process; the table shows
the median milliseconds and the ratio minigrad / PyTorch (with a verdict against a target on the GPU
only).

    python benchmarks/bench_lenet.py [--rounds 15] [--steps 5] [--gpu] [--memory [--memory-steps 500]]

--gpu runs minigrad on CuPy (and PyTorch on CUDA when it has it); CuPy is imported only then.
--memory trains LeNet for --memory-steps steps and reports the resident memory (RSS) along the way: it
must stay flat (no growth from graphs or caches kept alive between steps).
"""
import argparse
import os
import statistics
import sys
import time


def _preset_threads(argv):
    """--threads N must reach OpenBLAS before NumPy loads it."""
    for i, arg in enumerate(argv):
        value = arg.split("=", 1)[1] if arg.startswith("--threads=") else (
            argv[i + 1] if arg == "--threads" and i + 1 < len(argv) else None)
        if value is not None and value.isdigit():
            for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
                os.environ[var] = value


if __name__ == "__main__":
    _preset_threads(sys.argv[1:])

import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
if os.path.dirname(HERE) not in sys.path:
    sys.path.insert(0, os.path.dirname(HERE))

LENET_GPU_TARGET = 2.0  # minigrad on CuPy / PyTorch CUDA, LeNet step
IN_PROCESS_NOTE = ("in-process: PyTorch is imported beside minigrad, which flatters minigrad on the CPU; "
                   "the CPU comparison is benchmarks/suite.py")
GPU_SPEEDUP_TARGET = 10  # minigrad CPU / minigrad GPU, LeNet step (meant for --batch 1000)


# =============================================================================
# minigrad
# =============================================================================
def minigrad_lenet_step(xp, sync, batch=100):
    import minigrad.functions as F
    from minigrad import optimizers
    from minigrad.models import LeNet

    np.random.seed(0)
    model = LeNet(in_channels=1)
    if xp is not np:
        model.to_gpu()
    opt = optimizers.SGD(lr=0.01).setup(model)
    rng = np.random.default_rng(0)
    x = xp.asarray(rng.standard_normal((batch, 1, 28, 28)).astype(np.float32))
    t = xp.asarray(rng.integers(0, 10, batch))

    def step():
        y = model(x)
        loss = F.softmax_cross_entropy(y, t)
        model.cleargrads()
        loss.backward()
        opt.update()
        sync()
        return loss
    return step


def minigrad_conv_layer(xp, sync, n=32, c=64, hw=32, oc=64, k=3, pad=1):
    import minigrad.functions_conv as FC
    from minigrad.core import Variable

    rng = np.random.default_rng(0)
    x = Variable(xp.asarray(rng.standard_normal((n, c, hw, hw)).astype(np.float32)))
    W = Variable(xp.asarray((rng.standard_normal((oc, c, k, k)) * 0.05).astype(np.float32)))
    b = Variable(xp.zeros(oc, dtype=np.float32))
    out = hw + 2 * pad - k + 1
    gy = Variable(xp.asarray(rng.standard_normal((n, oc, out, out)).astype(np.float32)))

    def step():
        x.cleargrad(), W.cleargrad(), b.cleargrad()
        y = FC.conv2d(x, W, b, 1, pad)
        y.grad = gy
        y.backward()
        sync()
    return step


# =============================================================================
# PyTorch
# =============================================================================
def torch_lenet_step(device, batch=100):
    import torch
    import torch.nn as nn

    torch.manual_seed(0)
    model = nn.Sequential(
        nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(256, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10),
    ).to(device)
    opt = torch.optim.SGD(model.parameters(), lr=0.01)
    rng = np.random.default_rng(0)
    x = torch.tensor(rng.standard_normal((batch, 1, 28, 28)).astype(np.float32), device=device)
    t = torch.tensor(rng.integers(0, 10, batch), device=device)
    sync = _torch_sync(device)

    def step():
        opt.zero_grad(set_to_none=True)
        loss = nn.functional.cross_entropy(model(x), t)
        loss.backward()
        opt.step()
        sync()
    return step


def torch_conv_layer(device, n=32, c=64, hw=32, oc=64, k=3, pad=1):
    import torch

    rng = np.random.default_rng(0)
    x = torch.tensor(rng.standard_normal((n, c, hw, hw)).astype(np.float32), device=device,
                     requires_grad=True)
    W = torch.tensor((rng.standard_normal((oc, c, k, k)) * 0.05).astype(np.float32), device=device,
                     requires_grad=True)
    b = torch.zeros(oc, device=device, requires_grad=True)
    out = hw + 2 * pad - k + 1
    gy = torch.tensor(rng.standard_normal((n, oc, out, out)).astype(np.float32), device=device)
    sync = _torch_sync(device)

    def step():
        x.grad = W.grad = b.grad = None
        y = torch.nn.functional.conv2d(x, W, b, padding=pad)
        y.backward(gy)
        sync()
    return step


def _torch_sync(device):
    if device == "cuda":
        import torch
        return torch.cuda.synchronize
    return lambda: None


def _torch_device(gpu):
    """'cpu' or 'cuda', or None when PyTorch is not installed."""
    try:
        import torch
    except ImportError:
        return None
    if gpu:
        return "cuda" if torch.cuda.is_available() else None
    return "cpu"


# =============================================================================
# Timing
# =============================================================================
_clock = time.perf_counter


def time_rounds(runners, rounds, steps, warmup=3):
    """Median milliseconds per call of each runner, rounds interleaved so noise hits all of them."""
    for run in runners.values():
        for _ in range(warmup):
            run()
    samples = {name: [] for name in runners}
    for _ in range(rounds):
        for name, run in runners.items():
            t0 = _clock()
            for _ in range(steps):
                run()
            samples[name].append((_clock() - t0) / steps * 1e3)
    return {name: statistics.median(s) for name, s in samples.items()}


def _rss_mb():
    try:
        with open("/proc/self/statm") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2 ** 20
    except (OSError, ValueError):
        import resource
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # peak, Linux KiB


def memory_check(step, n_steps, gpu_used_mb=None):
    """Memory (MiB: host RSS, or GPU memory-pool use) after warm-up and at checkpoints; returns
    (growth MiB, table rows)."""
    measure = gpu_used_mb or _rss_mb
    for _ in range(20):
        step()
    rows = [(20, measure())]
    marks = sorted({n_steps // 4, n_steps // 2, 3 * n_steps // 4, n_steps})
    for i in range(21, n_steps + 1):
        step()
        if i in marks:
            rows.append((i, measure()))
    return rows[-1][1] - rows[0][1], rows


def _load_warning():
    try:
        load = os.getloadavg()[0]
    except (AttributeError, OSError):
        return None
    cpus = os.cpu_count() or 1
    if load > 0.75 * cpus:
        return (f"warning: the machine is busy (load {load:.1f} on {cpus} cpus); multi-threaded BLAS "
                "timings swing widely under contention. Compare in one run, or use --threads 1 --cpu-time.")
    return None


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15, help="interleaved timing rounds")
    parser.add_argument("--steps", type=int, default=5, help="calls per round")
    parser.add_argument("--batch", type=int, default=100, help="LeNet batch size")
    parser.add_argument("--gpu", action="store_true", help="minigrad on CuPy, PyTorch on CUDA")
    parser.add_argument("--threads", type=int, default=None,
                        help="BLAS/OpenMP threads for both (default: the libraries' own choice)")
    parser.add_argument("--cpu-time", action="store_true",
                        help="measure process CPU time instead of wall time (steadier on a busy machine)")
    parser.add_argument("--no-torch", action="store_true", help="time minigrad only")
    parser.add_argument("--memory", action="store_true", help="check that RSS stays flat while training")
    parser.add_argument("--memory-steps", type=int, default=500)
    args = parser.parse_args(argv)
    if args.memory and args.memory_steps < 100:
        parser.error("--memory-steps must be at least 100 (20 warm-up steps, then 4 checkpoints)")

    if args.gpu:
        from minigrad import cuda
        cp = cuda._cupy()
        xp = cp

        def sync():
            cp.cuda.Device().synchronize()
    else:
        xp = np

        def sync():
            pass

    global _clock
    if args.cpu_time:
        _clock = time.process_time
    torch_device = None if args.no_torch else _torch_device(args.gpu)
    if torch_device is not None and args.threads:
        import torch
        torch.set_num_threads(args.threads)
    lenet = minigrad_lenet_step(xp, sync, args.batch)
    runners_lenet = {"minigrad": lenet}
    if args.gpu:  # the GPU target is a speed-up over minigrad on the CPU, measured in the same run
        runners_lenet["minigrad-cpu"] = minigrad_lenet_step(np, lambda: None, args.batch)
    runners_conv = {"minigrad": minigrad_conv_layer(xp, sync)}
    if torch_device is not None:
        import torch
        runners_lenet["pytorch"] = torch_lenet_step(torch_device, args.batch)
        runners_conv["pytorch"] = torch_conv_layer(torch_device)

    device = "GPU (CuPy)" if args.gpu else "CPU (NumPy)"
    print(IN_PROCESS_NOTE)
    print(f"minigrad on {device}; numpy {np.__version__}; cpus {os.cpu_count()}")
    if torch_device is not None:
        print(f"pytorch {torch.__version__} on {torch_device} ({torch.get_num_threads()} threads)")
    else:
        print("pytorch: not installed" + (" with CUDA" if args.gpu else "") + " (minigrad only)")
    warning = _load_warning()
    if warning:
        print(warning)
    print(f"medians of {args.rounds} interleaved rounds x {args.steps} calls"
          f"{' (process CPU time)' if args.cpu_time else ''}\n")

    results = [
        (f"LeNet training step, batch {args.batch}", time_rounds(runners_lenet, args.rounds, args.steps),
         LENET_GPU_TARGET if args.gpu else None),
        ("conv 64->64 3x3 pad 1, N=32 32x32, fwd+bwd", time_rounds(runners_conv, args.rounds, args.steps),
         None),
    ]
    header = f"{'benchmark':<46} {'minigrad ms':>12} {'pytorch ms':>11} {'ratio':>7} {'target':>7}"
    print(header)
    print("-" * len(header))
    for name, res, target in results:
        mg = res["minigrad"]
        pt = res.get("pytorch")
        if pt is None:
            print(f"{name:<46} {mg:>12.2f} {'-':>11} {'-':>7} {'-':>7}")
        else:
            ratio = mg / pt
            if target is None:  # CPU, in-process: no verdict (see IN_PROCESS_NOTE)
                print(f"{name:<46} {mg:>12.2f} {pt:>11.2f} {ratio:>7.2f} {'-':>7}")
                continue
            verdict = "ok" if ratio <= target else "SLOW"
            print(f"{name:<46} {mg:>12.2f} {pt:>11.2f} {ratio:>7.2f} {'<=' + str(target):>7} {verdict}")
        if "minigrad-cpu" in res:
            speedup = res["minigrad-cpu"] / mg
            verdict = "ok" if speedup >= GPU_SPEEDUP_TARGET else "SLOW"
            print(f"{'  minigrad CPU ' + format(res['minigrad-cpu'], '.2f') + ' ms: GPU speed-up':<46} "
                  f"{speedup:>12.1f}x {'>=' + str(GPU_SPEEDUP_TARGET):>27} {verdict}")

    if args.memory:
        gpu_used_mb, what = None, "RSS"
        if args.gpu:
            pool = cp.get_default_memory_pool()
            gpu_used_mb, what = (lambda: pool.used_bytes() / 2 ** 20), "GPU pool"
        print(f"\nmemory: LeNet training, {args.memory_steps} steps")
        growth, rows = memory_check(lenet, args.memory_steps, gpu_used_mb)
        for i, mb in rows:
            print(f"  after step {i:>5}: {what} {mb:8.1f} MiB")
        flat = growth < 20.0
        print(f"  growth {growth:+.1f} MiB: {'flat' if flat else 'GROWING'}")
        if not flat:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
