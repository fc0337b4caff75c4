"""IN-PROCESS per-op autograd overhead: a chain of small elementwise ops, forward and backward apart.

In-process (minigrad and PyTorch in one process): it splits the per-op cost into forward and backward
microseconds, which the process-separated suite (benchmarks/suite.py, case `chain`) does not.  On
16-element arrays the allocator effect of importing PyTorch is small, but quote suite.py's numbers.

The chain cycles through mul-by-scalar, sin, add (a second input), tanh on a 16-element float32
vector: the arithmetic is negligible, so the time is the framework's bookkeeping.  minigrad and, when
installed, PyTorch CPU run in alternating rounds of the same process; medians are reported.
It is the place to measure what a fast path in core.py saves per op.

    python benchmarks/op_overhead.py [--ops 2000] [--rounds 15]
"""
import argparse
import statistics
import time

import numpy as np


def minigrad_chain(n_ops):
    import minigrad
    import minigrad.functions as F
    x = minigrad.Variable(np.linspace(-1, 1, 16, dtype=np.float32))
    ops = (lambda y: y * 1.001, F.sin, lambda y: y + x, F.tanh)

    def run():
        x.cleargrad()
        t0 = time.perf_counter()
        y = x
        for i in range(n_ops):
            y = ops[i % 4](y)
        loss = F.sum(y)
        t1 = time.perf_counter()
        loss.backward()
        t2 = time.perf_counter()
        return t1 - t0, t2 - t1
    return run


def torch_chain(n_ops):
    import torch
    x = torch.linspace(-1, 1, 16, dtype=torch.float32, requires_grad=True)
    ops = (lambda y: y * 1.001, torch.sin, lambda y: y + x, torch.tanh)

    def run():
        x.grad = None
        t0 = time.perf_counter()
        y = x
        for i in range(n_ops):
            y = ops[i % 4](y)
        loss = y.sum()
        t1 = time.perf_counter()
        loss.backward()
        t2 = time.perf_counter()
        return t1 - t0, t2 - t1
    return run


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args(argv)

    runners = {"minigrad": minigrad_chain(args.ops)}
    try:
        runners["torch"] = torch_chain(args.ops)
    except ImportError:
        print("PyTorch is not installed: measuring minigrad only (pip install torch for the comparison)")
    times = {name: [] for name in runners}
    for name, run in runners.items():  # warm-up
        run()
    for _ in range(args.rounds):
        for name, run in runners.items():
            times[name].append(run())

    print(f"chain of {args.ops} ops, median of {args.rounds} rounds, microseconds per op "
          "(in-process; benchmarks/suite.py has the process-separated comparison)")
    print(f"{'':10s} {'forward':>9s} {'backward':>9s} {'total':>9s}")
    totals = {}
    for name, ts in times.items():
        fwd = statistics.median(t[0] for t in ts) / args.ops * 1e6
        bwd = statistics.median(t[1] for t in ts) / args.ops * 1e6
        totals[name] = statistics.median(t[0] + t[1] for t in ts) / args.ops * 1e6
        print(f"{name:10s} {fwd:9.2f} {bwd:9.2f} {totals[name]:9.2f}")
    if "torch" in totals:
        print(f"minigrad / torch: {totals['minigrad'] / totals['torch']:.2f}x")


if __name__ == "__main__":
    main()
