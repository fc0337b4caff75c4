"""Step 30: double backprop (1): what a gradient is made of.

Adds over step 29: a look inside backward, preparing higher derivatives.
Steps 23-29 used the simple core, whose gradients are bare ndarrays; from here
on the steps use minigrad's full core (minigrad.Variable), where a gradient is
a Variable and Function.backward receives and returns Variables. So the
computation of a gradient is made of the same Variables and Functions as any
forward computation, and could be recorded as a graph like any other. A
Function written here prints what its backward receives.
"""
import numpy as np

from minigrad import Function, Variable


class Cube(Function):
    def forward(self, x):
        return x ** 3

    def backward(self, gy):
        x, = self.inputs
        print(f"  Cube.backward got gy of type {type(gy).__name__}, input x of type {type(x).__name__}")
        gx = gy * 3 * x ** 2
        print(f"  and returns gx of type {type(gx).__name__}")
        return gx


x = Variable(np.array(2.0))
y = Cube()(x)
print("y = x^3 at x = 2: y =", y.data)
y.backward()
print("x.grad is a", type(x.grad).__name__, "holding", x.grad.data)
print("y.grad (the seed) is a", type(y.grad).__name__, "holding", y.grad.data)
