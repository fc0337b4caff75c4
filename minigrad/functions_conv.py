"""Convolution and pooling: im2col / col2im on raw arrays and the differentiable Functions built on them.

Layouts (NCHW throughout):

    x    (N, C, H, W)        conv W   (OC, C, KH, KW)      deconv W (C, OC, KH, KW)
    col  (N, C, KH, KW, OH, OW); with to_matrix=True (N*OH*OW, C*KH*KW), DeZero's layout

How it is fast on NumPy (measured on the 2-core development machine; LeNet batch-100 step about as
fast as PyTorch CPU, a 64-channel 3x3 layer within about 1.3x):

* Per sample, col is the (C*KH*KW, L) matrix, so the forward is the batched product
  W (OC, C*KH*KW) @ col (n, C*KH*KW, L) -> (n, OC, L): already NCHW, no transposed copy.  The weight
  gradient is col @ gy^T summed over the batch (the faster GEMM orientation), the input gradient
  W^T @ gy followed by col2im.  (One large GEMM over (C*KH*KW, N*L) and einsum over a sliding-window
  view were measured too: both need a transposed copy of the output or of col and were slower.)
* Stride 1 (the common case) uses a flattened padded image: every kernel offset's patch is one
  contiguous slice (see _ConvGeom), so im2col is KH*KW long contiguous copies and col2im KH*KW long
  contiguous adds; other strides use one strided slice copy per offset.  Never sliding_window_view +
  ascontiguousarray, never np.add.at.
* The batch is processed in chunks whose col fits in cache (about 4 MiB), which was 1.5-2x faster than
  one large col for mid-size layers; the forward keeps only the padded input, and the weight gradient
  recomputes its chunks of col.
* A stride-1 input gradient with a large OC*KH*KW is computed as a convolution of the padded gy with
  the flipped, transposed W (a faster GEMM than W^T @ gy plus col2im).
* The gradient with respect to an input passed as a plain array (not a Variable) cannot be observed, so
  `conv2d` does not compute it (the first layer of a network skips it).
* Max pooling takes the running np.maximum over the KH*KW window offsets of the (-inf padded) input and
  then the offset of the first maximum (ties go to the first element, as in PyTorch): no col buffer,
  no argmax over a small axis, no reshape-max (which was 40x slower here).
* float32 stays float32 end to end.

Every backward is written with Functions (Deconv2d, Conv2DGradW, Pooling2DGrad, Pooling2DWithIndexes,
AveragePooling2DGrad ...), each of which has a backward too, so gradients of any order work.
"""
import numpy as np

from minigrad import cuda, utils
from minigrad.core import Config, Function, Variable, as_variable
from minigrad.utils import get_conv_outsize, get_deconv_outsize, pair  # noqa: F401  (DeZero names here)


# =============================================================================
# Argument checking
# =============================================================================
def _pair(fname, name, value):
    """kernel_size / stride / pad as a pair of Python ints (TypeError naming the function otherwise)."""
    return utils.pair(value, f"{fname}: {name}")


def _kernel_arg(fname, kernel_size):
    k = _pair(fname, "kernel_size", kernel_size)
    if k[0] < 1 or k[1] < 1:
        raise ValueError(f"{fname}: kernel_size must be positive, got {kernel_size!r}")
    return k


def _stride_arg(fname, stride):
    s = _pair(fname, "stride", stride)
    if s[0] < 1 or s[1] < 1:
        raise ValueError(f"{fname}: stride must be positive, got {stride!r}")
    return s


def _pad_arg(fname, pad):
    p = _pair(fname, "pad", pad)
    if p[0] < 0 or p[1] < 0:
        raise ValueError(f"{fname}: pad must be non-negative, got {pad!r}")
    return p


def _check_4d(fname, name, a, layout="(N, C, H, W)"):
    shape = getattr(a, "shape", None)
    if shape is None or len(shape) != 4:
        raise ValueError(f"{fname}: {name} must be a 4-D array {layout}, got "
                         f"{'shape ' + str(tuple(shape)) if shape is not None else type(a).__name__}")


def _out_hw(fname, H, W, kernel, stride, pad):
    """(OH, OW) of a window of `kernel` sliding over an (H, W) input; ValueError when it does not fit."""
    (KH, KW), (SH, SW), (PH, PW) = kernel, stride, pad
    if KH > H + 2 * PH or KW > W + 2 * PW:
        raise ValueError(f"{fname}: kernel {KH}x{KW} is larger than the padded input "
                         f"{H + 2 * PH}x{W + 2 * PW} (input {H}x{W}, pad ({PH}, {PW}))")
    return (H + 2 * PH - KH) // SH + 1, (W + 2 * PW - KW) // SW + 1


def _check_bias(fname, b, channels):
    if b is not None and (b.ndim != 1 or b.shape[0] != channels):
        raise ValueError(f"{fname}: b must have shape ({channels},), got {tuple(b.shape)}")


# =============================================================================
# Raw array kernels (NumPy or CuPy)
# =============================================================================
def _padded(x, PH, PW, fill=0):
    """x (N, C, H, W) with PH rows / PW columns of `fill` on each side (x itself when no padding)."""
    if PH == 0 and PW == 0:
        return x
    xp = cuda.get_array_module(x)
    N, C, H, W = x.shape
    if fill == 0:
        out = xp.zeros((N, C, H + 2 * PH, W + 2 * PW), dtype=x.dtype)
    else:
        out = xp.full((N, C, H + 2 * PH, W + 2 * PW), fill, dtype=x.dtype)
    out[:, :, PH:PH + H, PW:PW + W] = x
    return out


