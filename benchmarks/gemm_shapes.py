"""The GEMM rate each framework's BLAS reaches on the shapes of the suite's steps.

    python benchmarks/gemm_shapes.py [--rounds 3]

NumPy's matmul (OpenBLAS in NumPy's wheels: what minigrad calls) and torch.matmul (MKL in PyTorch's
CPU wheels), each in its own process as in suite.py, rounds alternated; float32, medians.  The shapes
are the MLP step's eight products (forward, weight and input gradients; no input gradient for the
first layer) and one kernel offset's product of the direct convolution path in the conv case.  Where
the MLP's total differs between the two columns, no change to minigrad's own code closes the gap.
"""
import argparse
import json
import statistics
import subprocess
import sys
import time

# (name, M, K, N, a stored transposed, b stored transposed): out (M, N) = a (M, K) @ b (K, N)
SHAPES = (
    ("MLP fc1 forward", 100, 784, 1000, False, False),
    ("MLP fc2 forward", 100, 1000, 1000, False, False),
    ("MLP fc3 forward", 100, 1000, 10, False, False),
    ("MLP fc3 weight gradient", 1000, 100, 10, True, False),
    ("MLP fc3 input gradient", 100, 10, 1000, False, True),
    ("MLP fc2 weight gradient", 1000, 100, 1000, True, False),
    ("MLP fc2 input gradient", 100, 1000, 1000, False, True),
    ("MLP fc1 weight gradient", 784, 100, 1000, True, False),
    ("conv, one kernel offset", 64, 64, 34848, False, False),
)
FRAMEWORKS = ("numpy", "pytorch")


def worker(framework):
    """Median time of each shape's product in this process, as JSON on stdout."""
    import numpy as np
    rng = np.random.default_rng(0)
    if framework == "pytorch":
        import torch
        torch.set_num_threads(2)
        matmul, wrap = torch.matmul, torch.from_numpy
    else:
        matmul, wrap = np.matmul, (lambda a: a)
    times = {}
    for name, M, K, N, ta, tb in SHAPES:
        a = wrap(rng.standard_normal((K, M) if ta else (M, K), dtype=np.float32))
        b = wrap(rng.standard_normal((N, K) if tb else (K, N), dtype=np.float32))
        a, b = (a.T if ta else a), (b.T if tb else b)
        for _ in range(10):
            matmul(a, b)
        samples = []
        for _ in range(100):
            start = time.perf_counter()
            matmul(a, b)
            samples.append(time.perf_counter() - start)
        times[name] = statistics.median(samples)
    print(json.dumps(times))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--worker", choices=FRAMEWORKS)
    args = parser.parse_args()
    if args.worker:
        return worker(args.worker)
    runs = {fw: [] for fw in FRAMEWORKS}
    for r in range(args.rounds):
        for fw in (FRAMEWORKS if r % 2 == 0 else FRAMEWORKS[::-1]):
            out = subprocess.run([sys.executable, __file__, "--worker", fw], capture_output=True,
                                 text=True, check=True)
            runs[fw].append(json.loads(out.stdout))
    med = {fw: {name: statistics.median(run[name] for run in runs[fw]) for name, *_ in SHAPES}
           for fw in FRAMEWORKS}
    print(f"{args.rounds} rounds, each framework in its own process; float32, medians\n")
    print("| product (M×K @ K×N) | NumPy (OpenBLAS) | PyTorch (MKL) | NumPy / PyTorch |")
    print("|---|---|---|---|")
    totals = dict.fromkeys(FRAMEWORKS, 0.0)
    for name, M, K, N, _, _ in SHAPES:
        flops = 2 * M * K * N
        cells = [f"{med[fw][name] * 1e3:.3f} ms ({flops / med[fw][name] / 1e9:.0f} GFLOP/s)"
                 for fw in FRAMEWORKS]
        if name.startswith("MLP"):
            for fw in FRAMEWORKS:
                totals[fw] += med[fw][name]
        print(f"| {name} ({M}×{K} @ {K}×{N}) | {cells[0]} | {cells[1]} | "
              f"{med['numpy'][name] / med['pytorch'][name]:.2f} |")
    print(f"| the MLP step's eight | {totals['numpy'] * 1e3:.2f} ms | {totals['pytorch'] * 1e3:.2f} ms | "
          f"{totals['numpy'] / totals['pytorch']:.2f} |")


if __name__ == "__main__":
    main()
