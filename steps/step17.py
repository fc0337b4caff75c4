"""Step 17: memory: a Function holds its outputs through weak references.

Adds over step 16: Function keeps weakref.ref()s to its outputs. Before, an
output pointed to its creator and the creator back to the output: a reference
cycle, which CPython's reference counting cannot free, so every graph waited
for the cyclic garbage collector. Now nothing points back to an output, and a
graph is freed the moment its last Variable goes away. The demo runs ten
computations on 100,000-element arrays with the cyclic collector switched off
and measures what they leave behind, with the old strong references and with
weak ones.
"""
import gc
import tracemalloc
import weakref

import numpy as np


class Variable:
    def __init__(self, data):
        if data is not None and not isinstance(data, np.ndarray):
            raise TypeError(f"Variable: data must be a numpy.ndarray or None, got {type(data).__name__}")
        self.data = data
        self.grad = None
        self.creator = None
        self.generation = 0

    def set_creator(self, func):
        self.creator = func
        self.generation = func.generation + 1

    def cleargrad(self):
        self.grad = None

    def backward(self):
        if self.grad is None:
            self.grad = np.ones_like(self.data)
        funcs = []
        seen = set()

        def add_func(f):
            if f not in seen:
                seen.add(f)
                funcs.append(f)
                funcs.sort(key=lambda func: func.generation)

        if self.creator is not None:
            add_func(self.creator)
        while funcs:
            f = funcs.pop()
            gys = [output().grad for output in f.outputs]
            gxs = f.backward(*gys)
            if not isinstance(gxs, tuple):
                gxs = (gxs,)
            for x, gx in zip(f.inputs, gxs):
                if x.grad is None:
                    x.grad = gx
                else:
                    # A new array, not +=: x.grad may be the very array another
                    # Variable holds as its grad (Add passes gy on unchanged).
                    x.grad = x.grad + gx
                if x.creator is not None:
                    add_func(x.creator)


def as_array(x):
    if np.isscalar(x):
        return np.array(x)
    return x


class Function:
    def __call__(self, *inputs):
        xs = [x.data for x in inputs]
        ys = self.forward(*xs)
        if not isinstance(ys, tuple):
            ys = (ys,)
        outputs = [Variable(as_array(y)) for y in ys]
        self.generation = max(x.generation for x in inputs)
        for output in outputs:
            output.set_creator(self)
        self.inputs = inputs
        self.outputs = [weakref.ref(output) for output in outputs]
        return outputs if len(outputs) > 1 else outputs[0]

    def forward(self, *xs):
        raise NotImplementedError(f"{type(self).__name__} does not implement forward()")

    def backward(self, *gys):
        raise NotImplementedError(f"{type(self).__name__} does not implement backward()")


class Square(Function):
    def forward(self, x):
        return x ** 2

    def backward(self, gy):
        x = self.inputs[0].data
        return 2 * x * gy


class Exp(Function):
    def forward(self, x):
        return np.exp(x)

    def backward(self, gy):
        x = self.inputs[0].data
        return np.exp(x) * gy


class Add(Function):
    def forward(self, x0, x1):
        return x0 + x1

    def backward(self, gy):
        return gy, gy


def square(x):
    return Square()(x)


def exp(x):
    return Exp()(x)


def add(x0, x1):
    return Add()(x0, x1)


if __name__ == "__main__":
    x = Variable(np.array(2.0))
    a = square(x)
    y = add(square(a), square(a))
    y.backward()
    print("backprop works as before: x.grad =", x.grad)

    class StrongSquare(Square):
        """Square that also holds its output strongly, as every Function did up to step 16."""

        def __call__(self, *inputs):
            self.strong_output = super().__call__(*inputs)
            return self.strong_output

    def left_behind(square_fn):
        """Bytes still allocated, and objects the cyclic collector then frees, after ten graphs."""
        gc.collect()
        gc.disable()
        tracemalloc.start()
        for _ in range(10):
            square_fn(square_fn(square_fn(Variable(np.ones(100_000)))))  # built, then dropped
        held = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        freed = gc.collect()
        gc.enable()
        return held, freed

    for label, square_fn in [("strong", lambda v: StrongSquare()(v)), ("weak", square)]:
        held, freed = left_behind(square_fn)
        print(f"{label:>6} references to outputs: {held / 1e6:.1f} MB left after the loop, "
              f"gc.collect() then freed {freed} objects")
