"""Op-table rows for the convolution family (merged into tests/op_table.py's ALL_CASES, checked by
minigrad.testing in tests/test_op_table.py).

Each row is a plain dict (the op table's format):

    dict(name=str, fn=callable(*inputs) -> Variable, make_inputs=callable(rng) -> list of float64 arrays,
         reference=callable(*arrays) -> np.ndarray or None, [second_order=..., rtol=..., atol=...])

The references are direct loops over the defining formulas, written independently of minigrad (no
im2col, no GEMM): the convolution

    a[n, m, i, j] = sum_k sum_s sum_t x[n, k, i*SH + s - PH, j*SW + t - PW] * w[m, k, s, t] + b[m]

(zero outside the input), the transposed convolution as the scatter of each x[n, k, i, j] * w[k, m, s, t]
to output position (i*SH + s - PH, j*SW + t - PW), max pooling over windows padded with -inf, average
pooling over windows padded with zeros (divided by KH*KW), im2col/col2im by their index definitions.
Sizes are small (N=2, C=2, 5x6 inputs) so the numerical gradients stay fast.
"""
import numpy as np

import minigrad.functions as F
from minigrad import cuda
from minigrad.core import Variable


# =============================================================================
# Direct-loop references
# =============================================================================
def _p(v):
    if isinstance(v, (int, np.integer)):
        return int(v), int(v)
    return int(v[0]), int(v[1])


def _out(size, k, s, p):
    return (size + 2 * p - k) // s + 1


def ref_conv2d(x, W, b=None, stride=1, pad=0):
    """a[n, m, i, j] = sum_k sum_s sum_t x[n, k, i*SH+s-PH, j*SW+t-PW] w[m, k, s, t] + b[m]."""
    (SH, SW), (PH, PW) = _p(stride), _p(pad)
    N, C, H, Wd = x.shape
    OC, C2, KH, KW = W.shape
    assert C == C2
    OH, OW = _out(H, KH, SH, PH), _out(Wd, KW, SW, PW)
    y = np.zeros((N, OC, OH, OW))
    for i in range(OH):
        for j in range(OW):
            for s in range(KH):
                for t in range(KW):
                    h, w = i * SH + s - PH, j * SW + t - PW
                    if 0 <= h < H and 0 <= w < Wd:
                        y[:, :, i, j] += x[:, :, h, w] @ W[:, :, s, t].T  # sum over k
    if b is not None:
        y += b.reshape(1, OC, 1, 1)
    return y


def ref_conv2d_scalar_loops(x, W, b=None, stride=1, pad=0):
    """The same formula with every sum an explicit Python loop (tiny sizes only)."""
    (SH, SW), (PH, PW) = _p(stride), _p(pad)
    N, C, H, Wd = x.shape
    OC, _, KH, KW = W.shape
    OH, OW = _out(H, KH, SH, PH), _out(Wd, KW, SW, PW)
    y = np.zeros((N, OC, OH, OW))
    for n in range(N):
        for m in range(OC):
            for i in range(OH):
                for j in range(OW):
                    acc = 0.0 if b is None else float(b[m])
                    for k in range(C):
                        for s in range(KH):
                            for t in range(KW):
                                h, w = i * SH + s - PH, j * SW + t - PW
                                if 0 <= h < H and 0 <= w < Wd:
                                    acc += x[n, k, h, w] * W[m, k, s, t]
                    y[n, m, i, j] = acc
    return y


def ref_deconv2d(x, W, b=None, stride=1, pad=0, outsize=None):
    """Each x[n, k, i, j] * w[k, m, s, t] lands on output (i*SH + s - PH, j*SW + t - PW)."""
    (SH, SW), (PH, PW) = _p(stride), _p(pad)
    N, C, H, Wd = x.shape
    C2, OC, KH, KW = W.shape
    assert C == C2
    if outsize is None:
        OH, OW = SH * (H - 1) + KH - 2 * PH, SW * (Wd - 1) + KW - 2 * PW
    else:
        OH, OW = outsize
    y = np.zeros((N, OC, OH, OW))
    for i in range(H):
        for j in range(Wd):
            for s in range(KH):
                for t in range(KW):
                    h, w = i * SH + s - PH, j * SW + t - PW
                    if 0 <= h < OH and 0 <= w < OW:
                        y[:, :, h, w] += x[:, :, i, j] @ W[:, :, s, t]  # sum over k
    if b is not None:
        y += b.reshape(1, OC, 1, 1)
    return y


