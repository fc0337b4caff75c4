"""Step 15: complex graphs need an order; generations give one.

Adds over step 14: every Variable and Function records its generation, its
distance from the inputs. A Function's generation is the largest generation
among its inputs, and its outputs are one generation further. The backward
loop does not use it yet, and the demo shows why it must: in
y = (x**2)**2 + (x**2)**2 the variable a = x**2 feeds two Functions, and the
last-in-first-out loop runs a's creator once per use, before a has collected
its whole gradient, so x.grad comes out 96 instead of 64.
"""
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
        funcs = [] if self.creator is None else [self.creator]
        while funcs:
            f = funcs.pop()
            gys = [output.grad for output in f.outputs]
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
                    funcs.append(x.creator)


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
        self.outputs = outputs
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
    b, c = square(a), square(a)
    y = add(b, c)
    for name, v in [("x", x), ("a", a), ("b", b), ("c", c), ("y", y)]:
        creator = "none" if v.creator is None else f"{type(v.creator).__name__} (generation {v.creator.generation})"
        print(f"{name}: generation {v.generation}, created by {creator}")

    y.backward()
    print("y = (x**2)**2 + (x**2)**2 at x=2: y =", y.data)
    print("x.grad =", x.grad, "(wrong: dy/dx = 8x**3 = 64; step 16 processes Functions by generation)")