def _windows(KH, KW, SH, SW, OH, OW):
    """(k, row slice, column slice) of each kernel offset, in row-major offset order."""
    k = 0
    for i in range(KH):
        rows = slice(i, i + SH * (OH - 1) + 1, SH)
        for j in range(KW):
            yield k, rows, slice(j, j + SW * (OW - 1) + 1, SW)
            k += 1


def _im2col6(img, kernel, stride, pad, matrix_layout=False):
    """col of img.  matrix_layout=False: a contiguous (N, C, KH, KW, OH, OW) array; True: a contiguous
    (N, OH, OW, C, KH, KW) array (the memory order of DeZero's to_matrix form).  One strided copy per
    kernel offset."""
    xp = cuda.get_array_module(img)
    (KH, KW), (SH, SW), (PH, PW) = kernel, stride, pad
    N, C, H, W = img.shape
    OH, OW = (H + 2 * PH - KH) // SH + 1, (W + 2 * PW - KW) // SW + 1
    img = _padded(img, PH, PW)
    if matrix_layout:
        base = xp.empty((N, OH, OW, C, KH, KW), dtype=img.dtype)
        col = base.transpose(0, 3, 4, 5, 1, 2)
    else:
        base = col = xp.empty((N, C, KH, KW, OH, OW), dtype=img.dtype)
    for k, rows, cols in _windows(KH, KW, SH, SW, OH, OW):
        col[:, :, k // KW, k % KW] = img[:, :, rows, cols]
    return base


def _col2im6(col, img_shape, kernel, stride, pad):
    """The adjoint of _im2col6: col viewed as (N, C, KH, KW, OH, OW) (any strides) is added back into an
    (N, C, H, W) image; one strided `+=` per kernel offset (plain assignment when windows do not
    overlap).  Returns a C-contiguous array."""
    xp = cuda.get_array_module(col)
    (KH, KW), (SH, SW), (PH, PW) = kernel, stride, pad
    N, C, H, W = img_shape
    OH, OW = col.shape[4], col.shape[5]
    # the padded image must hold every window; rows/columns no window reaches get zero gradient
    HP = max(H + 2 * PH, KH + SH * (OH - 1))
    WP = max(W + 2 * PW, KW + SW * (OW - 1))
    overlap = SH < KH or SW < KW
    if not overlap and HP == KH * OH and WP == KW * OW:
        img = xp.empty((N, C, HP, WP), dtype=col.dtype)  # the windows tile the image exactly
    else:
        img = xp.zeros((N, C, HP, WP), dtype=col.dtype)
    for k, rows, cols in _windows(KH, KW, SH, SW, OH, OW):
        if overlap:
            img[:, :, rows, cols] += col[:, :, k // KW, k % KW]
        else:
            img[:, :, rows, cols] = col[:, :, k // KW, k % KW]
    if PH == 0 and PW == 0 and HP == H and WP == W:
        return img
    return xp.ascontiguousarray(img[:, :, PH:PH + H, PW:PW + W])


# -----------------------------------------------------------------------------
# The convolution engine.
#
# _ConvGeom describes one convolution geometry and turns the input into a "source" array from which
# the col patches of any slice of the batch are cut:
#
# * stride 1 ("flat"): the source is the zero-padded image flattened per channel (plus KW-1 zeros at
#   the end).  Window offset (i, j) of output pixel (oh, ow) reads flat position
#   (i*Wp + j) + (oh*Wp + ow), so letting ow run over the whole padded width Wp (columns OW..Wp-1 are
#   junk), the patch of offset (i, j) for every output pixel is ONE contiguous slice of length
#   L = OH*Wp: im2col is KH*KW contiguous copies and col2im KH*KW contiguous adds.  The junk columns
#   cost Wp/OW - 1 more GEMM work; outputs drop them and output gradients enter with zeros there.
# * other strides: the source is the padded image, col is cut with one strided copy per offset.
#
# The batch is processed in chunks whose col (n, C*KH*KW, L) is about _CHUNK_BYTES, so col is written
# and read while it is still in cache (1.5x faster than one large col for a 64-channel 32x32 layer) and
# no col larger than that is ever held; the backward recomputes it from the kept source.  On a GPU,
# where few large kernels are what counts, the chunks are far larger (_GPU_CHUNK_BYTES: a bound on
# memory only).
# -----------------------------------------------------------------------------
_CHUNK_BYTES = 4 * 2 ** 20
_GPU_CHUNK_BYTES = 256 * 2 ** 20


class _ConvGeom:
    def __init__(self, x_shape, kernel, stride, pad):
        N, C, H, W = x_shape
        (KH, KW), (SH, SW), (PH, PW) = kernel, stride, pad
        self.x_shape = tuple(x_shape)
        self.kernel, self.stride, self.pad = kernel, stride, pad
        self.Hp, self.Wp = H + 2 * PH, W + 2 * PW
        self.OH, self.OW = (self.Hp - KH) // SH + 1, (self.Wp - KW) // SW + 1
        self.K = C * KH * KW
        self.flat = SH == 1 and SW == 1
        self.L = self.OH * self.Wp if self.flat else self.OH * self.OW

    def chunks(self, xp, itemsize):
        N = self.x_shape[0]
        target = _CHUNK_BYTES if xp is np else _GPU_CHUNK_BYTES
        step = max(1, min(N, target // max(1, self.K * self.L * itemsize)))
        return step, [(s, min(N, s + step)) for s in range(0, N, step)]

    def source(self, x):
        """The padded input (flattened per channel for stride 1)."""
        xp = cuda.get_array_module(x)
        N, C, H, W = x.shape
        (PH, PW), Hp, Wp = self.pad, self.Hp, self.Wp
        if not self.flat:
            return _padded(x, PH, PW)
        KW = self.kernel[1]
        src = xp.empty((N, C, Hp * Wp + KW - 1), dtype=x.dtype)
        src[:, :, Hp * Wp:] = 0
        if PH == 0 and PW == 0:
            src[:, :, :H * W] = x.reshape(N, C, H * W)
        else:
            img = src[:, :, :Hp * Wp].reshape(N, C, Hp, Wp)
            img[:, :, :PH] = 0
            img[:, :, PH + H:] = 0
            img[:, :, PH:PH + H, :PW] = 0
            img[:, :, PH:PH + H, PW + W:] = 0
            img[:, :, PH:PH + H, PW:PW + W] = x
        return src

    def grad_source(self, xp, dtype):
        N, C = self.x_shape[:2]
        if self.flat:
            return xp.zeros((N, C, self.Hp * self.Wp + self.kernel[1] - 1), dtype=dtype)
        return xp.zeros((N, C, self.Hp, self.Wp), dtype=dtype)

    def col(self, src, out):
        """col (n, C*KH*KW, L) of the source slice src (n, ...), written into the buffer `out`."""
        (KH, KW), (SH, SW) = self.kernel, self.stride
        n, C = src.shape[:2]
        L, OH, OW = self.L, self.OH, self.OW
        if self.flat:
            Wp = self.Wp
            col = out[:n * self.K * L].reshape(n, C, KH, KW, L)
            for i in range(KH):
                for j in range(KW):
                    start = i * Wp + j
                    col[:, :, i, j] = src[:, :, start:start + L]
        else:
            col = out[:n * self.K * L].reshape(n, C, KH, KW, OH, OW)
            for k, rows, cols in _windows(KH, KW, SH, SW, OH, OW):
                col[:, :, k // KW, k % KW] = src[:, :, rows, cols]
        return col.reshape(n, self.K, L)

    def add_col(self, gcol, gsrc):
        """gsrc (n, ...) += the col2im of gcol (n, C*KH*KW, L)."""
        (KH, KW), (SH, SW) = self.kernel, self.stride
        n, C = gsrc.shape[:2]
        if self.flat:
            L, Wp = self.L, self.Wp
            gcol = gcol.reshape(n, C, KH, KW, L)
            for i in range(KH):
                for j in range(KW):
                    start = i * Wp + j
                    gsrc[:, :, start:start + L] += gcol[:, :, i, j]
        else:
            gcol = gcol.reshape(n, C, KH, KW, self.OH, self.OW)
            for k, rows, cols in _windows(KH, KW, SH, SW, self.OH, self.OW):
                gsrc[:, :, rows, cols] += gcol[:, :, k // KW, k % KW]

    def image(self, gsrc):
        """The (N, C, H, W) image of a (gradient) source, padding and junk dropped (a view of it when
        there is nothing to drop, else a C-contiguous copy)."""
        xp = cuda.get_array_module(gsrc)
        N, C, H, W = self.x_shape
        (PH, PW), Hp, Wp = self.pad, self.Hp, self.Wp
        img = gsrc[:, :, :Hp * Wp].reshape(N, C, Hp, Wp) if self.flat else gsrc
        if PH == 0 and PW == 0:
            return img
        return xp.ascontiguousarray(img[:, :, PH:PH + H, PW:PW + W])

    def widen(self, gy):
        """gy (N, OC, OH, OW) as (N, OC, L), zeros in the junk columns."""
        xp = cuda.get_array_module(gy)
        N, OC, OH, OW = gy.shape
        if not self.flat or OW == self.Wp:
            return gy.reshape(N, OC, self.L)
        out = xp.empty((N, OC, OH, self.Wp), dtype=gy.dtype)
        out[..., OW:] = 0
        out[..., :OW] = gy
        return out.reshape(N, OC, self.L)

    def narrow(self, yc, out):
        """out (n, OC, OH, OW) = yc (n, OC, L) without the junk columns."""
        n, OC = yc.shape[:2]
        if self.flat:
            out[...] = yc.reshape(n, OC, self.OH, self.Wp)[..., :self.OW]
        else:
            out[...] = yc.reshape(n, OC, self.OH, self.OW)


def _conv_forward(x, W, b, stride, pad):
    """y = conv(x, W) + b; returns (y, source) where source is what _conv_backward_weight needs."""
    xp = cuda.get_array_module(x)
    OC, C, KH, KW = W.shape
    g = _ConvGeom(x.shape, (KH, KW), stride, pad)
    src = g.source(x)
    N = x.shape[0]
    dtype = np.result_type(x.dtype, W.dtype)
    step, chunks = g.chunks(xp, x.dtype.itemsize)
    W2 = W.reshape(OC, g.K)
    y = xp.empty((N, OC, g.OH, g.OW), dtype=dtype)
    buf = xp.empty(step * g.K * g.L, dtype=x.dtype)
    ybuf = xp.empty((step, OC, g.L), dtype=dtype)
    for s, e in chunks:
        col = g.col(src[s:e], buf)
        yc = xp.matmul(W2, col, out=ybuf[:e - s])
        g.narrow(yc, y[s:e])
    if b is not None:
        y += b.reshape(1, OC, 1, 1)
    return y, src


def _conv_backward_weight(x, gy, kernel, stride, pad, src=None):
    """The gradient of conv(x, W) with respect to W (OC, C, KH, KW): sum over the batch of
    col[n] (C*KH*KW, L) @ gy[n]^T (L, OC), transposed (that orientation is the faster GEMM).
    `src` is the source _conv_forward returned for x, if kept."""
    xp = cuda.get_array_module(gy)
    N, OC = gy.shape[:2]
    C = x.shape[1]
    KH, KW = kernel
    g = _ConvGeom(x.shape, kernel, stride, pad)
    if src is None:
        src = g.source(x)
    gyT = g.widen(gy).transpose(0, 2, 1)  # (N, L, OC)
    step, chunks = g.chunks(xp, src.dtype.itemsize)
    buf = xp.empty(step * g.K * g.L, dtype=src.dtype)
    gWT = None
    for s, e in chunks:
        col = g.col(src[s:e], buf)
        part = xp.matmul(col, gyT[s:e])  # (n, K, OC)
        part = part[0] if e - s == 1 else part.sum(axis=0)
        if gWT is None:
            gWT = part
        else:
            gWT += part
    return xp.ascontiguousarray(gWT.T).reshape(OC, C, KH, KW)


def _conv_backward_data(gy, W, x_hw, stride, pad):
    """The gradient of conv(x, W) with respect to x, for gy (N, OC, OH, OW) and W (OC, C, KH, KW).
    This is also the forward of the transposed convolution."""
    xp = cuda.get_array_module(gy)
    N, OC, OH, OW = gy.shape
    _, C, KH, KW = W.shape
    H, Wd = x_hw
    (PH, PW) = pad
    g = _ConvGeom((N, C, H, Wd), (KH, KW), stride, pad)
    if g.OH != OH or g.OW != OW:
        raise ValueError(f"conv2d gradient: gy of shape {gy.shape} does not fit an input of size {H}x{Wd}")
    QH, QW = KH - 1 - PH, KW - 1 - PW
    if g.flat and QH >= 0 and QW >= 0 and H * (Wd + KW - 1) <= 1.1 * g.L and OC * KH * KW >= 64:
        # A stride-1 input gradient is a convolution of gy (padded by K-1-P) with the flipped,
        # transposed W: one more forward pass, whose GEMM (inner size OC*KH*KW) runs faster than
        # W^T @ gy (inner size OC) followed by col2im.
        Wf = xp.ascontiguousarray(W[:, :, ::-1, ::-1].transpose(1, 0, 2, 3))
        return _conv_forward(gy, Wf, None, (1, 1), (QH, QW))[0]
    Wt = W.reshape(OC, g.K).T
    gyw = g.widen(gy)
    gsrc = g.grad_source(xp, np.result_type(gy.dtype, W.dtype))
    step, chunks = g.chunks(xp, gsrc.dtype.itemsize)
    buf = xp.empty((step, g.K, g.L), dtype=gsrc.dtype)
    for s, e in chunks:
        gcol = xp.matmul(Wt, gyw[s:e], out=buf[:e - s])
        g.add_col(gcol, gsrc[s:e])
    return g.image(gsrc)


def _pool_fill(dtype):
    return -np.inf if np.dtype(dtype).kind == "f" else np.iinfo(dtype).min


def _index_dtype(n):
    return np.int8 if n <= 127 else (np.int16 if n <= 32767 else np.int32)


def _max_pool_forward(x, kernel, stride, pad):
    """Max over each window of x (padded with -inf).  Returns (y, indexes) where indexes (int8 ...)
    holds the kernel offset k = i*KW + j of the first maximum of each window (ties go to the first,
    as in PyTorch).  NaN propagates to y."""
    xp = cuda.get_array_module(x)
    (KH, KW), (SH, SW), (PH, PW) = kernel, stride, pad
    N, C, H, W = x.shape
    OH, OW = (H + 2 * PH - KH) // SH + 1, (W + 2 * PW - KW) // SW + 1
    xpad = _padded(x, PH, PW, _pool_fill(x.dtype))
    views = [xpad[:, :, rows, cols] for _, rows, cols in _windows(KH, KW, SH, SW, OH, OW)]
    if len(views) == 1:
        return views[0].copy(), xp.zeros((N, C, OH, OW), dtype=np.int8)
    y = xp.maximum(views[0], views[1])
    for v in views[2:]:
        xp.maximum(y, v, out=y)
    # index of the first view equal to the max = the number of leading views that differ from it
    indexes = xp.zeros((N, C, OH, OW), dtype=_index_dtype(KH * KW))
    differ = xp.ones((N, C, OH, OW), dtype=bool)
    tmp = xp.empty((N, C, OH, OW), dtype=bool)
    for v in views[:-1]:
        xp.not_equal(v, y, out=tmp)
        differ &= tmp
        indexes += differ
    return y, indexes


def _max_pool_scatter(gy, indexes, in_shape, kernel, stride, pad):
    """gx (in_shape) with gy[n, c, oh, ow] added at the input position its window's maximum came from."""
    xp = cuda.get_array_module(gy)
    (KH, KW), (SH, SW), (PH, PW) = kernel, stride, pad
    N, C, H, W = in_shape
    OH, OW = gy.shape[2], gy.shape[3]
    overlap = SH < KH or SW < KW
    HP, WP = H + 2 * PH, W + 2 * PW
    if not overlap and HP == KH * OH and WP == KW * OW:
        gx = xp.empty((N, C, HP, WP), dtype=gy.dtype)  # the windows tile the input exactly
    else:
        gx = xp.zeros((N, C, HP, WP), dtype=gy.dtype)
    for k, rows, cols in _windows(KH, KW, SH, SW, OH, OW):
        if overlap:
            gx[:, :, rows, cols] += gy * (indexes == k)
        else:  # each input position belongs to one window at most
            xp.multiply(gy, indexes == k, out=gx[:, :, rows, cols])
    if PH == 0 and PW == 0:
        return gx
    return xp.ascontiguousarray(gx[:, :, PH:PH + H, PW:PW + W])


def _max_pool_gather(x, indexes, kernel, stride, pad):
    """y[n, c, oh, ow] = x at the position recorded in indexes (the linear map Pooling applied)."""
    (KH, KW), (SH, SW), (PH, PW) = kernel, stride, pad
    OH, OW = indexes.shape[2], indexes.shape[3]
    xpad = _padded(x, PH, PW)
    y = None
    for k, rows, cols in _windows(KH, KW, SH, SW, OH, OW):
        term = xpad[:, :, rows, cols] * (indexes == k)
        if y is None:
            y = term
        else:
            y += term
    return y


def _avg_pool_forward(x, kernel, stride, pad):
    """Mean over each window of x, padding counted as zeros (PyTorch's count_include_pad=True)."""
    (KH, KW), (SH, SW), (PH, PW) = kernel, stride, pad
    N, C, H, W = x.shape
    OH, OW = (H + 2 * PH - KH) // SH + 1, (W + 2 * PW - KW) // SW + 1
    if x.dtype.kind != "f":  # sum integer images without overflow
        x = x.astype(np.float64)
    xpad = _padded(x, PH, PW)
    y = None
    for _, rows, cols in _windows(KH, KW, SH, SW, OH, OW):
        if y is None:
            y = xpad[:, :, rows, cols].copy()
        else:
            y += xpad[:, :, rows, cols]
    y /= KH * KW
    return y


def _avg_pool_backward(gy, in_shape, kernel, stride, pad):
    """The adjoint of _avg_pool_forward: each gy / (KH*KW) spread over its window."""
    (KH, KW) = kernel
    N, C, H, W = in_shape
    g = gy / (KH * KW)
    OH, OW = gy.shape[2], gy.shape[3]
    col = g.reshape(N, C, 1, 1, OH, OW)
    xp = cuda.get_array_module(gy)
    col = xp.broadcast_to(col, (N, C, KH, KW, OH, OW))
    return _col2im6(col, in_shape, kernel, stride, pad)


# =============================================================================
# im2col / col2im on arrays (DeZero's names and semantics)
# =============================================================================
def im2col_array(img, kernel_size, stride, pad, to_matrix=True):
    """Patches of img (N, C, H, W): col (N, C, KH, KW, OH, OW), or with to_matrix=True the matrix
    (N*OH*OW, C*KH*KW) whose row n*OH*OW + oh*OW + ow is the window of output pixel (oh, ow)."""
    _check_4d("im2col", "img", img)
    kernel = _kernel_arg("im2col", kernel_size)
    stride = _stride_arg("im2col", stride)
    pad = _pad_arg("im2col", pad)
    N, C, H, W = img.shape
    OH, OW = _out_hw("im2col", H, W, kernel, stride, pad)
    col = _im2col6(img, kernel, stride, pad, matrix_layout=to_matrix)
    if to_matrix:
        return col.reshape(N * OH * OW, C * kernel[0] * kernel[1])
    return col


def col2im_array(col, img_shape, kernel_size, stride, pad, to_matrix=True):
    """The adjoint of im2col_array: the patches in col are added back into an img_shape image."""
    kernel = _kernel_arg("col2im", kernel_size)
    stride = _stride_arg("col2im", stride)
    pad = _pad_arg("col2im", pad)
    if len(img_shape) != 4:
        raise ValueError(f"col2im: img_shape must have 4 entries (N, C, H, W), got {tuple(img_shape)}")
    N, C, H, W = (int(v) for v in img_shape)
    KH, KW = kernel
    OH, OW = _out_hw("col2im", H, W, kernel, stride, pad)
    expected = (N * OH * OW, C * KH * KW) if to_matrix else (N, C, KH, KW, OH, OW)
    if tuple(col.shape) != expected:
        raise ValueError(f"col2im: col must have shape {expected} for img_shape {(N, C, H, W)}, "
                         f"got {tuple(col.shape)}")
    if to_matrix:
        col = col.reshape(N, OH, OW, C, KH, KW).transpose(0, 3, 4, 5, 1, 2)
    return _col2im6(col, (N, C, H, W), kernel, stride, pad)


# =============================================================================
# im2col / col2im Functions
# =============================================================================
class Im2col(Function):
    def __init__(self, kernel_size, stride=1, pad=0, to_matrix=True):
        self.kernel_size = _kernel_arg("im2col", kernel_size)
        self.stride = _stride_arg("im2col", stride)
        self.pad = _pad_arg("im2col", pad)
        self.to_matrix = to_matrix

    def forward(self, x):
        self.input_shape = x.shape
        return im2col_array(x, self.kernel_size, self.stride, self.pad, self.to_matrix)

    def backward(self, gy):
        return col2im(gy, self.input_shape, self.kernel_size, self.stride, self.pad, self.to_matrix)


def im2col(x, kernel_size, stride=1, pad=0, to_matrix=True):
    """Differentiable im2col (its gradient is col2im)."""
    return Im2col(kernel_size, stride, pad, to_matrix)(x)


class Col2im(Function):
    def __init__(self, input_shape, kernel_size, stride=1, pad=0, to_matrix=True):
        self.input_shape = tuple(input_shape)
        self.kernel_size = _kernel_arg("col2im", kernel_size)
        self.stride = _stride_arg("col2im", stride)
        self.pad = _pad_arg("col2im", pad)
        self.to_matrix = to_matrix

    def forward(self, x):
        return col2im_array(x, self.input_shape, self.kernel_size, self.stride, self.pad, self.to_matrix)

    def backward(self, gy):
        return im2col(gy, self.kernel_size, self.stride, self.pad, self.to_matrix)


def col2im(x, input_shape, kernel_size, stride=1, pad=0, to_matrix=True):
    """Differentiable col2im (its gradient is im2col)."""
    return Col2im(input_shape, kernel_size, stride, pad, to_matrix)(x)


# =============================================================================
# Convolution
# =============================================================================
class Conv2d(Function):
    """y = conv(x, W) + b: x (N, C, H, W), W (OC, C, KH, KW), b (OC,) or absent; y (N, OC, OH, OW)."""

    def __init__(self, stride=1, pad=0):
        self.stride = _stride_arg("conv2d", stride)
        self.pad = _pad_arg("conv2d", pad)
        self.need_gx = True  # conv2d() clears it when x is a plain array (its gradient is unobservable)
        self._src = None

    def forward(self, x, W, b=None):
        _check_4d("conv2d", "x", x)
        _check_4d("conv2d", "W", W, "(OC, C, KH, KW)")
        if x.shape[1] != W.shape[1]:
            raise ValueError(f"conv2d: x has {x.shape[1]} channels but W expects {W.shape[1]}")
        _check_bias("conv2d", b, W.shape[0])
        _out_hw("conv2d", x.shape[2], x.shape[3], W.shape[2:], self.stride, self.pad)
        y, src = _conv_forward(x, W, b, self.stride, self.pad)
        self._src = src if Config.enable_backprop else None  # the padded x, for the weight gradient
        return y

    def backward(self, gy):
        x, W = self.inputs[0], self.inputs[1]
        has_b = len(self.inputs) > 2 and self.inputs[2].data is not None
        gx = None
        if self.need_gx:
            gx = deconv2d(gy, W, None, self.stride, self.pad, outsize=x.shape[2:])
        src, self._src = self._src, None  # used once; a second backward recomputes it
        gW = Conv2DGradW(self, src=src)(x, gy)
        if len(self.inputs) == 2:
            return gx, gW
        gb = _sum_nhw(gy) if has_b else None
        return gx, gW, gb


def conv2d(x, W, b=None, stride=1, pad=0):
    """2-D convolution (cross-correlation, as in every framework): x (N, C, H, W), W (OC, C, KH, KW),
    b (OC,) or None; stride and pad an int or a pair (sh, sw) / (ph, pw)."""
    f = Conv2d(stride, pad)
    f.need_gx = isinstance(x, Variable)
    if b is None:
        return f(x, W)
    return f(x, W, b)


class Deconv2d(Function):
    """Transposed convolution: x (N, C, H, W), W (C, OC, KH, KW), b (OC,) or absent; the adjoint of
    conv2d with the same W, stride and pad.  outsize (OH, OW) picks the output size when the stride
    makes it ambiguous; by default OH = SH*(H-1) + KH - 2*PH."""

    def __init__(self, stride=1, pad=0, outsize=None):
        self.stride = _stride_arg("deconv2d", stride)
        self.pad = _pad_arg("deconv2d", pad)
        self.outsize = None if outsize is None else _pair("deconv2d", "outsize", outsize)

    def forward(self, x, W, b=None):
        _check_4d("deconv2d", "x", x)
        _check_4d("deconv2d", "W", W, "(C, OC, KH, KW)")
        if x.shape[1] != W.shape[0]:
            raise ValueError(f"deconv2d: x has {x.shape[1]} channels but W expects {W.shape[0]}")
        _check_bias("deconv2d", b, W.shape[1])
        (SH, SW), (PH, PW) = self.stride, self.pad
        C, OC, KH, KW = W.shape
        H, Wd = x.shape[2], x.shape[3]
        if self.outsize is None:
            OH = get_deconv_outsize(H, KH, SH, PH)
            OW = get_deconv_outsize(Wd, KW, SW, PW)
        else:
            OH, OW = self.outsize
        if OH < 1 or OW < 1 or KH > OH + 2 * PH or KW > OW + 2 * PW or \
                get_conv_outsize(OH, KH, SH, PH) != H or get_conv_outsize(OW, KW, SW, PW) != Wd:
            raise ValueError(f"deconv2d: output size {OH}x{OW} does not fit input {H}x{Wd} with kernel "
                             f"{KH}x{KW}, stride {self.stride}, pad {self.pad} (a convolution of the "
                             f"output must give back the input size)")
        y = _conv_backward_data(x, W, (OH, OW), self.stride, self.pad)
        if b is not None:
            y += b.reshape(1, OC, 1, 1)
        return y

    def backward(self, gy):
        x, W = self.inputs[0], self.inputs[1]
        gx = conv2d(gy, W, None, self.stride, self.pad)
        gW = Conv2DGradW(self)(gy, x)
        if len(self.inputs) == 2:
            return gx, gW
        gb = _sum_nhw(gy) if self.inputs[2].data is not None else None
        return gx, gW, gb


def deconv2d(x, W, b=None, stride=1, pad=0, outsize=None):
    """Transposed convolution (see Deconv2d); W is (C, OC, KH, KW)."""
    f = Deconv2d(stride, pad, outsize)
    if b is None:
        return f(x, W)
    return f(x, W, b)


class Conv2DGradW(Function):
    """gW = the weight gradient of a convolution, as a function of its input x and output gradient gy:
    gW[o, c, i, j] = sum_{n, oh, ow} gy[n, o, oh, ow] * xpad[n, c, oh*SH + i, ow*SW + j].

    Built from the convolution Function it differentiates (Conv2d, or Deconv2d for which the roles are
    swapped: called as (gy, x)).  Its backward uses the incoming gradient ggW (DeZero's reads the
    outputs instead, so 2nd order through a conv weight gradient fails there):
    d/dx = deconv2d(gy, ggW), d/dgy = conv2d(x, ggW)."""

    def __init__(self, conv2d=None, src=None, *, kernel_size=None, stride=None, pad=None):
        if conv2d is not None:
            W = conv2d.inputs[1]
            kernel_size = W.shape[2:]
            stride, pad = conv2d.stride, conv2d.pad
        self.kernel_size = _kernel_arg("Conv2DGradW", kernel_size)
        self.stride = _stride_arg("Conv2DGradW", 1 if stride is None else stride)
        self.pad = _pad_arg("Conv2DGradW", 0 if pad is None else pad)
        self._src = src  # the padded x kept by the forward convolution, if any

    def forward(self, x, gy):
        _check_4d("Conv2DGradW", "x", x)
        _check_4d("Conv2DGradW", "gy", gy)
        OH, OW = _out_hw("Conv2DGradW", x.shape[2], x.shape[3], self.kernel_size, self.stride, self.pad)
        if gy.shape[0] != x.shape[0] or gy.shape[2:] != (OH, OW):
            raise ValueError(f"Conv2DGradW: gy must have shape ({x.shape[0]}, OC, {OH}, {OW}) for x of "
                             f"shape {x.shape}, got {gy.shape}")
        src, self._src = self._src, None
        return _conv_backward_weight(x, gy, self.kernel_size, self.stride, self.pad, src)

    def backward(self, gW):
        x, gy = self.inputs
        gx = deconv2d(gy, gW, None, self.stride, self.pad, outsize=x.shape[2:])
        ggy = conv2d(x, gW, None, self.stride, self.pad)
        return gx, ggy


class _SumNHW(Function):
    """The bias gradient: gy (N, C, H, W) summed to (C,).  Its backward broadcasts back."""

    def forward(self, gy):
        self.shape = gy.shape
        N, C = gy.shape[:2]
        return gy.reshape(N, C, -1).sum(axis=(0, 2))

    def backward(self, g):
        from minigrad import functions as F
        return F.broadcast_to(F.reshape(g, (1, self.shape[1], 1, 1)), self.shape)


def _sum_nhw(gy):
    return _SumNHW()(gy)


def conv2d_simple(x, W, b=None, stride=1, pad=0):
    """conv2d composed of im2col and linear, for teaching (same result, slower)."""
    from minigrad import functions as F
    x, W = as_variable(x), as_variable(W)
    _check_4d("conv2d_simple", "x", x)
    _check_4d("conv2d_simple", "W", W, "(OC, C, KH, KW)")
    N, C, H, Wd = x.shape
    OC, WC, KH, KW = W.shape
    if C != WC:
        raise ValueError(f"conv2d_simple: x has {C} channels but W expects {WC}")
    stride, pad = _stride_arg("conv2d_simple", stride), _pad_arg("conv2d_simple", pad)
    OH, OW = _out_hw("conv2d_simple", H, Wd, (KH, KW), stride, pad)
    col = im2col(x, (KH, KW), stride, pad, to_matrix=True)  # (N*OH*OW, C*KH*KW)
    Wm = F.transpose(F.reshape(W, (OC, -1)))                 # (C*KH*KW, OC)
    t = F.linear(col, Wm, b)
    return F.transpose(F.reshape(t, (N, OH, OW, OC)), (0, 3, 1, 2))


# =============================================================================
# Pooling
# =============================================================================
def _pool_args(fname, kernel_size, stride, pad):
    return _kernel_arg(fname, kernel_size), _stride_arg(fname, stride), _pad_arg(fname, pad)


def _check_max_pool_pad(fname, kernel, pad):
    if pad[0] >= kernel[0] or pad[1] >= kernel[1]:
        raise ValueError(f"{fname}: pad {pad} must be smaller than kernel_size {kernel} "
                         "(otherwise a window holds padding only)")


class Pooling(Function):
    """Max pooling (padding is -inf, so it never wins); remembers where each maximum came from."""

    def __init__(self, kernel_size, stride=1, pad=0):
        self.kernel_size, self.stride, self.pad = _pool_args("pooling", kernel_size, stride, pad)

    def forward(self, x):
        _check_4d("pooling", "x", x)
        _check_max_pool_pad("pooling", self.kernel_size, self.pad)
        _out_hw("pooling", x.shape[2], x.shape[3], self.kernel_size, self.stride, self.pad)
        self.input_shape = x.shape
        y, self.indexes = _max_pool_forward(x, self.kernel_size, self.stride, self.pad)
        return y

    def backward(self, gy):
        return Pooling2DGrad(self)(gy)


def pooling(x, kernel_size, stride=1, pad=0):
    """Max pooling over kernel_size windows (int or pair), stride and pad (ints or pairs)."""
    return Pooling(kernel_size, stride, pad)(x)


class _RecordedPoolingMap(Function):
    """Base of the two linear maps fixed by a max pooling's recorded window maxima (its indexes)."""

    def __init__(self, mpool2d):
        self.kernel_size = mpool2d.kernel_size
        self.stride = mpool2d.stride
        self.pad = mpool2d.pad
        self.input_shape = mpool2d.input_shape
        self.indexes = mpool2d.indexes


class Pooling2DGrad(_RecordedPoolingMap):
    """The gradient of max pooling: gy scattered to where each window's maximum was (a linear map of gy,
    fixed by the forward's indexes).  Its backward is Pooling2DWithIndexes, the transposed map."""

    def forward(self, gy):
        return _max_pool_scatter(gy, self.indexes, self.input_shape, self.kernel_size, self.stride,
                                 self.pad)

    def backward(self, ggx):
        return Pooling2DWithIndexes(self)(ggx)


class Pooling2DWithIndexes(_RecordedPoolingMap):
    """x picked at the positions a max pooling recorded (the pooling's forward as a linear map).  Its
    backward is Pooling2DGrad, so gradients of any order go through max pooling."""

    def forward(self, x):
        return _max_pool_gather(x, self.indexes, self.kernel_size, self.stride, self.pad)

    def backward(self, gy):
        return Pooling2DGrad(self)(gy)


class _PadConstant(Function):
    """x padded on H and W with a constant (pooling_simple pads with -inf); the gradient is cropped."""

    def __init__(self, pad, value):
        self.pad = pad
        self.value = value

    def forward(self, x):
        return _padded(x, self.pad[0], self.pad[1], self.value)

    def backward(self, gy):
        from minigrad import functions as F
        (PH, PW), (H, W) = self.pad, self.inputs[0].shape[2:]
        return F.get_item(gy, (slice(None), slice(None), slice(PH, PH + H), slice(PW, PW + W)))


def pooling_simple(x, kernel_size, stride=1, pad=0):
    """Max pooling composed of im2col and max, for teaching (padding with -inf, like pooling)."""
    from minigrad import functions as F
    x = as_variable(x)
    _check_4d("pooling_simple", "x", x)
    kernel, stride, pad = _pool_args("pooling_simple", kernel_size, stride, pad)
    N, C, H, W = x.shape
    (KH, KW), (PH, PW) = kernel, pad
    _check_max_pool_pad("pooling_simple", kernel, pad)
    OH, OW = _out_hw("pooling_simple", H, W, kernel, stride, pad)
    if PH or PW:
        x = _PadConstant(pad, _pool_fill(x.dtype))(x)
    col = im2col(x, kernel, stride, 0, to_matrix=True)  # (N*OH*OW, C*KH*KW)
    col = F.reshape(col, (-1, KH * KW))
    y = F.max(col, axis=1)
    return F.transpose(F.reshape(y, (N, OH, OW, C)), (0, 3, 1, 2))


class AveragePooling(Function):
    """Mean over each window; padding counts as zeros (PyTorch's default count_include_pad=True)."""

    def __init__(self, kernel_size, stride=1, pad=0):
        self.kernel_size, self.stride, self.pad = _pool_args("average_pooling", kernel_size, stride, pad)

    def forward(self, x):
        _check_4d("average_pooling", "x", x)
        _out_hw("average_pooling", x.shape[2], x.shape[3], self.kernel_size, self.stride, self.pad)
        self.input_shape = x.shape
        return _avg_pool_forward(x, self.kernel_size, self.stride, self.pad)

    def backward(self, gy):
        return AveragePooling2DGrad(self)(gy)


def average_pooling(x, kernel_size, stride=1, pad=0):
    """Average pooling over kernel_size windows (int or pair), stride and pad (ints or pairs)."""
    return AveragePooling(kernel_size, stride, pad)(x)


class AveragePooling2DGrad(Function):
    """The gradient of average pooling (its transpose); its backward is AveragePooling again."""

    def __init__(self, apool2d):
        self.kernel_size = apool2d.kernel_size
        self.stride = apool2d.stride
        self.pad = apool2d.pad
        self.input_shape = apool2d.input_shape

    def forward(self, gy):
        return _avg_pool_backward(gy, self.input_shape, self.kernel_size, self.stride, self.pad)

    def backward(self, ggx):
        return AveragePooling(self.kernel_size, self.stride, self.pad)(ggx)


__all__ = [
    "im2col_array", "col2im_array", "Im2col", "Col2im", "im2col", "col2im",
    "Conv2d", "conv2d", "Deconv2d", "deconv2d", "Conv2DGradW", "conv2d_simple",
    "Pooling", "pooling", "Pooling2DGrad", "Pooling2DWithIndexes", "pooling_simple",
    "AveragePooling", "AveragePooling2DGrad", "average_pooling",
]
