"""Step 43: a neural network.

Adds over step 42: a non-linear model. Two linear maps with a sigmoid between
them, y = sigmoid(x W1 + b1) W2 + b2 with 10 hidden units, fit a noisy sine
curve that no straight line can. F.linear(x, W, b) is the fused x W + b.
Small random initial weights break the symmetry between the hidden units.
"""
import os

import numpy as np

import minigrad.functions as F
from minigrad import Variable

QUICK = os.environ.get("MINIGRAD_QUICK") == "1"

rs = np.random.RandomState(0)
x = rs.rand(100, 1)
y = np.sin(2 * np.pi * x) + rs.rand(100, 1)

I, H, O = 1, 10, 1
W1, b1 = Variable(0.01 * rs.randn(I, H)), Variable(np.zeros(H))
W2, b2 = Variable(0.01 * rs.randn(H, O)), Variable(np.zeros(O))


def predict(x):
    h = F.sigmoid(F.linear(x, W1, b1))
    return F.linear(h, W2, b2)


lr = 0.2
iters = 8000 if QUICK else 10000
for i in range(iters + 1):
    loss = F.mean_squared_error(predict(x), y)
    if i % (iters // 5) == 0:
        print(f"iter {i:5d}: loss = {float(loss.data):.6f}")
    if i == iters:
        break
    for p in (W1, b1, W2, b2):
        p.cleargrad()
    loss.backward()
    for p in (W1, b1, W2, b2):
        p.data -= lr * p.grad.data

with np.printoptions(precision=3):
    xs = np.array([[0.0], [0.25], [0.5], [0.75]])
    print("prediction at x = 0, 0.25, 0.5, 0.75:", predict(xs).data.ravel())
    print("sin(2 pi x) + 0.5 there:            ", np.sin(2 * np.pi * xs.ravel()) + 0.5)
