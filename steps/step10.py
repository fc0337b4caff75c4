"""Step 10: unit tests, and gradient checking.

Adds over step 09: tests written with the standard library's unittest. Besides
fixed values, a gradient check compares backward() with numerical_diff() on
random inputs: the analytic gradient is exact, the numerical one is slow but
needs no derivative, so agreement is strong evidence backward() is right.
Running this file runs the tests and prints the results; it exits non-zero if
one fails.
"""
import sys
import unittest

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


class SquareTest(unittest.TestCase):
    def test_forward(self):
        y = square(Variable(np.array(2.0)))
        self.assertEqual(y.data, np.array(4.0))

    def test_backward(self):
        x = Variable(np.array(3.0))
        square(x).backward()
        self.assertEqual(x.grad, np.array(6.0))

    def test_gradient_check(self):
        x = Variable(np.random.default_rng(0).random(1))
        square(x).backward()
        self.assertTrue(np.allclose(x.grad, numerical_diff(square, x)))


class ExpTest(unittest.TestCase):
    def test_forward(self):
        y = exp(Variable(np.array(0.0)))
        self.assertEqual(y.data, np.array(1.0))

    def test_gradient_check(self):
        x = Variable(np.random.default_rng(1).random(1))
        exp(x).backward()
        self.assertTrue(np.allclose(x.grad, numerical_diff(exp, x)))


class CompositeTest(unittest.TestCase):
    def test_gradient_check(self):
        def f(v):
            return square(exp(square(v)))

        x = Variable(np.array(0.5))
        f(x).backward()
        self.assertAlmostEqual(float(x.grad), 3.297442541400256)
        self.assertTrue(np.allclose(x.grad, numerical_diff(f, x)))


if __name__ == "__main__":
    suite = unittest.defaultTestLoader.loadTestsFromModule(sys.modules[__name__])
    result = unittest.TextTestRunner(stream=sys.stdout, verbosity=2).run(suite)
    sys.exit(not result.wasSuccessful())
