"""Step 04: numerical differentiation.

Adds over step 03: numerical_diff(), the central difference
(f(x + eps) - f(x - eps)) / (2 * eps). It works for any function built from our
Functions, with no knowledge of how they are made, but costs two forward passes
per input and loses digits to rounding. Its error is O(eps**2), against O(eps)
for the one-sided difference, as the demo shows.
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


def numerical_diff(f, x, eps=1e-4):
    y0 = f(Variable(x.data - eps))
    y1 = f(Variable(x.data + eps))
    return (y1.data - y0.data) / (2 * eps)


if __name__ == "__main__":
    x = Variable(np.array(2.0))
    print("d/dx x**2 at x=2.0:", numerical_diff(Square(), x), "(exact 4)")

    def f(x):
        A, B, C = Square(), Exp(), Square()
        return C(B(A(x)))

    x = Variable(np.array(0.5))
    exact = 4 * 0.5 * np.exp(2 * 0.5 ** 2)  # y = exp(2x^2), so dy/dx = 4x exp(2x^2)
    central = numerical_diff(f, x)
    eps = 1e-4
    forward = (f(Variable(x.data + eps)).data - f(x).data) / eps
    print("d/dx square(exp(square(x))) at x=0.5:", central)
    print("exact value 4x*exp(2x^2):          ", exact)
    print(f"central difference error: {abs(central - exact):.1e}")
    print(f"forward difference error: {abs(forward - exact):.1e}")
