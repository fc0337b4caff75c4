"""Step 37: tensors.

Adds over step 36: Variables holding arrays of any shape. Element-wise
Functions (sin, +, *, ...) apply to every element, and the gradient of each
input has the same shape as the input. With a scalar output (here a sum) the
gradient of element (i, j) is the derivative with respect to that element.
"""
import numpy as np

import minigrad.functions as F
from minigrad import Variable

x = Variable(np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]))
c = Variable(np.array([[10.0, 20.0, 30.0], [40.0, 50.0, 60.0]]))
t = x + c
y = F.sum(t)
y.backward(retain_grad=True)
print("t = x + c =", t.data.tolist())
print("y = sum(t) =", y.data)
print("t.grad =", t.grad.data.tolist())
print("x.grad =", x.grad.data.tolist(), " shape", x.grad.shape)
print("c.grad =", c.grad.data.tolist(), " shape", c.grad.shape)

x.cleargrad()
y = F.sum(F.sin(x) * x)
y.backward()
expected = np.cos(x.data) * x.data + np.sin(x.data)
print("y = sum(sin(x) * x): x.grad matches cos(x) * x + sin(x):", bool(np.allclose(x.grad.data, expected)))