def ref_conv2d_grad_w(x, gy, kernel, stride=1, pad=0):
    """gW[m, k, s, t] = sum_{n, i, j} gy[n, m, i, j] x[n, k, i*SH+s-PH, j*SW+t-PW]."""
    (KH, KW), (SH, SW), (PH, PW) = _p(kernel), _p(stride), _p(pad)
    N, C, H, Wd = x.shape
    OC, OH, OW = gy.shape[1], gy.shape[2], gy.shape[3]
    gW = np.zeros((OC, C, KH, KW))
    for i in range(OH):
        for j in range(OW):
            for s in range(KH):
                for t in range(KW):
                    h, w = i * SH + s - PH, j * SW + t - PW
                    if 0 <= h < H and 0 <= w < Wd:
                        gW[:, :, s, t] += gy[:, :, i, j].T @ x[:, :, h, w]  # sum over n
    return gW


def _windows_of(x, kernel, stride, pad, fill):
    (KH, KW), (SH, SW), (PH, PW) = _p(kernel), _p(stride), _p(pad)
    N, C, H, W = x.shape
    xp = np.full((N, C, H + 2 * PH, W + 2 * PW), fill, dtype=np.float64)
    xp[:, :, PH:PH + H, PW:PW + W] = x
    OH, OW = _out(H, KH, SH, PH), _out(W, KW, SW, PW)
    for i in range(OH):
        for j in range(OW):
            yield i, j, xp[:, :, i * SH:i * SH + KH, j * SW:j * SW + KW], (i * SH - PH, j * SW - PW)


def ref_max_pool(x, kernel, stride=1, pad=0):
    (KH, KW), (SH, SW), (PH, PW) = _p(kernel), _p(stride), _p(pad)
    N, C, H, W = x.shape
    y = np.empty((N, C, _out(H, KH, SH, PH), _out(W, KW, SW, PW)))
    for i, j, win, _ in _windows_of(x, kernel, stride, pad, -np.inf):
        y[:, :, i, j] = win.max(axis=(2, 3))
    return y


def ref_avg_pool(x, kernel, stride=1, pad=0):
    (KH, KW), (SH, SW), (PH, PW) = _p(kernel), _p(stride), _p(pad)
    N, C, H, W = x.shape
    y = np.empty((N, C, _out(H, KH, SH, PH), _out(W, KW, SW, PW)))
    for i, j, win, _ in _windows_of(x, kernel, stride, pad, 0.0):
        y[:, :, i, j] = win.sum(axis=(2, 3)) / (KH * KW)
    return y


def ref_max_pool_grad(x, gy, kernel, stride=1, pad=0):
    """gy[n, c, i, j] routed to the (first) position of the maximum of window (i, j) of x."""
    (KH, KW) = _p(kernel)
    gx = np.zeros(x.shape)
    H, W = x.shape[2:]
    for i, j, win, (h0, w0) in _windows_of(x, kernel, stride, pad, -np.inf):
        flat = win.reshape(win.shape[0], win.shape[1], -1)
        arg = flat.argmax(axis=2)
        for n in range(x.shape[0]):
            for c in range(x.shape[1]):
                s, t = divmod(int(arg[n, c]), KW)
                if 0 <= h0 + s < H and 0 <= w0 + t < W:
                    gx[n, c, h0 + s, w0 + t] += gy[n, c, i, j]
    return gx


