"""Step 23: the framework becomes a package.

Adds over step 22: no new maths. The engine of steps 01-22 (Config, Variable,
Function, the arithmetic Functions and the operators) now lives in the module
minigrad/core_simple.py of the `minigrad` package, so a program just imports
it; the operators are installed on its Variable when the module is imported.
Steps 23-29 use this simple core, as the book's do: its gradients are plain
ndarrays. The package's own `minigrad.Variable` is the full engine
(minigrad/core.py) that steps 30 on use, so `minigrad.is_simple_core` is False.
"""
import numpy as np

import minigrad
from minigrad.core_simple import Variable

print("Variable comes from", Variable.__module__)
print("minigrad.is_simple_core:", minigrad.is_simple_core, " minigrad.Variable comes from",
      minigrad.Variable.__module__)

x = Variable(np.array(1.0))
y = (x + 3) ** 2
y.backward()
print("y = (x + 3) ** 2 at x = 1: y =", y.data, " x.grad =", x.grad)
print(f"x.grad is a plain {type(x.grad).__module__}.{type(x.grad).__name__}")

x = Variable(np.array([1.0, 2.0, 3.0]))
y = 2.0 * x ** 3 - x / 4.0
y.backward()
print("y = 2x^3 - x/4 at x = [1, 2, 3]: y =", y.data, " x.grad =", x.grad)
