"""Step 40: broadcasting.

Adds over step 39: broadcast_to(x, shape) copies x along new or size-1 axes,
and sum_to(x, shape) sums it back: each is the other's backward. Arithmetic
between Variables of different shapes broadcasts like NumPy, and its backward
sums each gradient back to its input's shape, so a bias added to every row
gets the sum of the rows' gradients.
"""
import numpy as np

import minigrad.functions as F
from minigrad import Variable

x = Variable(np.array([1.0, 2.0, 3.0]))
y = F.broadcast_to(x, (2, 3))
y.backward()
print("broadcast_to([1, 2, 3], (2, 3)) =", y.data.tolist(), " x.grad =", x.grad.data.tolist())

x = Variable(np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]))
y = F.sum_to(x, (1, 3))
y.backward()
print("sum_to(x, (1, 3)) =", y.data.tolist(), " x.grad =", x.grad.data.tolist())

x0 = Variable(np.array([1.0, 2.0, 3.0]))
x1 = Variable(np.array([10.0]))
y = x0 + x1
y.backward()
print("[1, 2, 3] + [10] =", y.data.tolist(), " x0.grad =", x0.grad.data.tolist(),
      " x1.grad =", x1.grad.data.tolist())

X = Variable(np.ones((4, 3)))
b = Variable(np.zeros(3))
(X * 2 + b).sum().backward()
print("bias b (3,) added to 4 rows: b.grad =", b.grad.data.tolist())