def ref_gather_at_max(x_fixed, z, kernel, stride=1, pad=0):
    """z read at the positions where x_fixed's windows have their (first) maximum."""
    (KH, KW) = _p(kernel)
    H, W = x_fixed.shape[2:]
    y = np.empty(ref_max_pool(x_fixed, kernel, stride, pad).shape)
    for i, j, win, (h0, w0) in _windows_of(x_fixed, kernel, stride, pad, -np.inf):
        arg = win.reshape(win.shape[0], win.shape[1], -1).argmax(axis=2)
        for n in range(x_fixed.shape[0]):
            for c in range(x_fixed.shape[1]):
                s, t = divmod(int(arg[n, c]), KW)
                y[n, c, i, j] = z[n, c, h0 + s, w0 + t]
    return y


def ref_avg_pool_grad(gy, in_shape, kernel, stride=1, pad=0):
    (KH, KW) = _p(kernel)
    gx = np.zeros(in_shape)
    H, W = in_shape[2:]
    for i, j, win, (h0, w0) in _windows_of(np.zeros(in_shape), kernel, stride, pad, 0.0):
        for s in range(KH):
            for t in range(KW):
                if 0 <= h0 + s < H and 0 <= w0 + t < W:
                    gx[:, :, h0 + s, w0 + t] += gy[:, :, i, j] / (KH * KW)
    return gx


def ref_im2col(x, kernel, stride=1, pad=0, to_matrix=True):
    """col[n, c, s, t, i, j] = x[n, c, i*SH+s-PH, j*SW+t-PW] (0 outside); to_matrix: rows (n, i, j),
    columns (c, s, t)."""
    (KH, KW), (SH, SW), (PH, PW) = _p(kernel), _p(stride), _p(pad)
    N, C, H, W = x.shape
    OH, OW = _out(H, KH, SH, PH), _out(W, KW, SW, PW)
    col = np.zeros((N, C, KH, KW, OH, OW))
    for s in range(KH):
        for t in range(KW):
            for i in range(OH):
                for j in range(OW):
                    h, w = i * SH + s - PH, j * SW + t - PW
                    if 0 <= h < H and 0 <= w < W:
                        col[:, :, s, t, i, j] = x[:, :, h, w]
    if to_matrix:
        col = col.transpose(0, 4, 5, 1, 2, 3).reshape(N * OH * OW, C * KH * KW)
    return col


def ref_col2im(col, img_shape, kernel, stride=1, pad=0, to_matrix=True):
    (KH, KW), (SH, SW), (PH, PW) = _p(kernel), _p(stride), _p(pad)
    N, C, H, W = img_shape
    OH, OW = _out(H, KH, SH, PH), _out(W, KW, SW, PW)
    if to_matrix:
        col = col.reshape(N, OH, OW, C, KH, KW).transpose(0, 3, 4, 5, 1, 2)
    x = np.zeros(img_shape)
    for s in range(KH):
        for t in range(KW):
            for i in range(OH):
                for j in range(OW):
                    h, w = i * SH + s - PH, j * SW + t - PW
                    if 0 <= h < H and 0 <= w < W:
                        x[:, :, h, w] += col[:, :, s, t, i, j]
    return x


# =============================================================================
# Input generators
# =============================================================================
def _normal(*shapes):
    return lambda rng: [rng.standard_normal(s) for s in shapes]


def _distinct(shape, step=0.25, offset=0.0):
    """Distinct values (a shuffled grid, spacing `step`): window maxima have no ties."""
    def make(rng):
        n = int(np.prod(shape))
        return (rng.permutation(n) - n / 2.0).reshape(shape) * step + offset + rng.uniform(0, 0.01, shape)
    return make


def _distinct_negative(shape):
    """All-negative distinct values: a max pooling that padded with 0 would return 0 at the border."""
    def make(rng):
        n = int(np.prod(shape))
        return -(rng.permutation(n) + 1.0).reshape(shape) * 0.25 - rng.uniform(0, 0.01, shape)
    return make


def _inputs(*makers):
    return lambda rng: [m(rng) for m in makers]


_X = (2, 2, 5, 6)  # N, C, H, W of most rows
_X_WIDE = (2, 6, 5, 6)  # enough channels for the row col

# fixed inputs whose pooling indexes define the linear maps Pooling2DGrad / Pooling2DWithIndexes
_X_FIXED = _distinct(_X)(np.random.default_rng(12345))


