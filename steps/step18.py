"""Step 18: memory: drop gradients nobody asked for; switch backprop off.

Adds over step 17:
- backward(retain_grad=False) clears the gradient of every Variable a Function
  produced as soon as that Function has used it: usually only the gradients of
  the inputs (the leaves) matter. retain_grad=True keeps them all.
- Config.enable_backprop: when False, Functions skip the bookkeeping for
  backprop (creator links, inputs, generations), so intermediate arrays are
  freed as soon as the next Function has run. using_config(name, value)
  changes a setting inside a with-block and restores it afterwards, even on an
  exception; no_grad() is the shorthand for switching backprop off.
"""
import contextlib
import tracemalloc
import weakref

import numpy as np


class Config:
    enable_backprop = True


@contextlib.contextmanager
def using_config(name, value):
    old_value = getattr(Config, name)
    setattr(Config, name, value)
    try:
        yield
    finally:
        setattr(Config, name, old_value)


def no_grad():
    return using_config("enable_backprop", False)


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

    def backward(self, retain_grad=False):
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
            if not retain_grad:
                for y in f.outputs:
                    y().grad = None


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
        if Config.enable_backprop:
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
    x0, x1 = Variable(np.array(1.0)), Variable(np.array(1.0))
    t = add(x0, x1)
    y = add(x0, t)
    y.backward()
    print("y = x0 + (x0 + x1), backward():                 y.grad =", y.grad, "t.grad =", t.grad,
          "| x0.grad =", x0.grad, "x1.grad =", x1.grad)

    x0.cleargrad()
    x1.cleargrad()
    t = add(x0, x1)
    y = add(x0, t)
    y.backward(retain_grad=True)
    print("y = x0 + (x0 + x1), backward(retain_grad=True): y.grad =", y.grad, "t.grad =", t.grad,
          "| x0.grad =", x0.grad, "x1.grad =", x1.grad)

    def held_by_y(x):
        """Bytes that y = square(square(square(x))) keeps allocated, besides x itself."""
        tracemalloc.start()
        y = square(square(square(x)))
        held = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        return y, held

    x = Variable(np.ones(100_000))
    y, held = held_by_y(x)
    print(f"with backprop: y.creator is {type(y.creator).__name__}, y keeps {held / 1e6:.1f} MB alive "
          "(its own array and the two intermediates)")
    with no_grad():
        y, held = held_by_y(x)
        print(f"in no_grad(): y.creator is {y.creator}, y keeps {held / 1e6:.1f} MB alive (its own array)")
    print("after the with-block: Config.enable_backprop =", Config.enable_backprop)
