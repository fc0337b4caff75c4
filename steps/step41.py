"""Step 41: the matrix product.

Adds over step 40: F.matmul(x, W) (also x @ W). For y = x W the gradients are
gx = gy W^T and gW = x^T gy, which have the shapes of x and W. Batched (3-D
and more) operands multiply matrix by matrix, broadcasting the leading axes.
"""
import numpy as np

import minigrad.functions as F
from minigrad import Variable

rs = np.random.RandomState(0)
x = Variable(rs.randn(2, 3))
W = Variable(rs.randn(3, 4))
y = F.matmul(x, W)
y.backward()
print("x", x.shape, "@ W", W.shape, "->", y.shape)
print("x.grad shape", x.grad.shape, " W.grad shape", W.grad.shape)
print("x.grad == ones(2, 4) @ W.T:", bool(np.allclose(x.grad.data, np.ones((2, 4)) @ W.data.T)))
print("W.grad == x.T @ ones(2, 4):", bool(np.allclose(W.grad.data, x.data.T @ np.ones((2, 4)))))

a = Variable(rs.randn(5, 2, 3))
b = Variable(rs.randn(3, 4))
c = a @ b
c.sum().backward()
print("batched: (5, 2, 3) @ (3, 4) ->", c.shape, " b.grad shape", b.grad.shape)
