"""Step 03: more Functions, composed.

Adds over step 02: Exp. Because every Function takes a Variable and returns a
Variable, Functions chain: y = C(B(A(x))) computes (exp(x**2))**2 one link at a
time, and each intermediate result is a Variable we can look at.
"""
import numpy as np


class Variable:
    def __init__(self, data):
        self.data = data


class Function:
    def __call__(self, input):
        y = self.forward(input.data)
        return Variable(y)

    def forward(self, x):
        raise NotImplementedError(f"{type(self).__name__} does not implement forward()")


class Square(Function):
    def forward(self, x):
        return x ** 2


class Exp(Function):
    def forward(self, x):
        return np.exp(x)


if __name__ == "__main__":
    A, B, C = Square(), Exp(), Square()
    x = Variable(np.array(0.5))
    a = A(x)
    b = B(a)
    y = C(b)
    print("x =", x.data)
    print("a = x ** 2 =", a.data)
    print("b = exp(a) =", b.data)
    print("y = b ** 2 =", y.data)
    print("check exp(2 * x ** 2) =", np.exp(2 * 0.5 ** 2))
