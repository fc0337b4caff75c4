"""Convolution, its weight gradient and its input gradient (= transposed convolution) on raw arrays.

How it is fast on NumPy (the conv, deconv, VGG-block and LeNet cases of benchmarks/suite.py):

* Per sample, col is the (C*KH*KW, L) matrix; the forward is the batched product W @ col ->
  (n, OC, L), copied into NCHW by the copy that drops the junk columns (0.97x the conv case's time of
  col^T W^T, whose (n, L, OC) result is copied with a transpose; strided windows keep that orientation,
  Chainer's, so they agree with Chainer and DeZero bit for bit where the col layouts match).  The weight
  gradient is col @ gy^T summed over the batch (the faster GEMM orientation), the input gradient
  W^T @ gy followed by col2im.  One large GEMM over (C*KH*KW, N*L) and einsum over a sliding-window
  view both need a transposed copy of the output or of col and were slower.
* Stride 1 (the common case) uses a flattened padded image: window offset (i, j) of output pixel
  (oh, ow) reads flat position (i*Wp + j) + (oh*Wp + ow), so letting ow run over the whole padded width
  Wp (columns OW..Wp-1 are junk), the patch of offset (i, j) for every output pixel is ONE contiguous
  slice of length L = OH*Wp: im2col is KH*KW contiguous copies and col2im KH*KW contiguous adds.  The
  junk columns cost Wp/OW - 1 more GEMM work; outputs drop them and output gradients enter with zeros
  there.  Never sliding_window_view + ascontiguousarray (2-3x slower), never np.add.at.
* Stride 1 over at least geometry.DIRECT_MIN_C channels (NumPy arrays, and a BLAS that
  minigrad.kernels.blas can call) needs no col at all.  The channel-major source holds the whole
  batch in one row per channel, neighbouring image rows sharing their padding, so the patch of kernel
  offset (i, j) for every output pixel of every sample is one column window of it: the forward is
  KH*KW GEMMs W[:, :, i, j] (OC, C) @ window over the whole batch, summed in place by GEMM's
  beta = 1 (np.matmul cannot accumulate; through it each offset's product would cost an add pass,
  which is why the col paths below exist).  The weight gradient reads a row col of the same source
  (C*KW rows, a faster GEMM than C) against gy laid out as (N*sample, OC), the input gradient is the
  flipped convolution on the same path.  The conv case took 0.79x, the deconv case 0.75x the time
  of the col paths (benchmarks/README.md); 3x3 layers with 16 to 32 channels 0.66-0.79x.
* Copies are bound by memory bandwidth here (a strided 1M-float subtract takes 1.6 ms; splitting a
  col build over two threads saved 10%, overlapping it with the GEMM lost), so what counts is how many
  bytes move.  For KH >= 3 kernels over enough channels the col holds only the KW column offsets
  (geometry.row_col, C*KW rows of L + (KH-1)*Wp): kernel row i's patch matrix is a column window of
  it, so the forward is KH GEMMs summed and the weight gradient KH GEMMs, over a col KH times smaller.
  The same bandwidth limit is why Winograd's F(2x2, 3x3), which needs some 40 elementwise passes over
  transformed tiles, cannot pay for its 2.25x fewer multiplications in NumPy.
* A stride whose kernel is a multiple of it (4x4 with stride 2, 2x2 with stride 2) becomes stride 1
  over the input's phases (geometry.SpaceToDepth): one strided copy of the input per phase instead of
  one strided copy per kernel offset, and no strided `+=` at all in the transposed convolution, whose
  strided col2im over 16 overlapping offsets took most of the deconv case's time.  Other strides use
  one strided slice copy per offset.
* The batch is processed in chunks whose col fits in cache (geometry.CPU_CHUNK_BYTES); the forward
  keeps only the source (the padded input) and the weight gradient recomputes its chunks of col.
* A stride-1 input gradient with a large OC*KH*KW is computed as a convolution of the padded gy with
  the flipped, transposed W (a faster GEMM than W^T @ gy plus col2im).
* float32 stays float32 end to end.
* Workspaces are plain arrays allocated per call. What makes reallocating them cheap is process-wide:
  `import minigrad` raises glibc's mmap and trim thresholds (minigrad.malloc), so a freed buffer stays
  in the heap and the next step's buffer of the same size reuses its pages instead of faulting them in
  (about 2,500 page faults per step of the deconv case otherwise, 6,800 of the conv case). That was
  chosen over a workspace pool here because it covers every temporary (activations, gradients, NumPy's
  own) with no bookkeeping in the kernels and cannot hand a buffer still in use to a second caller.
"""
import numpy as np

from minigrad import cuda
from minigrad.kernels import blas
from minigrad.kernels.geometry import CPU_CHUNK_BYTES, geometry

# A stride-1 input gradient runs as a forward convolution of gy with the flipped W when the GEMM's
# inner size OC*KH*KW is at least FLIPPED_MIN_INNER (below it W^T @ gy + col2im was as fast: LeNet's
# conv2 has 6*25 = 150, VGG's 3x3 64-channel layers 576) and the padded gy grows the work by at most
# FLIPPED_MAX_GROWTH.
FLIPPED_MIN_INNER = 64
FLIPPED_MAX_GROWTH = 1.2


