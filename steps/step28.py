"""Step 28: optimisation by gradient descent.

Adds over step 27: using gradients to search. The Rosenbrock function
y = 100 (x1 - x0^2)^2 + (1 - x0)^2 has its minimum 0 at (1, 1) at the bottom
of a long curved valley. Starting from (0, 2), we repeatedly step against the
gradient: x <- x - lr * grad, clearing the gradients before each backward
(they would accumulate otherwise). Progress along the flat valley floor is
slow: tens of thousands of steps.
"""
import os

import numpy as np

from minigrad.core_simple import Variable

QUICK = os.environ.get("MINIGRAD_QUICK") == "1"


def rosenbrock(x0, x1):
    return 100 * (x1 - x0 ** 2) ** 2 + (1 - x0) ** 2


x0, x1 = Variable(np.array(0.0)), Variable(np.array(2.0))
lr = 0.001
iters = 2000 if QUICK else 20000
report = iters // 4

for i in range(iters + 1):
    y = rosenbrock(x0, x1)
    if i % report == 0:
        print(f"iter {i:5d}: x0 = {float(x0.data):.6f}  x1 = {float(x1.data):.6f}  y = {float(y.data):.6f}")
    if i == iters:
        break
    x0.cleargrad()
    x1.cleargrad()
    y.backward()
    x0.data -= lr * x0.grad
    x1.data -= lr * x1.grad
