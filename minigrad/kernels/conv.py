"""The convolution and pooling engine on raw arrays (NumPy or CuPy): one geometry object, the kernels.

Layouts (NCHW throughout):

    x    (N, C, H, W)        conv W   (OC, C, KH, KW)      deconv W (C, OC, KH, KW)
    col  (N, C, KH, KW, OH, OW); DeZero's matrix form (N*OH*OW, C*KH*KW) has the memory order
         (N, OH, OW, C, KH, KW)

`ConvGeometry` describes a window of `kernel` sliding with `stride` over an input padded by `pad`:
the output size (the one formula, `conv_outsize`), the window slices, the padded input, im2col and
col2im, and the "source" the convolution cuts its col from.  Convolution, transposed convolution and
both poolings are written on it.  No function here checks its arguments: the Functions in
minigrad.functions.conv do that at the public boundary.

How it is fast on NumPy (the conv, deconv, VGG-block and LeNet cases of benchmarks/suite.py):

* Per sample, col is the (C*KH*KW, L) matrix; the forward is the batched product
  col^T (n, L, C*KH*KW) @ W^T -> (n, L, OC), Chainer's orientation (so strided convolutions agree with
  Chainer and DeZero bit for bit), copied into NCHW by the copy that drops the junk columns.  The weight
  gradient is col @ gy^T summed over the batch (the faster GEMM orientation), the input gradient
  W^T @ gy followed by col2im.  One large GEMM over (C*KH*KW, N*L) and einsum over a sliding-window
  view both need a transposed copy of the output or of col and were slower.
* Stride 1 (the common case) uses a flattened padded image: window offset (i, j) of output pixel
  (oh, ow) reads flat position (i*Wp + j) + (oh*Wp + ow), so letting ow run over the whole padded width
  Wp (columns OW..Wp-1 are junk), the patch of offset (i, j) for every output pixel is ONE contiguous
  slice of length L = OH*Wp: im2col is KH*KW contiguous copies and col2im KH*KW contiguous adds.  The
  junk columns cost Wp/OW - 1 more GEMM work; outputs drop them and output gradients enter with zeros
  there.  Other strides use one strided slice copy per offset.  Never sliding_window_view +
  ascontiguousarray (2-3x slower), never np.add.at.
* The batch is processed in chunks whose col fits in cache (CPU_CHUNK_BYTES); the forward keeps only
  the padded input and the weight gradient recomputes its chunks of col.
* A stride-1 input gradient with a large OC*KH*KW is computed as a convolution of the padded gy with
  the flipped, transposed W (a faster GEMM than W^T @ gy plus col2im).
* Max pooling takes the running maximum over the KH*KW window offsets of the (-inf padded) input and
  then the offset of the first maximum (ties go to the first element, as in PyTorch): no col buffer, no
  argmax over a small axis, no reshape-max (40x slower here).
* float32 stays float32 end to end.
* Workspaces are plain arrays allocated per call.  What makes reallocating them cheap is process-wide:
  `import minigrad` raises glibc's mmap and trim thresholds (minigrad.malloc), so a freed buffer stays
  in the heap and the next step's buffer of the same size reuses its pages instead of faulting them in
  (about 1,100 page faults per LeNet batch-100 step otherwise).  That was chosen over a workspace pool
  here because it covers every temporary (activations, gradients, NumPy's own) with no bookkeeping in
  the kernels and cannot hand a buffer still in use to a second caller.
"""
import functools

import numpy as np

from minigrad import cuda

# Batch chunks hold a col of about this many bytes, so the GEMM reads col while it is still in cache:
# 1.5x faster than one large col for the 64->64 3x3 layer (the conv case of benchmarks/suite.py).
CPU_CHUNK_BYTES = 4 * 2 ** 20
# On a GPU a few large kernels are what counts: this only bounds the workspace's memory.
GPU_CHUNK_BYTES = 256 * 2 ** 20
# A stride-1 input gradient runs as a forward convolution of gy with the flipped W when the GEMM's
# inner size OC*KH*KW is at least FLIPPED_MIN_INNER (below it W^T @ gy + col2im was as fast: LeNet's
# conv2 has 6*25 = 150, VGG's 3x3 64-channel layers 576) and the padded gy grows the work by at most
# FLIPPED_MAX_GROWTH.
FLIPPED_MIN_INNER = 64
FLIPPED_MAX_GROWTH = 1.1


