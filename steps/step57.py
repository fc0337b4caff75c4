"""Step 57: conv2d, built on im2col, and the Conv2d layer.

Adds over step 56: the convolution itself. conv2d_simple does it the
textbook way: im2col, then one matrix product with the filters W
(OC, C, KH, KW) flattened to a (C*KH*KW, OC) matrix, plus the bias, then a
transpose back to (N, OC, OH, OW). It is composed of Functions, so backprop
is free. F.conv2d is one fused Function doing the same faster; both give
the same values and gradients. L.Conv2d(out_channels, kernel_size, stride,
pad) holds W and b and infers in_channels from its first input.
"""
import numpy as np

import minigrad.functions as F
import minigrad.layers as L
from minigrad import Variable

rs = np.random.RandomState(0)
N, C, H, W = 1, 5, 15, 15
OC, (KH, KW) = 8, (3, 3)
x = Variable(rs.randn(N, C, H, W))
Wt = Variable(rs.randn(OC, C, KH, KW))
b = Variable(rs.randn(OC))

y = F.conv2d(x, Wt, b, stride=1, pad=1)
y.backward()
grads = [v.grad.data.copy() for v in (x, Wt, b)]
print("F.conv2d:        x", x.shape, "* W", Wt.shape, "-> y", y.shape)
print("gradient shapes: x.grad", x.grad.shape, " W.grad", Wt.grad.shape, " b.grad", b.grad.shape)

for v in (x, Wt, b):
    v.cleargrad()
y2 = F.conv2d_simple(x, Wt, b, stride=1, pad=1)
y2.backward()
print("F.conv2d_simple: y", y2.shape, "; same values:", bool(np.allclose(y.data, y2.data)),
      "; same gradients:", all(np.allclose(g, v.grad.data) for g, v in zip(grads, (x, Wt, b))))

direct = sum(x.data[0, c, 0:3, 4:7].ravel() @ Wt.data[2, c].ravel() for c in range(C)) + b.data[2]
print("y[0, 2, 1, 5] by hand (pad 1 shifts the window by one):", bool(np.isclose(y.data[0, 2, 1, 5], direct)))

print("stride 2, pad 0:", F.conv2d(x, Wt, stride=2).shape)
np.random.seed(0)
layer = L.Conv2d(16, kernel_size=3, stride=1, pad=1)
out = layer(np.zeros((2, 3, 28, 28), dtype=np.float32))
print("L.Conv2d(16, 3, pad=1) on (2, 3, 28, 28) ->", out.shape, " W", layer.W.shape, layer.W.dtype,
      " b", layer.b.shape)
