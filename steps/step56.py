"""Step 56: im2col.

Adds over step 55: the trick that turns convolution into one matrix product.
im2col cuts every window a filter would see out of the image and lays it out
as one row of a matrix: for x (N, C, H, W) and a KH x KW kernel, col has
N*OH*OW rows of C*KH*KW values. A filter flattened to a column then
convolves the whole batch in a single matmul. F.im2col is a Function whose
backward is col2im, which adds each row back where it came from, so a
pixel's gradient counts the windows that cover it.
"""
import numpy as np

import minigrad.functions as F
from minigrad import Variable

rs = np.random.RandomState(0)
x1 = rs.rand(1, 3, 7, 7)
col1 = F.im2col(x1, kernel_size=5, stride=1, pad=0, to_matrix=True)
print("x (1, 3, 7, 7), kernel 5 -> col", col1.shape)

x2 = rs.rand(10, 3, 7, 7)
col2 = F.im2col(x2, kernel_size=(5, 5), stride=1, pad=0, to_matrix=True)
print("x (10, 3, 7, 7), kernel 5 -> col", col2.shape)
print("row 0 is the top-left 3x5x5 window:", bool(np.array_equal(col1.data[0], x1[0, :, :5, :5].ravel())))
print("row 8 is the bottom-right window:", bool(np.array_equal(col1.data[8], x1[0, :, 2:, 2:].ravel())))

x = Variable(np.ones((1, 1, 4, 4)))
col = F.im2col(x, kernel_size=3, stride=1, pad=0)
col.backward()
print("4x4 image, 3x3 kernel: col", col.shape, "; windows covering each pixel (the gradient):")
print(x.grad.data[0, 0].astype(int))
