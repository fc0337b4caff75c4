"""Step 09: friendlier Functions.

Adds over step 08:
- square(x) and exp(x), plain Python functions, so y = square(exp(square(x)))
  reads like the math;
- backward() seeds the output gradient with ones, so y.backward() needs no
  y.grad = np.array(1.0) first;
- Variable accepts only NumPy arrays (or None), and says what it got otherwise;
- as_array(): NumPy turns 0-d results into scalars (np.array(1.0) ** 2 is a
  numpy.float64), so Function wraps every result back into an ndarray.
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
            x, y = f.input, f.output
            x.grad = f.backward(y.grad)
            if x.creator is not None:
                funcs.append(x.creator)


def as_array(x):
    if np.isscalar(x):
        return np.array(x)
    return x


class Function:
    def __call__(self, input):
        y = self.forward(input.data)
        output = Variable(as_array(y))
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


def square(x):
    return Square()(x)


def exp(x):
    return Exp()(x)


def numerical_diff(f, x, eps=1e-4):
    y0 = f(Variable(as_array(x.data - eps)))
    y1 = f(Variable(as_array(x.data + eps)))
    return (y1.data - y0.data) / (2 * eps)


if __name__ == "__main__":
    x = Variable(np.array(0.5))
    y = square(exp(square(x)))
    y.backward()
    print("x.grad =", x.grad)
    print("numerical dy/dx =", numerical_diff(lambda v: square(exp(square(v))), x))

    print("type(np.array(1.0) ** 2) =", type(np.array(1.0) ** 2))
    print("type(square(Variable(np.array(1.0))).data) =", type(square(Variable(np.array(1.0))).data))

    print("Variable(None) is allowed: data =", Variable(None).data)
    try:
        Variable(1.0)
    except TypeError as e:
        print("Variable(1.0) -> TypeError:", e)
