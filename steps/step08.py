"""Step 08: backpropagation with a loop instead of recursion.

Adds over step 07: Variable.backward() keeps a list of Functions still to
process and loops until it is empty, so the depth of the graph no longer
counts against Python's recursion limit; each Function now keeps its output
too, to read the gradient arriving there. The demo backpropagates through
1,023 chained squares, deeper than the recursive step 07 can go.
"""
import numpy as np


class Variable:
    def __init__(self, data):
        self.data = data
        self.grad = None
        self.creator = None

    def set_creator(self, func):
        self.creator = func

    def backward(self):
        funcs = [] if self.creator is None else [self.creator]
        while funcs:
            f = funcs.pop()
            x, y = f.input, f.output
            x.grad = f.backward(y.grad)
            if x.creator is not None:
                funcs.append(x.creator)


class Function:
    def __call__(self, input):
        y = self.forward(input.data)
        output = Variable(y)
        output.set_creator(self)
        self.input = input
        self.output = output
        return output

    def forward(self, x):
        raise NotImplementedError(f"{type(self).__name__} does not implement forward()")

    def backward(self, gy):
        raise NotImplementedError(f"{type(self).__name__} does not implement backward()")


class Square(Function):
    def forward(self, x):
        return x ** 2

    def backward(self, gy):
        x = self.input.data
        return 2 * x * gy


class Exp(Function):
    def forward(self, x):
        return np.exp(x)

    def backward(self, gy):
        x = self.input.data
        return np.exp(x) * gy


def numerical_diff(f, x, eps=1e-4):
    y0 = f(Variable(x.data - eps))
    y1 = f(Variable(x.data + eps))
    return (y1.data - y0.data) / (2 * eps)


if __name__ == "__main__":
    x = Variable(np.array(0.5))
    y = Square()(Exp()(Square()(x)))
    y.grad = np.array(1.0)
    y.backward()
    print("x.grad =", x.grad)
    print("numerical dy/dx =", numerical_diff(lambda v: Square()(Exp()(Square()(v))), x))

    # y = x ** (2 ** 1023) at x = 1: each square contributes a factor 2x = 2.
    x = Variable(np.array(1.0))
    y = x
    for _ in range(1023):
        y = Square()(y)
    y.grad = np.array(1.0)
    y.backward()
    print("1023 chained squares at x=1: x.grad =", x.grad, "| 2.0 ** 1023 =", 2.0 ** 1023)