def _direct(xp, g):
    """Whether the stride-1 geometry g runs on the channel-major source: NumPy arrays, enough
    channels, and a BLAS that accumulates (else the per-offset products would each cost an add)."""
    return xp is np and g.direct and blas.native


def conv_forward(x, W, b, stride, pad):
    """y = conv(x, W) + b; returns (y, source), the source being what conv_backward_weight needs."""
    xp = cuda.get_array_module(x)
    OC = W.shape[0]
    g = geometry(x.shape, W.shape[2:], tuple(stride), tuple(pad))
    s2d = g.space_to_depth
    direct = _direct(xp, g if s2d is None else s2d.inner)
    if s2d is not None:
        src, W, g = s2d.source(x, direct), s2d.weight(W), s2d.inner
    else:
        src = g.source(x, direct)
    dtype = np.result_type(x.dtype, W.dtype)
    if direct:
        return _forward_direct(g, src, W, b, dtype), src
    step, chunks = g.chunks(xp, x.dtype.itemsize)
    W2 = W.reshape(OC, g.K)
    y = xp.empty((x.shape[0], OC, g.OH, g.OW), dtype=dtype)
    buf = xp.empty(step * g.col_size, dtype=x.dtype)
    if g.rows:
        # y = sum over kernel rows i of W[:, :, i] (OC, C*KW) @ the row col's window i
        KH, KW = g.kernel
        Wr = xp.ascontiguousarray(W.transpose(2, 0, 1, 3)).reshape(KH, OC, -1)
        acc = xp.empty((step, OC, g.L), dtype=dtype)
        tmp = xp.empty((step, OC, g.L), dtype=dtype)
        for s, e in chunks:
            n = e - s
            col = g.row_col(src[s:e], buf)
            xp.matmul(Wr[0], g.row_window(col, 0), out=acc[:n])
            for i in range(1, KH):
                acc[:n] += xp.matmul(Wr[i], g.row_window(col, i), out=tmp[:n])
            g.narrow(acc[:n], y[s:e])
    elif g.flat:
        # W @ col gives (n, OC, L): narrow copies whole rows into y
        ybuf = xp.empty((step, OC, g.L), dtype=dtype)
        for s, e in chunks:
            g.narrow(xp.matmul(W2, g.col(src[s:e], buf), out=ybuf[:e - s]), y[s:e])
    else:
        # col^T W^T, the orientation of Chainer's and DeZero's im2col convolution, so results agree
        # with theirs bit for bit where the col layouts match (strided convolutions)
        ybuf = xp.empty((step, g.L, OC), dtype=dtype)
        for s, e in chunks:
            ycT = xp.matmul(g.col(src[s:e], buf).transpose(0, 2, 1), W2.T, out=ybuf[:e - s])
            g.narrow(ycT.transpose(0, 2, 1), y[s:e])
    if b is not None:
        y += b.reshape(1, OC, 1, 1)
    return y, src


def _forward_direct(g, src, W, b, dtype):
    """conv_forward on the channel-major source: y = the sum over kernel offsets (i, j) of
    W[:, :, i, j] (OC, C) @ the source shifted by i*Wp + j, one GEMM each over the whole batch,
    accumulated in place by BLAS, + b."""
    N, OC = g.x_shape[0], W.shape[0]
    Wo = np.ascontiguousarray(W.transpose(2, 3, 0, 1), dtype=dtype)  # (KH, KW, OC, C)
    src = src.astype(dtype, copy=False)
    acc = np.empty((OC, N * g.sample), dtype=dtype)
    out = acc[:, :g.span]
    for k, (i, j, o) in enumerate(g.offsets()):
        blas.gemm(Wo[i, j], src[:, o:o + g.span], out, accumulate=k > 0)
    y = np.empty((N, OC, g.OH, g.OW), dtype=dtype)
    g.narrow_batch(acc, y, b)
    return y


def conv_backward_weight(x, gy, kernel, stride, pad, src=None):
    """The gradient of conv(x, W) with respect to W (OC, C, KH, KW): the sum over the batch of
    col[n] (C*KH*KW, L) @ gy[n]^T (L, OC), transposed (the faster GEMM orientation).  `src` is the
    source conv_forward returned for x, if kept."""
    g = geometry(x.shape, tuple(kernel), tuple(stride), tuple(pad))
    s2d = g.space_to_depth
    xp = cuda.get_array_module(gy)
    if s2d is not None:
        direct = _direct(xp, s2d.inner)
        src = s2d.source(x, direct) if src is None else src
        return s2d.unweight(_weight_grad(s2d.inner, gy, src, direct))  # unweight makes it contiguous
    direct = _direct(xp, g)
    return xp.ascontiguousarray(_weight_grad(g, gy, g.source(x, direct) if src is None else src, direct))


