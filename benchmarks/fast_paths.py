"""What the engine's fast paths buy: minigrad.core's Function.__call__ and backward loop against plain
versions of the same logic (DeZero-shaped), on the 1,000-op elementwise chain of op_overhead.py.

One process, minigrad only, variants interleaved round by round; medians of the forward and backward
times.  The figures quoted in minigrad/core.py's comments come from this script.

    python benchmarks/fast_paths.py [--ops 1000] [--rounds 25]
"""
import argparse
import statistics
import weakref

import numpy as np

import minigrad
from minigrad import cuda
from minigrad.core import Config, Function, Variable, as_array, as_variable
from op_overhead import minigrad_chain  # the same chain as op_overhead.py (run from benchmarks/)


def plain_call(self, *inputs):
    """Function.__call__ without the fast paths: lists for any number of inputs and outputs, a device
    check and as_array on every call."""
    inputs = [as_variable(x) for x in inputs]
    xs = [x.data for x in inputs]
    cuda.check_same_device(type(self).__name__, xs)
    ys = self.forward(*xs)
    if not isinstance(ys, tuple):
        ys = (ys,)
    outputs = [Variable(as_array(y)) for y in ys]
    if Config.enable_backprop:
        self.generation = max([x.generation for x in inputs])
        for y in outputs:
            y.creator = self
            y.generation = self.generation + 1
        self.inputs = inputs
        self.outputs = [weakref.ref(y) for y in outputs]
    return outputs if len(outputs) > 1 else outputs[0]


def plain_backward(self, retain_grad=False, create_graph=False):
    """Variable.backward without the fast paths: a list re-sorted by generation, outputs as lists."""
    if self.grad is None:
        self.grad = Variable(np.ones_like(self.data))
    funcs, seen = [], set()

    def add(f):
        if f not in seen:
            funcs.append(f)
            seen.add(f)
            funcs.sort(key=lambda g: g.generation)
    add(self.creator)
    with minigrad.using_config("enable_backprop", create_graph):
        while funcs:
            f = funcs.pop()
            gxs = f.backward(*[ref().grad for ref in f.outputs])
            if not isinstance(gxs, tuple):
                gxs = (gxs,)
            for x, gx in zip(f.inputs, gxs):
                if gx is not None:
                    x.grad = gx if x.grad is None else x.grad + gx
                    if x.creator is not None:
                        add(x.creator)
            if not retain_grad:
                for ref in f.outputs:
                    ref().grad = None


def compare(label, owner, attr, plain, run, rounds):
    fast = getattr(owner, attr)
    times = {"fast": [], "plain": []}
    try:
        for r in range(rounds):
            order = (("fast", fast), ("plain", plain)) if r % 2 else (("plain", plain), ("fast", fast))
            for name, impl in order:
                setattr(owner, attr, impl)
                times[name].append(run())
    finally:
        setattr(owner, attr, fast)
    for name, t in times.items():
        fwd = statistics.median(a for a, _ in t) * 1e3
        bwd = statistics.median(b for _, b in t) * 1e3
        print(f"{label:<22} {name:<6} forward {fwd:6.2f} ms  backward {bwd:6.2f} ms")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ops", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=25)
    args = parser.parse_args(argv)
    run = minigrad_chain(args.ops)
    print(f"{args.ops}-op chain, medians of {args.rounds} interleaved rounds")
    compare("Function.__call__", Function, "__call__", plain_call, run, args.rounds)
    compare("Variable.backward", Variable, "backward", plain_backward, run, args.rounds)


if __name__ == "__main__":
    main()
