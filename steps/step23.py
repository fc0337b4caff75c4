"""Step 23: the framework becomes a package.

Adds over step 22: no new maths. The classes of steps 01-22 now live in the
`minigrad` package (core.py: Config, Variable, Function, the arithmetic
Functions and the operators; functions.py: the differentiable ops; utils.py:
helpers), so a program just imports it. The operators are installed on
Variable when the package is imported. `import minigrad as dezero` runs code
written for DeZero unchanged.
"""
import numpy as np

import minigrad
import minigrad as dezero
from minigrad import Variable

print("Variable comes from", Variable.__module__)
print("dezero.Variable is minigrad.Variable:", dezero.Variable is minigrad.Variable)

x = Variable(np.array(1.0))
y = (x + 3) ** 2
y.backward()
print("y = (x + 3) ** 2 at x = 1: y =", y.data, " x.grad =", x.grad.data)

x = dezero.Variable(np.array([1.0, 2.0, 3.0]))
y = 2.0 * x ** 3 - x / 4.0
y.backward()
print("y = 2x^3 - x/4 at x = [1, 2, 3]: y =", y.data, " x.grad =", x.grad.data)
