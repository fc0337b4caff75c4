"""Step 27: sin, as a Function and as a Taylor series.

Adds over step 26: a Function written outside the core. Sin's forward is
np.sin and its backward multiplies the incoming gradient by cos x (ndarrays in,
ndarrays out, as everything in the simple core). The same function can also
be built from basic operators with its Maclaurin series,
sin x = sum_i (-1)^i x^(2i+1) / (2i+1)!, stopping when a term falls below
`threshold`: autograd then differentiates the sum term by term. The smaller
the threshold, the more terms and the bigger the graph.
"""
import math

import numpy as np

from minigrad.core_simple import Function, Variable


class Sin(Function):
    def forward(self, x):
        return np.sin(x)

    def backward(self, gy):
        x = self.inputs[0].data
        return gy * np.cos(x)


def sin(x):
    return Sin()(x)


def my_sin(x, threshold=1e-4):
    y, terms = 0, 0
    for i in range(100000):
        t = (-1) ** i / math.factorial(2 * i + 1) * x ** (2 * i + 1)
        y = y + t
        terms += 1
        if abs(t.data) < threshold:
            break
    return y, terms


x = Variable(np.array(np.pi / 4))
y = sin(x)
y.backward()
print(f"Sin at pi/4:      y = {float(y.data):.10f}  dy/dx = {float(x.grad):.10f}")

for threshold in (1e-4, 1e-150):
    x = Variable(np.array(np.pi / 4))
    y, terms = my_sin(x, threshold)
    y.backward()
    print(f"my_sin (threshold {threshold:g}, {terms} terms): y = {float(y.data):.10f}  "
          f"dy/dx = {float(x.grad):.10f}")
print(f"exact:            sin = {np.sin(np.pi / 4):.10f}  cos = {np.cos(np.pi / 4):.10f}")
