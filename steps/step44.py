"""Step 44: Parameter and Layer.

Adds over step 43: bookkeeping. A Parameter is a Variable marked as
learnable. A Layer (here L.Linear) creates its Parameters, registers every
Parameter assigned to it as an attribute, and hands them out with params(),
so the training loop no longer lists W1, b1, W2, b2 by hand. Linear infers
its input size from the first input.
"""
import os

import numpy as np

import minigrad.functions as F
import minigrad.layers as L
from minigrad import Parameter, Variable

QUICK = os.environ.get("MINIGRAD_QUICK") == "1"

np.random.seed(0)
x = np.random.rand(100, 1)
y = np.sin(2 * np.pi * x) + np.random.rand(100, 1)

p = Parameter(np.array(1.0))
print("Parameter is a Variable:", isinstance(p, Variable), " (p * 2) is a", type(p * 2).__name__)

l1 = L.Linear(10)
l2 = L.Linear(1)
print("before the first call: l1.W.data is", l1.W.data)


def predict(x):
    return l2(F.sigmoid(l1(x)))


lr = 0.2
iters = 8000 if QUICK else 10000
for i in range(iters + 1):
    loss = F.mean_squared_error(predict(x), y)
    if i == 0:
        print("after it: l1 params", [(q.name, q.shape) for q in l1.params()],
              " l2 params", [(q.name, q.shape) for q in l2.params()])
    if i % (iters // 5) == 0:
        print(f"iter {i:5d}: loss = {float(loss.data):.6f}")
    if i == iters:
        break
    l1.cleargrads()
    l2.cleargrads()
    loss.backward()
    for layer in (l1, l2):
        for q in layer.params():
            q.data -= lr * q.grad.data
