"""Step 07: automatic backpropagation, by recursion.

Adds over step 06: each Variable records its creator (the Function that made
it), so the computation leaves behind a linked graph
x <- A <- a <- B <- b <- C <- y. Variable.backward() follows the links:
it asks its creator for the gradient of the creator's input, stores it there,
and calls backward() on that input in turn, until it reaches a Variable nobody
created (the input x).
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
        f = self.creator
        if f is not None:
            x = f.input
            x.grad = f.backward(self.grad)
            x.backward()


class Function:
    def __call__(self, input):
        y = self.forward(input.data)
        output = Variable(y)
        output.set_creator(self)
        self.input = input
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
    A, B, C = Square(), Exp(), Square()
    x = Variable(np.array(0.5))
    a = A(x)
    b = B(a)
    y = C(b)

    # The graph, walked backwards through the links.
    print("y.creator is C:", y.creator is C, "| C.input is b:", C.input is b)
    print("b.creator is B:", b.creator is B, "| B.input is a:", B.input is a)
    print("a.creator is A:", a.creator is A, "| A.input is x:", A.input is x)
    print("x.creator is None:", x.creator is None)

    y.grad = np.array(1.0)
    y.backward()
    print("x.grad =", x.grad)
    print("numerical dy/dx =", numerical_diff(lambda v: Square()(Exp()(Square()(v))), x))
