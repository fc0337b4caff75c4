"""Step 38: shape functions: reshape and transpose.

Adds over step 37: Functions that move elements without changing them.
reshape's backward reshapes the gradient back to the input's shape;
transpose's backward applies the inverse permutation. Both are also methods
of Variable: x.reshape(3, 2), x.reshape((6,)), x.transpose(), x.T,
x.transpose(axes).
"""
import numpy as np

import minigrad.functions as F
from minigrad import Variable

x = Variable(np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]))
y = F.reshape(x, (6,))
y.backward(retain_grad=True)
print("F.reshape(x, (6,)) =", y.data.tolist(), " x.grad shape", x.grad.shape)

x.cleargrad()
y = F.transpose(x)
y.backward()
print("F.transpose(x) =", y.data.tolist(), " x.grad shape", x.grad.shape)

print("x.reshape(3, 2).shape =", x.reshape(3, 2).shape, " x.reshape((6,)).shape =", x.reshape((6,)).shape)
print("x.T.shape =", x.T.shape, " x.transpose().shape =", x.transpose().shape)

a = Variable(np.random.RandomState(0).randn(1, 2, 3, 4))
b = a.transpose(1, 0, 3, 2)
(b * Variable(np.arange(24.0).reshape(2, 1, 4, 3))).sum().backward()
print("(1, 2, 3, 4).transpose(1, 0, 3, 2) ->", b.shape, " a.grad shape", a.grad.shape)
print("a.grad is the weights moved back:",
      bool(np.array_equal(a.grad.data, np.arange(24.0).reshape(2, 1, 4, 3).transpose(1, 0, 3, 2))))
