"""Step 39: sum.

Adds over step 38: F.sum(x, axis=None, keepdims=False) (also x.sum(...)).
Each input element contributes once to the sum, so the backward copies the
output gradient back to the input's shape (first restoring the summed axes
as size 1, then broadcasting).
"""
import numpy as np

import minigrad.functions as F
from minigrad import Variable

x = Variable(np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]))
y = F.sum(x, axis=0)
y.backward()
print("sum(x, axis=0) =", y.data.tolist(), " x.grad =", x.grad.data.tolist())

x.cleargrad()
y = x.sum(axis=1, keepdims=True)
(y * Variable(np.array([[1.0], [10.0]]))).sum().backward()
print("x.sum(axis=1, keepdims=True) =", y.data.tolist(), " shape", y.shape)
print("weighted by [[1], [10]]: x.grad =", x.grad.data.tolist())

x = Variable(np.random.RandomState(0).randn(2, 3, 4, 5))
y = x.sum(keepdims=True)
print("(2, 3, 4, 5).sum(keepdims=True).shape =", y.shape, " sum(axis=(1, 3)).shape =", F.sum(x, (1, 3)).shape)
