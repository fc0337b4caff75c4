"""Step 12: a friendlier interface for several inputs.

Adds over step 11: Function.__call__(*inputs) takes Variables as separate
arguments and returns a bare Variable when there is one output; forward(*xs)
takes arrays as separate arguments and may return a bare array. Square reads
as before step 11 again, Add as forward(x0, x1), and add(x0, x1) wraps it.
Backpropagation still handles one-input, one-output Functions only.
"""
import numpy as np


class Variable:
    def __init__(self, data):
        if data is not None and not isinstance(data, np.ndarray):
            raise TypeError(f"Variable: data must be a numpy.ndarray or None, got {type(data).__name__}")
        self.data = data
        self.grad = None
        self.creator = None

    def set_creator(self, func):
        self.creator = func

    def backward(self):
        if self.grad is None:
            self.grad = np.ones_like(self.data)
        funcs = [] if self.creator is None else [self.creator]
        while funcs:
            f = funcs.pop()
            x, y = f.inputs[0], f.outputs[0]
            x.grad = f.backward(y.grad)
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
        for output in outputs:
            output.set_creator(self)
        self.inputs = inputs
        self.outputs = outputs
        return outputs if len(outputs) > 1 else outputs[0]

    def forward(self, *xs):
        raise NotImplementedError(f"{type(self).__name__} does not implement forward()")

    def backward(self, gy):
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


def square(x):
    return Square()(x)


def exp(x):
    return Exp()(x)


def add(x0, x1):
    return Add()(x0, x1)


if __name__ == "__main__":
    x0, x1 = Variable(np.array(2)), Variable(np.array(3))
    y = add(x0, x1)
    print("add(Variable(2), Variable(3)) =", y.data)

    x, y = Variable(np.array(2.0)), Variable(np.array(3.0))
    z = add(square(x), square(y))
    print("add(square(2.0), square(3.0)) =", z.data)
