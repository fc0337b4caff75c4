"""Max and average pooling on raw arrays (NumPy or CuPy), written on the window geometry.

Max pooling takes the running maximum over the KH*KW window offsets of the (-inf padded) input and
then the offset of the first maximum (ties go to the first element, as in PyTorch): no col buffer, no
argmax over a small axis, no reshape-max (40x slower here).  Its gradient adds gy where each maximum
came from, one masked multiply per offset (no scatter).
"""
import numpy as np

from minigrad import cuda
from minigrad.kernels.geometry import padded


def pool_fill(dtype):
    """The identity of max: -inf for floats, the smallest value for integers."""
    return -np.inf if np.dtype(dtype).kind == "f" else np.iinfo(dtype).min


def _index_dtype(n):
    return np.int8 if n <= 127 else (np.int16 if n <= 32767 else np.int32)


def max_pool_forward(x, g):
    """Max over each window of x (padded with -inf).  Returns (y, indexes): indexes holds the kernel
    offset k = i*KW + j of the first maximum of each window (ties go to the first, as in PyTorch).
    NaN propagates to y, and the index of such a window is that of its first NaN."""
    xp = cuda.get_array_module(x)
    xpad = padded(x, *g.pad, pool_fill(x.dtype))
    views = [xpad[:, :, rows, cols] for _, _, rows, cols in g.windows()]
    if len(views) == 1:
        return views[0].copy(), xp.zeros(g.out_shape, dtype=np.int8)
    y = xp.maximum(views[0], views[1])
    for v in views[2:]:
        xp.maximum(y, v, out=y)
    # index of the first view equal to the max = the number of leading views that differ from it
    indexes = xp.zeros(g.out_shape, dtype=_index_dtype(len(views)))
    differ = xp.ones(g.out_shape, dtype=bool)
    tmp = xp.empty(g.out_shape, dtype=bool)
    for v in views[:-1]:
        xp.not_equal(v, y, out=tmp)
        differ &= tmp
        indexes += differ
    if x.dtype.kind == "f" and y.size and xp.isnan(y.max()):
        # NaN != NaN, so a window holding NaN counted every offset: give it the offset of its first NaN
        # instead (its gradient goes there, as in PyTorch).  The test is one max over the output (7 us
        # of LeNet's 430 us pooling forward; isnan(y).any() took 12).
        differ = xp.isnan(y)
        indexes[differ] = 0
        for v in views[:-1]:
            xp.equal(v, v, out=tmp)
            differ &= tmp
            indexes += differ
    return y, indexes


def max_pool_scatter(gy, indexes, g):
    """gx (g.x_shape) with gy[n, c, oh, ow] added where its window's maximum came from."""
    xp = cuda.get_array_module(gy)
    gx = g.padded_zeros(xp, gy.dtype)
    overlap, KW = g.overlap, g.kernel[1]
    for i, j, rows, cols in g.windows():
        if overlap:
            gx[:, :, rows, cols] += gy * (indexes == i * KW + j)
        else:  # each input position belongs to one window at most
            xp.multiply(gy, indexes == i * KW + j, out=gx[:, :, rows, cols])
    return g.crop(gx)


def max_pool_gather(x, indexes, g):
    """y[n, c, oh, ow] = x at the position recorded in indexes (the linear map max pooling applied)."""
    xpad = padded(x, *g.pad)
    KW = g.kernel[1]
    y = None
    for i, j, rows, cols in g.windows():
        term = xpad[:, :, rows, cols] * (indexes == i * KW + j)
        if y is None:
            y = term
        else:
            y += term
    return y


def avg_pool_forward(x, g):
    """Mean over each window of x, padding counted as zeros (PyTorch's count_include_pad=True)."""
    if x.dtype.kind != "f":  # sum integer images without overflow
        x = x.astype(np.float64)
    xpad = padded(x, *g.pad)
    y = None
    for _, _, rows, cols in g.windows():
        if y is None:
            y = xpad[:, :, rows, cols].copy()
        else:
            y += xpad[:, :, rows, cols]
    y /= g.kernel[0] * g.kernel[1]
    return y


def avg_pool_backward(gy, g):
    """The adjoint of avg_pool_forward: each gy / (KH*KW) spread over its window."""
    (KH, KW), (N, C) = g.kernel, g.x_shape[:2]
    col = (gy / (KH * KW)).reshape(N, C, 1, 1, g.OH, g.OW)
    col = cuda.get_array_module(gy).broadcast_to(col, (N, C, KH, KW, g.OH, g.OW))
    return g.col2im(col)