def _weight_grad(g, gy, src, direct):
    """conv_backward_weight for the source src of geometry g (channel-major where direct)."""
    if direct:
        return _weight_grad_direct(g, gy, src)
    xp = cuda.get_array_module(gy)
    OC = gy.shape[1]
    step, chunks = g.chunks(xp, src.dtype.itemsize)
    buf = xp.empty(step * g.col_size, dtype=src.dtype)
    if g.rows:
        return _weight_grad_rows(g, g.widen(gy), src, chunks, buf)
    gyT = g.widen(gy).transpose(0, 2, 1)  # (N, L, OC)
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
    return xp.ascontiguousarray(gWT.T).reshape((OC,) + g.x_shape[1:2] + g.kernel)


def _weight_grad_rows(g, gyw, src, chunks, buf):
    """_weight_grad with the row col: kernel row i's gradient (OC, C*KW) is the sum over the batch of
    gy[n] (OC, L) @ window i of the row col^T (L, C*KW)."""
    xp = cuda.get_array_module(gyw)
    (KH, KW), C, OC = g.kernel, g.x_shape[1], gyw.shape[1]
    gWr = xp.zeros((KH, OC, C * KW), dtype=np.result_type(src.dtype, gyw.dtype))
    for s, e in chunks:
        col = g.row_col(src[s:e], buf)
        for i in range(KH):
            part = xp.matmul(gyw[s:e], g.row_window(col, i).transpose(0, 2, 1))  # (n, OC, C*KW)
            gWr[i] += part[0] if e - s == 1 else part.sum(axis=0)
    return xp.ascontiguousarray(gWr.reshape(KH, OC, C, KW).transpose(1, 2, 0, 3))


def _weight_grad_direct(g, gy, src):
    """_weight_grad on the channel-major source: kernel row i's gradient, transposed (C*KW, OC), is
    window i of the row col (C*KW rows of the batch's output columns) @ gy^T, one GEMM per kernel row
    and column chunk accumulated in place (C*KW rows make a faster GEMM than C)."""
    (KH, KW), C, OC = g.kernel, g.x_shape[1], gy.shape[1]
    dtype = np.result_type(src.dtype, gy.dtype)
    gyb = g.widen_batch(gy.astype(dtype, copy=False))
    src = src.astype(dtype, copy=False)
    gWr = np.empty((KH, C * KW, OC), dtype=dtype)
    step = max(1, CPU_CHUNK_BYTES // (C * KW * src.itemsize) - (KH - 1) * g.row)
    buf = np.empty(C * KW * (min(step, g.span) + (KH - 1) * g.row), dtype=dtype)
    for start in range(0, g.span, step):
        stop = min(g.span, start + step)
        col = g.row_col_batch(src, start, stop, buf)
        gyT = gyb[start:stop]
        for i in range(KH):
            window = col[:, i * g.row:i * g.row + stop - start]
            blas.gemm(window, gyT, gWr[i], accumulate=start > 0)
    return gWr.reshape(KH, C, KW, OC).transpose(3, 1, 0, 2)  # a view: see conv_backward_weight


def conv_backward_data(gy, W, x_hw, stride, pad, b=None):
    """The gradient of conv(x, W) with respect to x of size x_hw, for gy (N, OC, OH, OW) and
    W (OC, C, KH, KW), plus b (C,) if given.  This is also the forward of the transposed convolution
    (whose bias b is)."""
    xp = cuda.get_array_module(gy)
    N, OC = gy.shape[:2]
    _, C, KH, KW = W.shape
    (PH, PW) = pad
    g = geometry((N, C) + tuple(x_hw), (KH, KW), tuple(stride), tuple(pad))
    s2d = g.space_to_depth
    if s2d is not None:
        # b per phase channel, unless some positions lie in no phase (they must still get b)
        bphases = None if b is None or not s2d.covers else xp.repeat(b, s2d.stride[0] * s2d.stride[1])
        gphases = conv_backward_data(gy, s2d.weight(W), s2d.inner.x_shape[2:], (1, 1), (0, 0), bphases)
        gx = s2d.depth_to_space(gphases)
        if b is not None and bphases is None:
            gx += b.reshape(1, C, 1, 1)
        return gx
    QH, QW = KH - 1 - PH, KW - 1 - PW
    H, Wd = x_hw
    if (g.flat and QH >= 0 and QW >= 0 and OC * KH * KW >= FLIPPED_MIN_INNER
            and H * (Wd + KW - 1) <= FLIPPED_MAX_GROWTH * g.L):
        # a view: conv_forward lays it out once for its own GEMMs
        Wf = W[:, :, ::-1, ::-1].transpose(1, 0, 2, 3)
        return conv_forward(gy, Wf, b, (1, 1), (QH, QW))[0]
    Wt = W.reshape(OC, g.K).T
    gyw = g.widen(gy)
    gsrc = g.grad_source(xp, np.result_type(gy.dtype, W.dtype))
    step, chunks = g.chunks(xp, gsrc.dtype.itemsize)
    buf = xp.empty((step, g.K, g.L), dtype=gsrc.dtype)
    for s, e in chunks:
        g.add_col(xp.matmul(Wt, gyw[s:e], out=buf[:e - s]), gsrc[s:e])
    gx = g.image(gsrc)
    if b is not None:
        gx += b.reshape(1, C, 1, 1)
    return gx


