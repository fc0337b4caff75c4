"""Step 05: backpropagation, worked by hand.

Adds over step 04: no new code in the framework, a new way to use it. The chain
rule says dy/dx for y = C(B(A(x))) is the product of the local derivatives
C'(b) * B'(a) * A'(x). Multiplying them from the output back to the input
(backpropagation) carries one number, dy/d(this variable), along the chain, and
gives the derivative for every intermediate variable in one pass whose cost is
about one forward pass. The demo does it by hand and checks it against
numerical_diff.
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
    A, B, C = Square(), Exp(), Square()
    x = Variable(np.array(0.5))
    a = A(x)
    b = B(a)
    y = C(b)

    # Backward, from the output to the input: gradient so far times local derivative.
    dy_dy = 1.0
    dy_db = 2 * b.data * dy_dy      # C is square: dC/db = 2b
    dy_da = np.exp(a.data) * dy_db  # B is exp:    dB/da = exp(a)
    dy_dx = 2 * x.data * dy_da      # A is square: dA/dx = 2x
    print("dy/dy =", dy_dy)
    print("dy/db =", dy_db)
    print("dy/da =", dy_da)
    print("dy/dx =", dy_dx)
    print("numerical dy/dx =", numerical_diff(lambda v: C(B(A(v))), x))
