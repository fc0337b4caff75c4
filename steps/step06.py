"""Step 06: each Function knows its own derivative; backprop by hand with them.

Adds over step 05: Variable.grad, Function.backward(gy) and the input kept by
each Function call. backward() receives dy/d(output) and returns dy/d(input),
using the input remembered from forward (Square needs x for 2x, Exp needs x for
exp(x)). We still call the backward methods ourselves, in reverse order.
"""
import numpy as np


class Variable:
    def __init__(self, data):
        self.data = data
        self.grad = None


class Function:
    def __call__(self, input):
        y = self.forward(input.data)
        self.input = input
        return Variable(y)

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
    A, B, C = Square(), Exp(), Square()
    x = Variable(np.array(0.5))
    a = A(x)
    b = B(a)
    y = C(b)

    y.grad = np.array(1.0)
    b.grad = C.backward(y.grad)
    a.grad = B.backward(b.grad)
    x.grad = A.backward(a.grad)
    print("b.grad =", b.grad)
    print("a.grad =", a.grad)
    print("x.grad =", x.grad)
    print("numerical dy/dx =", numerical_diff(lambda v: Square()(Exp()(Square()(v))), x))
