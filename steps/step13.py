"""Step 13: backpropagation through Functions with several inputs.

Adds over step 12: backward(*gys) takes one gradient per output and returns
one per input (a bare array when there is one). Variable.backward() gathers
the output gradients of each Function, hands the returned gradients to the
matching inputs and queues their creators. Add.backward passes its gradient
to both inputs unchanged. One problem remains, shown at the end: a Variable
used twice keeps only the last gradient it receives.
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
            gys = [output.grad for output in f.outputs]
            gxs = f.backward(*gys)
            if not isinstance(gxs, tuple):
                gxs = (gxs,)
            for x, gx in zip(f.inputs, gxs):
                x.grad = gx
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
    x, y = Variable(np.array(2.0)), Variable(np.array(3.0))
    z = add(square(x), square(y))
    z.backward()
    print("z = x**2 + y**2 at x=2, y=3: z =", z.data)
    print("x.grad =", x.grad, "(2x = 4)")
    print("y.grad =", y.grad, "(2y = 6)")

    x = Variable(np.array(3.0))
    y = add(x, x)
    y.backward()
    print("y = add(x, x): x.grad =", x.grad, "(wrong: should be 2; step 14 fixes this)")