def conv_outsize(size, kernel, stride, pad):
    """Output length of a window sliding along one axis: the one output-size formula."""
    return (size + 2 * pad - kernel) // stride + 1


def deconv_outsize(size, kernel, stride, pad):
    """Output length of a transposed convolution along one axis (the inverse of conv_outsize)."""
    return stride * (size - 1) + kernel - 2 * pad


def pool_fill(dtype):
    """The identity of max: -inf for floats, the smallest value for integers."""
    return -np.inf if np.dtype(dtype).kind == "f" else np.iinfo(dtype).min


def padded(x, PH, PW, fill=0):
    """x (N, C, H, W) with PH rows / PW columns of `fill` on each side (x itself when no padding)."""
    if PH == 0 and PW == 0:
        return x
    xp = cuda.get_array_module(x)
    N, C, H, W = x.shape
    shape = (N, C, H + 2 * PH, W + 2 * PW)
    out = xp.zeros(shape, dtype=x.dtype) if fill == 0 else xp.full(shape, fill, dtype=x.dtype)
    out[:, :, PH:PH + H, PW:PW + W] = x
    return out


class ConvGeometry:
    """A KHxKW window with stride (SH, SW) over an (N, C, H, W) input padded by (PH, PW).

    Immutable once built; `geometry()` hands out one shared instance per set of arguments, so the
    window slices below are computed once, not on every call (a LeNet batch-1 step builds 11).
    """

    def __init__(self, x_shape, kernel, stride, pad):
        N, C, H, W = self.x_shape = tuple(x_shape)
        (KH, KW), (SH, SW), (PH, PW) = self.kernel, self.stride, self.pad = kernel, stride, pad
        self.Hp, self.Wp = H + 2 * PH, W + 2 * PW
        self.OH, self.OW = conv_outsize(H, KH, SH, PH), conv_outsize(W, KW, SW, PW)
        self.out_shape = (N, C, self.OH, self.OW)
        self.K = C * KH * KW
        self.flat = SH == 1 and SW == 1
        self.L = self.OH * self.Wp if self.flat else self.OH * self.OW
        self._windows = tuple(self._make_windows())
        self._col_index = tuple(self._make_col_index())

    @property
    def overlap(self):
        """Whether windows share input positions."""
        return self.stride[0] < self.kernel[0] or self.stride[1] < self.kernel[1]

    @property
    def tiles(self):
        """Whether the windows cover the padded input exactly once (every position written once)."""
        (KH, KW) = self.kernel
        return not self.overlap and self.Hp == KH * self.OH and self.Wp == KW * self.OW

    def windows(self):
        """(i, j, row slice, column slice) of each kernel offset (i, j), in row-major order: the
        positions of the padded input that offset reads for every output pixel."""
        return self._windows

    def _make_windows(self):
        (KH, KW), (SH, SW), OH, OW = self.kernel, self.stride, self.OH, self.OW
        for i in range(KH):
            rows = slice(i, i + SH * (OH - 1) + 1, SH)
            for j in range(KW):
                yield i, j, rows, slice(j, j + SW * (OW - 1) + 1, SW)

    def crop(self, img):
        """The (N, C, H, W) interior of a padded image (a C-contiguous copy unless nothing to drop)."""
        (PH, PW), (H, W) = self.pad, self.x_shape[2:]
        if PH == 0 and PW == 0:
            return img
        return cuda.get_array_module(img).ascontiguousarray(img[:, :, PH:PH + H, PW:PW + W])

    def padded_zeros(self, xp, dtype):
        """A padded gradient image to accumulate into (empty when every position is written once)."""
        N, C = self.x_shape[:2]
        make = xp.empty if self.tiles else xp.zeros
        return make((N, C, self.Hp, self.Wp), dtype=dtype)

    # ---- im2col / col2im ------------------------------------------------------------------------
    def im2col(self, img, matrix_layout=False):
        """col of img: a contiguous (N, C, KH, KW, OH, OW) array, or with matrix_layout a contiguous
        (N, OH, OW, C, KH, KW) array (DeZero's matrix form).  One strided copy per kernel offset."""
        xp = cuda.get_array_module(img)
        (KH, KW), (PH, PW) = self.kernel, self.pad
        N, C = self.x_shape[:2]
        img = padded(img, PH, PW)
        if matrix_layout:
            base = xp.empty((N, self.OH, self.OW, C, KH, KW), dtype=img.dtype)
            col = base.transpose(0, 3, 4, 5, 1, 2)
        else:
            base = col = xp.empty((N, C, KH, KW, self.OH, self.OW), dtype=img.dtype)
        for i, j, rows, cols in self.windows():
            col[:, :, i, j] = img[:, :, rows, cols]
        return base

    def col2im(self, col):
        """The adjoint of im2col: col viewed as (N, C, KH, KW, OH, OW) (any strides) added back into a
        C-contiguous (N, C, H, W) image; one strided `+=` per offset (`=` when windows don't overlap)."""
        img = self.padded_zeros(cuda.get_array_module(col), col.dtype)
        overlap = self.overlap
        for i, j, rows, cols in self.windows():
            if overlap:
                img[:, :, rows, cols] += col[:, :, i, j]
            else:
                img[:, :, rows, cols] = col[:, :, i, j]
        return self.crop(img)

    # ---- the convolution's source and its col chunks --------------------------------------------
    def chunks(self, xp, itemsize):
        """(step, [(start, end) ...]): batch slices whose col is about the chunk size."""
        N = self.x_shape[0]
        target = CPU_CHUNK_BYTES if xp is np else GPU_CHUNK_BYTES
        step = max(1, min(N, target // max(1, self.K * self.L * itemsize)))
        return step, [(s, min(N, s + step)) for s in range(0, N, step)]

    def source(self, x):
        """The padded input, flattened per channel (plus KW-1 zeros at the end) for stride 1."""
        if not self.flat:
            return padded(x, *self.pad)
        xp = cuda.get_array_module(x)
        N, C, H, W = x.shape
        (PH, PW), Hp, Wp = self.pad, self.Hp, self.Wp
        src = xp.empty((N, C, Hp * Wp + self.kernel[1] - 1), dtype=x.dtype)
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
        """A zero source-shaped array to accumulate an input gradient into."""
        N, C = self.x_shape[:2]
        if self.flat:
            return xp.zeros((N, C, self.Hp * self.Wp + self.kernel[1] - 1), dtype=dtype)
        return xp.zeros((N, C, self.Hp, self.Wp), dtype=dtype)

    def _make_col_index(self):
        """(i, j, index into the source) per kernel offset: a flat slice for stride 1, else 2-D."""
        every = slice(None)
        if self.flat:
            L, Wp = self.L, self.Wp
            for i in range(self.kernel[0]):
                for j in range(self.kernel[1]):
                    yield i, j, (every, every, slice(i * Wp + j, i * Wp + j + L))
        else:
            for i, j, rows, cols in self._windows:
                yield i, j, (every, every, rows, cols)

    def _col_view(self, a, n):
        (KH, KW), C = self.kernel, self.x_shape[1]
        return a.reshape((n, C, KH, KW, self.L) if self.flat else (n, C, KH, KW, self.OH, self.OW))

    def col(self, src, out):
        """col (n, C*KH*KW, L) of the source slice src (n, ...), written into the flat buffer `out`."""
        n = src.shape[0]
        col = self._col_view(out[:n * self.K * self.L], n)
        for i, j, index in self._col_index:
            col[:, :, i, j] = src[index]
        return col.reshape(n, self.K, self.L)

    def add_col(self, gcol, gsrc):
        """gsrc (n, ...) += the col2im of gcol (n, C*KH*KW, L)."""
        gcol = self._col_view(gcol, gsrc.shape[0])
        for i, j, index in self._col_index:
            gsrc[index] += gcol[:, :, i, j]

    def image(self, gsrc):
        """The (N, C, H, W) image of a (gradient) source, padding and junk dropped."""
        N, C = self.x_shape[:2]
        img = gsrc[:, :, :self.Hp * self.Wp].reshape(N, C, self.Hp, self.Wp) if self.flat else gsrc
        return self.crop(img)

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


@functools.lru_cache(maxsize=256)
def geometry(x_shape, kernel, stride, pad):
    """The shared ConvGeometry of these arguments (tuples of ints)."""
    return ConvGeometry(x_shape, kernel, stride, pad)


# =============================================================================
# Convolution
# =============================================================================
def conv_forward(x, W, b, stride, pad):
    """y = conv(x, W) + b; returns (y, source), the source being what conv_backward_weight needs."""
    xp = cuda.get_array_module(x)
    OC, C, KH, KW = W.shape
    g = geometry(x.shape, (KH, KW), tuple(stride), tuple(pad))
    src = g.source(x)
    dtype = np.result_type(x.dtype, W.dtype)
    step, chunks = g.chunks(xp, x.dtype.itemsize)
    W2 = W.reshape(OC, g.K)
    y = xp.empty((x.shape[0], OC, g.OH, g.OW), dtype=dtype)
    buf = xp.empty(step * g.K * g.L, dtype=x.dtype)
    ybuf = xp.empty((step, g.L, OC), dtype=dtype)
    for s, e in chunks:
        # col^T W^T, the orientation of Chainer's and DeZero's im2col convolution, so results agree
        # with theirs bit for bit where the col layouts match (strided convolutions); no slower than
        # W @ col here, as narrow copies the chunk into y either way
        ycT = xp.matmul(g.col(src[s:e], buf).transpose(0, 2, 1), W2.T, out=ybuf[:e - s])
        g.narrow(ycT.transpose(0, 2, 1), y[s:e])
    if b is not None:
        y += b.reshape(1, OC, 1, 1)
    return y, src


def conv_backward_weight(x, gy, kernel, stride, pad, src=None):
    """The gradient of conv(x, W) with respect to W (OC, C, KH, KW): the sum over the batch of
    col[n] (C*KH*KW, L) @ gy[n]^T (L, OC), transposed (the faster GEMM orientation).  `src` is the
    source conv_forward returned for x, if kept."""
    xp = cuda.get_array_module(gy)
    OC = gy.shape[1]
    g = geometry(x.shape, tuple(kernel), tuple(stride), tuple(pad))
    if src is None:
        src = g.source(x)
    gyT = g.widen(gy).transpose(0, 2, 1)  # (N, L, OC)
    step, chunks = g.chunks(xp, src.dtype.itemsize)
    buf = xp.empty(step * g.K * g.L, dtype=src.dtype)
    gWT = None
    for s, e in chunks:
        part = xp.matmul(g.col(src[s:e], buf), gyT[s:e])  # (n, K, OC)
        part = part[0] if e - s == 1 else part.sum(axis=0)
        if gWT is None:
            gWT = part
        else:
            gWT += part
    if gWT is None:  # an empty batch: no chunks, a zero gradient
        gWT = xp.zeros((g.K, OC), dtype=np.result_type(src.dtype, gy.dtype))
    return xp.ascontiguousarray(gWT.T).reshape((OC,) + x.shape[1:2] + tuple(kernel))


def conv_backward_data(gy, W, x_hw, stride, pad):
    """The gradient of conv(x, W) with respect to x of size x_hw, for gy (N, OC, OH, OW) and
    W (OC, C, KH, KW).  This is also the forward of the transposed convolution."""
    xp = cuda.get_array_module(gy)
    N, OC = gy.shape[:2]
    _, C, KH, KW = W.shape
    (PH, PW) = pad
    g = geometry((N, C) + tuple(x_hw), (KH, KW), tuple(stride), tuple(pad))
    QH, QW = KH - 1 - PH, KW - 1 - PW
    H, Wd = x_hw
    if (g.flat and QH >= 0 and QW >= 0 and OC * KH * KW >= FLIPPED_MIN_INNER
            and H * (Wd + KW - 1) <= FLIPPED_MAX_GROWTH * g.L):
        Wf = xp.ascontiguousarray(W[:, :, ::-1, ::-1].transpose(1, 0, 2, 3))
        return conv_forward(gy, Wf, None, (1, 1), (QH, QW))[0]
    Wt = W.reshape(OC, g.K).T
    gyw = g.widen(gy)
    gsrc = g.grad_source(xp, np.result_type(gy.dtype, W.dtype))
    step, chunks = g.chunks(xp, gsrc.dtype.itemsize)
    buf = xp.empty((step, g.K, g.L), dtype=gsrc.dtype)
    for s, e in chunks:
        g.add_col(xp.matmul(Wt, gyw[s:e], out=buf[:e - s]), gsrc[s:e])
    return g.image(gsrc)


# =============================================================================
# Pooling
# =============================================================================
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