def _fixed_max_pool(kernel, stride, pad, like):
    """Max pooling run on _X_FIXED, on the device of `like` (its indexes must live there too)."""
    f = F.Pooling(kernel, stride, pad)
    f(Variable(cuda.get_array_module(like).array(_X_FIXED)))
    return f


def _pool_grad_fn(kernel, stride, pad):
    return lambda gy: F.Pooling2DGrad(_fixed_max_pool(kernel, stride, pad, gy))(gy)


def _pool_with_indexes_fn(kernel, stride, pad):
    return lambda x: F.Pooling2DWithIndexes(_fixed_max_pool(kernel, stride, pad, x))(x)


def _avg_pool_grad_fn(in_shape, kernel, stride, pad):
    def fn(gy):
        f = F.AveragePooling(kernel, stride, pad)
        f(Variable(np.zeros(in_shape)))
        return F.AveragePooling2DGrad(f)(gy)
    return fn


def _pool_out_shape(kernel, stride, pad, shape=_X):
    (KH, KW), (SH, SW), (PH, PW) = _p(kernel), _p(stride), _p(pad)
    return shape[:2] + (_out(shape[2], KH, SH, PH), _out(shape[3], KW, SW, PW))


def _col_shape(kernel, stride, pad, to_matrix, shape=_X):
    (KH, KW), (SH, SW), (PH, PW) = _p(kernel), _p(stride), _p(pad)
    N, C, H, W = shape
    OH, OW = _out(H, KH, SH, PH), _out(W, KW, SW, PW)
    return (N * OH * OW, C * KH * KW) if to_matrix else (N, C, KH, KW, OH, OW)


# =============================================================================
# Rows
# =============================================================================
def _conv_row(name, oc, kernel, stride, pad, bias=True, shape=_X, fn=None, reference=None):
    KH, KW = _p(kernel)
    shapes = [shape, (oc, shape[1], KH, KW)] + ([(oc,)] if bias else [])
    fn = fn or F.conv2d
    reference = reference or ref_conv2d
    if bias:
        return dict(name=name, make_inputs=_normal(*shapes),
                    fn=lambda x, W, b: fn(x, W, b, stride=stride, pad=pad),
                    reference=lambda x, W, b: reference(x, W, b, stride, pad))
    return dict(name=name, make_inputs=_normal(*shapes),
                fn=lambda x, W: fn(x, W, stride=stride, pad=pad),
                reference=lambda x, W: reference(x, W, None, stride, pad))


def _deconv_row(name, oc, kernel, stride, pad, bias=True, outsize=None, shape=(2, 2, 3, 4)):
    KH, KW = _p(kernel)
    shapes = [shape, (shape[1], oc, KH, KW)] + ([(oc,)] if bias else [])
    if bias:
        return dict(name=name, make_inputs=_normal(*shapes),
                    fn=lambda x, W, b: F.deconv2d(x, W, b, stride=stride, pad=pad, outsize=outsize),
                    reference=lambda x, W, b: ref_deconv2d(x, W, b, stride, pad, outsize))
    return dict(name=name, make_inputs=_normal(*shapes),
                fn=lambda x, W: F.deconv2d(x, W, stride=stride, pad=pad, outsize=outsize),
                reference=lambda x, W: ref_deconv2d(x, W, None, stride, pad, outsize))


def _pool_row(name, kernel, stride, pad, make=None, fn=F.pooling):
    return dict(name=name, make_inputs=_inputs(make or _distinct(_X)),
                fn=lambda x: fn(x, kernel, stride, pad),
                reference=lambda x: ref_max_pool(x, kernel, stride, pad))


def _avg_row(name, kernel, stride, pad):
    return dict(name=name, make_inputs=_normal(_X),
                fn=lambda x: F.average_pooling(x, kernel, stride, pad),
                reference=lambda x: ref_avg_pool(x, kernel, stride, pad))


