"""Step 11: Functions with several inputs and outputs (forward).

Adds over step 10: Function.__call__ takes a list of Variables and returns a
list; forward() takes a list of arrays and returns a tuple. That makes room
for Add, the first Function of two inputs. Backpropagation still handles only
one-input, one-output Functions (inputs[0], outputs[0]); step 13 generalizes
it. The unit tests of step 10 and numerical_diff are left out from here on.
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
    def __call__(self, inputs):
        xs = [x.data for x in inputs]
        ys = self.forward(xs)
        outputs = [Variable(as_array(y)) for y in ys]
        for output in outputs:
            output.set_creator(self)
        self.inputs = inputs
        self.outputs = outputs
        return outputs

    def forward(self, xs):
        raise NotImplementedError(f"{type(self).__name__} does not implement forward()")

    def backward(self, gy):
        raise NotImplementedError(f"{type(self).__name__} does not implement backward()")


class Square(Function):
    def forward(self, xs):
        x, = xs
        return (x ** 2,)

    def backward(self, gy):
        x = self.inputs[0].data
        return 2 * x * gy


class Exp(Function):
    def forward(self, xs):
        x, = xs
        return (np.exp(x),)

    def backward(self, gy):
        x = self.inputs[0].data
        return np.exp(x) * gy


class Add(Function):
    def forward(self, xs):
        x0, x1 = xs
        return (x0 + x1,)


def square(x):
    return Square()([x])[0]


def exp(x):
    return Exp()([x])[0]


if __name__ == "__main__":
    xs = [Variable(np.array(2)), Variable(np.array(3))]
    ys = Add()(xs)
    print("Add()([Variable(2), Variable(3)]) ->", [y.data for y in ys])

    x = Variable(np.array(0.5))
    y = square(exp(square(x)))
    y.backward()
    print("one-input chains still backpropagate: x.grad =", x.grad)
