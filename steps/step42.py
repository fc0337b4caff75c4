"""Step 42: linear regression.

Adds over step 41: learning from data. Toy data y = 5 + 2x + noise; the model
y = x W + b; the loss the mean squared error; W and b are fitted by gradient
descent. F.mean_squared_error is a Function of its own (one node instead of
several), but gives the same loss as the formula written out.
"""
import os

import numpy as np

import minigrad.functions as F
from minigrad import Variable

QUICK = os.environ.get("MINIGRAD_QUICK") == "1"

rs = np.random.RandomState(0)
x = rs.rand(100, 1)
y = 5 + 2 * x + 0.1 * rs.randn(100, 1)

W = Variable(np.zeros((1, 1)))
b = Variable(np.zeros(1))


def predict(x):
    return F.matmul(x, W) + b


def mean_squared_error_simple(x0, x1):
    diff = x0 - x1
    return F.sum(diff ** 2) / len(diff)


lr = 0.1
iters = 500 if QUICK else 2000
for i in range(iters + 1):
    loss = F.mean_squared_error(predict(x), y)
    if i % (iters // 5) == 0:
        print(f"iter {i:4d}: W = {float(W.data[0, 0]):.4f}  b = {float(b.data[0]):.4f}  "
              f"loss = {float(loss.data):.6f}")
    if i == iters:
        break
    W.cleargrad()
    b.cleargrad()
    loss.backward()
    W.data -= lr * W.grad.data
    b.data -= lr * b.grad.data

lstsq = np.linalg.lstsq(np.hstack([x, np.ones_like(x)]), y, rcond=None)[0].ravel()
print(f"learned W = {float(W.data[0, 0]):.4f}, b = {float(b.data[0]):.4f}; "
      f"least squares W = {lstsq[0]:.4f}, b = {lstsq[1]:.4f}; true W = 2, b = 5")
print("F.mean_squared_error == the formula:",
      bool(np.isclose(loss.data, mean_squared_error_simple(predict(x), y).data)))