def _im2col_row(name, kernel, stride, pad, to_matrix):
    return dict(name=name, make_inputs=_normal(_X),
                fn=lambda x: F.im2col(x, kernel, stride, pad, to_matrix),
                reference=lambda x: ref_im2col(x, kernel, stride, pad, to_matrix))


def _col2im_row(name, kernel, stride, pad, to_matrix):
    return dict(name=name, make_inputs=_normal(_col_shape(kernel, stride, pad, to_matrix)),
                fn=lambda c: F.col2im(c, _X, kernel, stride, pad, to_matrix),
                reference=lambda c: ref_col2im(c, _X, kernel, stride, pad, to_matrix))


def _grad_w_row(name, kernel, stride, pad, oc=3, shape=_X):
    out = _pool_out_shape(kernel, stride, pad, shape)
    return dict(name=name, make_inputs=_normal(shape, (out[0], oc) + out[2:]),
                fn=lambda x, gy: F.Conv2DGradW(kernel_size=kernel, stride=stride, pad=pad)(x, gy),
                reference=lambda x, gy: ref_conv2d_grad_w(x, gy, kernel, stride, pad))


CONV_CASES = [
    # --- conv2d: strides, pads, non-square kernels, with and without bias ---
    _conv_row("conv2d_3x3", 3, 3, 1, 0),
    _conv_row("conv2d_3x3_nobias", 3, 3, 1, 0, bias=False),
    _conv_row("conv2d_3x3_pad1_oc8", 8, 3, 1, 1),  # stride 1, OC*KH*KW >= 64: gx as a conv of gy
    _conv_row("conv2d_2x3_stride21_pad10", 3, (2, 3), (2, 1), (1, 0)),
    _conv_row("conv2d_3x2_stride2_pad1_nobias", 2, (3, 2), 2, 1, bias=False),
    _conv_row("conv2d_1x3_stride12_pad01", 3, (1, 3), (1, 2), (0, 1)),
    _conv_row("conv2d_1x1", 4, 1, 1, 0),
    _conv_row("conv2d_5x6_whole_input", 2, (5, 6), 1, 0),
    _conv_row("conv2d_pad_larger_than_kernel", 2, 2, (1, 3), (2, 2), bias=False),
    _conv_row("conv2d_scalar_loop_reference", 2, (2, 3), (1, 2), (1, 1),
              reference=ref_conv2d_scalar_loops),
    # kernels that are multiples of the stride run as stride 1 over the input's phases (SpaceToDepth)
    _conv_row("conv2d_4x4_stride2_pad1_phases", 3, 4, 2, 1),
    _conv_row("conv2d_2x2_stride2_last_row_unread", 2, 2, 2, 0, bias=False),
    _conv_row("conv2d_2x4_stride12_pad01_phases", 3, (2, 4), (1, 2), (0, 1)),
    # C*KW >= 16 and KH >= 3: the row col (KH GEMMs over windows of one KW-row copy)
    _conv_row("conv2d_3x3_pad1_row_col", 4, 3, 1, 1, shape=_X_WIDE),
    _conv_row("conv2d_4x3_pad12_row_col_nobias", 8, (4, 3), 1, (1, 2), bias=False, shape=_X_WIDE),
    _conv_row("conv2d_simple", 3, (2, 3), (2, 1), (1, 0), fn=F.conv2d_simple),
    _conv_row("conv2d_simple_nobias", 2, 3, 1, 1, bias=False, fn=F.conv2d_simple),

    # --- the weight gradient as a Function of (x, gy): its own backward ---
    _grad_w_row("conv2d_grad_w_3x3", 3, 1, 0),
    _grad_w_row("conv2d_grad_w_2x3_stride21_pad1", (2, 3), (2, 1), 1),
    _grad_w_row("conv2d_grad_w_3x3_pad1_oc8", 3, 1, 1, oc=8),
    _grad_w_row("conv2d_grad_w_3x4_pad1_row_col", (3, 4), 1, 1, shape=_X_WIDE),
    _grad_w_row("conv2d_grad_w_4x4_stride2_pad1_phases", 4, 2, 1),
    _grad_w_row("conv2d_grad_w_2x2_stride2_last_row_unread", 2, 2, 0),

    # --- deconv2d (W is (C, OC, KH, KW)) ---
    _deconv_row("deconv2d_3x3", 3, 3, 1, 0),
    _deconv_row("deconv2d_3x3_pad1_oc8_nobias", 8, 3, 1, 1, bias=False),
    _deconv_row("deconv2d_2x3_stride2_pad1", 3, (2, 3), 2, 1),
    _deconv_row("deconv2d_3x2_stride21_pad01_nobias", 2, (3, 2), (2, 1), (0, 1), bias=False),
    _deconv_row("deconv2d_stride2_outsize", 3, 3, 2, 1, outsize=(6, 8)),
    _deconv_row("deconv2d_4x4_stride2_pad1_phases", 3, 4, 2, 1),
    _deconv_row("deconv2d_2x2_stride2_outsize_phases", 2, 2, 2, 0, bias=False, outsize=(7, 9)),

    # --- max pooling (distinct values: no ties) ---
    _pool_row("pooling_2x2_stride2", 2, 2, 0),
    _pool_row("pooling_3x3_stride1_pad1", 3, 1, 1),
    _pool_row("pooling_2x3_stride12_pad11", (2, 3), (1, 2), (1, 1)),
    _pool_row("pooling_3x2_stride2_pad10", (3, 2), 2, (1, 0)),
    _pool_row("pooling_negative_input_padded", 3, 2, 1, make=_distinct_negative(_X)),
    _pool_row("pooling_simple_2x3_stride12_pad11", (2, 3), (1, 2), (1, 1), fn=F.pooling_simple),
    _pool_row("pooling_simple_negative_padded", 3, 2, 1, make=_distinct_negative(_X),
              fn=F.pooling_simple),
    dict(name="pooling2d_grad", make_inputs=_normal(_pool_out_shape(3, 2, 1)),
         fn=_pool_grad_fn(3, 2, 1), reference=lambda gy: ref_max_pool_grad(_X_FIXED, gy, 3, 2, 1)),
    dict(name="pooling2d_grad_overlapping", make_inputs=_normal(_pool_out_shape((2, 3), 1, (1, 1))),
         fn=_pool_grad_fn((2, 3), 1, (1, 1)),
         reference=lambda gy: ref_max_pool_grad(_X_FIXED, gy, (2, 3), 1, (1, 1))),
    dict(name="pooling2d_with_indexes", make_inputs=_normal(_X), fn=_pool_with_indexes_fn(3, 2, 1),
         reference=lambda z: ref_gather_at_max(_X_FIXED, z, 3, 2, 1)),

    # --- average pooling (padding counted as zeros) ---
    _avg_row("average_pooling_2x2_stride2", 2, 2, 0),
    _avg_row("average_pooling_2x3_stride12_pad10", (2, 3), (1, 2), (1, 0)),
    _avg_row("average_pooling_3x3_stride2_pad1", 3, 2, 1),
    _avg_row("average_pooling_3x2_stride1", (3, 2), 1, 0),
    dict(name="average_pooling2d_grad", make_inputs=_normal(_pool_out_shape((2, 3), (1, 2), (1, 0))),
         fn=_avg_pool_grad_fn(_X, (2, 3), (1, 2), (1, 0)),
         reference=lambda gy: ref_avg_pool_grad(gy, _X, (2, 3), (1, 2), (1, 0))),

    # --- im2col / col2im ---
    _im2col_row("im2col_matrix_3x3", 3, 1, 0, True),
    _im2col_row("im2col_6d_2x3_stride21_pad1", (2, 3), (2, 1), 1, False),
    _im2col_row("im2col_matrix_3x2_stride2_pad01", (3, 2), 2, (0, 1), True),
    _col2im_row("col2im_matrix_3x3", 3, 1, 0, True),
    _col2im_row("col2im_6d_2x3_stride21_pad1", (2, 3), (2, 1), 1, False),
    _col2im_row("col2im_matrix_3x2_stride2_pad01", (3, 2), 2, (0, 1), True),
]
