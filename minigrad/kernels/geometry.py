"""The window geometry shared by convolution and pooling (NumPy or CuPy arrays, NCHW).

Layouts:

    x    (N, C, H, W)        conv W   (OC, C, KH, KW)      deconv W (C, OC, KH, KW)
    col  (N, C, KH, KW, OH, OW); DeZero's matrix form (N*OH*OW, C*KH*KW) has the memory order
         (N, OH, OW, C, KH, KW)

`ConvGeometry` describes a window of `kernel` sliding with `stride` over an input padded by `pad`:
the output size (the one formula, `conv_outsize`), the window slices, the padded input, im2col and
col2im, and the "source" the convolution cuts its col from (minigrad.kernels.conv explains the flat
stride-1 source and the batch chunks).  `SpaceToDepth` turns a strided window into a stride-1 one.
No function here checks its arguments: the Functions in minigrad.functions.conv do that.
"""
import functools

import numpy as np

from minigrad import cuda

# Batch chunks hold a col of about this many bytes, so the GEMM reads col while it is still in cache:
# 1.5x faster than one large col for the 64->64 3x3 layer (the conv case of benchmarks/suite.py).
CPU_CHUNK_BYTES = 4 * 2 ** 20
# On a GPU a few large kernels are what counts: this only bounds the workspace's memory.
GPU_CHUNK_BYTES = 256 * 2 ** 20
# A stride-1 window with at least ROWS_MIN_KH kernel rows and C*KW >= ROWS_MIN_INNER builds the row
# col (ConvGeometry.row_col), KH times smaller than col: the 3x3 64-channel layers of the conv and
# VGG cases 0.85-0.9x the time of a forward pass with the full col, LeNet's conv2 (C*KW = 30) 0.6-0.7x;
# LeNet's conv1 (C*KW = 5) was no faster, and 2x2 windows (the deconv case's phases) were slower.
# A col of fewer than ROWS_MIN_COL elements is cheap to build: there the KH-1 extra GEMM calls and
# adds cost more than they save (LeNet at batch 1: 1.28x the step time with the row col).
ROWS_MIN_KH = 3
ROWS_MIN_INNER = 16
ROWS_MIN_COL = 2 ** 16
# A stride-1 window over at least DIRECT_MIN_C channels runs as one GEMM per kernel offset over the
# channel-major source, summed in place by BLAS (minigrad.kernels.conv), the GEMM's inner size being
# C: a 3x3 C->C layer (N=32, 16x16 and 32x32, forward and both gradients) took 0.66-0.72x the time
# of the col paths with C=32, 0.73-0.79x with C=16 and 1.06-1.15x with C=8.
DIRECT_MIN_C = 16


def conv_outsize(size, kernel, stride, pad):
    """Output length of a window sliding along one axis: the one output-size formula."""
    return (size + 2 * pad - kernel) // stride + 1


def deconv_outsize(size, kernel, stride, pad):
    """Output length of a transposed convolution along one axis (the inverse of conv_outsize)."""
    return stride * (size - 1) + kernel - 2 * pad


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
        # the row col: C*KW rows of Lr = L + (KH-1)*Wp (see row_col)
        self.rows = (self.flat and KH >= ROWS_MIN_KH and C * KW >= ROWS_MIN_INNER
                     and N * self.K * self.L >= ROWS_MIN_COL)
        self.Lr = self.L + (KH - 1) * self.Wp
        # The channel-major source (source(x, channel_major=True), the direct path of conv_forward):
        # one row per channel holding the whole batch, padded position (hp, wp) of sample n at column
        # n*sample + hp*row + wp.  Neighbouring image rows share their padding (the right pad of one
        # row is the left pad of the next, the bottom pad of one sample the top pad of the next), so
        # row = W + PW and sample = (H + PH) * row unless the output is wider or taller than that
        # (a pad of at least the kernel).  Output pixel (oh, ow) of sample n is column
        # n*sample + oh*row + ow of every kernel offset's GEMM, `span` columns in all; the others
        # are junk: (H+PH)(W+PW)/(OH*OW) - 1 more GEMM work, 6% for a 3x3 pad-1 32x32 layer.
        self.row = max(W + PW, self.OW)
        self.sample = max(H + PH, self.OH) * self.row
        self.span = (N - 1) * self.sample + (self.OH - 1) * self.row + self.OW
        self.direct = self.flat and N > 0 and C >= DIRECT_MIN_C
        self.col_size = C * KW * self.Lr if self.rows else self.K * self.L  # per sample
        self._windows = tuple(self._make_windows())
        self._col_index = tuple(self._make_col_index())

    @functools.cached_property
    def space_to_depth(self):
        """The SpaceToDepth form of a strided window whose kernel is a multiple of its stride, else
        None (stride 1 has its flat source; other strides pay zero taps in that form)."""
        (KH, KW), (SH, SW) = self.kernel, self.stride
        if (SH, SW) == (1, 1) or KH % SH or KW % SW:
            return None
        return SpaceToDepth(self)

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
        step = max(1, min(N, target // max(1, self.col_size * itemsize)))
        return step, [(s, min(N, s + step)) for s in range(0, N, step)]

    def source(self, x, channel_major=False):
        """The padded input, flattened per channel (plus KW-1 zeros at the end) for stride 1: per
        sample (N, C, Hp*Wp + KW-1), or with channel_major (C, columns) in the shared-padding layout
        described in __init__."""
        if not self.flat:
            return padded(x, *self.pad)
        # zero-filled, then one copy: 0.77x the time of zeroing the four borders as strided slices
        src, pixels = self.flat_source(cuda.get_array_module(x), x.dtype, channel_major,
                                       zeros=bool(self.pad[0] or self.pad[1]))
        pixels[...] = x
        return src

    def flat_source(self, xp, dtype, channel_major, zeros):
        """(source, pixels): an empty (or zero) stride-1 source and the (N, C, H, W) view of its
        input pixels; all but the pixels are zero unless `zeros` is false and there is padding."""
        N, C, H, W = self.x_shape
        (PH, PW), KH, KW = self.pad, self.kernel[0], self.kernel[1]
        make = xp.zeros if zeros else xp.empty
        if channel_major:
            row, sample, base = self.row, self.sample, PH * self.row + PW
            size = max(self.span + (KH - 1) * row + KW - 1, base + N * sample)
            src = make((C, size), dtype=dtype)
            pixels = src[:, base:base + N * sample].reshape(C, N, sample // row, row)
            pixels = pixels[:, :, :H, :W].transpose(1, 0, 2, 3)
            rest = src[:, base + N * sample:]
        else:
            S = self.Hp * self.Wp
            src = make((N, C, S + KW - 1), dtype=dtype)
            pixels = src[:, :, :S].reshape(N, C, self.Hp, self.Wp)[:, :, PH:PH + H, PW:PW + W]
            rest = src[:, :, S:]
        if not zeros:
            rest[...] = 0
        return src, pixels

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

    def row_col(self, src, out):
        """The row col (n, C*KW, Lr) of a flat source slice, written into the flat buffer `out`.

        Row (c, j) is the source from offset j on, so the patch matrix (n, C*KW, L) of kernel row i is
        its column slice [i*Wp, i*Wp + L) (row_window): a convolution is KH GEMMs with inner size C*KW
        over one KW-row copy of the input instead of one GEMM over a KH*KW-row col."""
        n, (C, KW) = src.shape[0], (self.x_shape[1], self.kernel[1])
        col = out[:n * self.col_size].reshape(n, C, KW, self.Lr)
        for j in range(KW):
            col[:, :, j] = src[:, :, j:j + self.Lr]
        return col.reshape(n, C * KW, self.Lr)

    def row_window(self, col, i):
        """The (n, C*KW, L) patch matrix of kernel row i in a row col (a view)."""
        return col[:, :, i * self.Wp:i * self.Wp + self.L]

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


    # ---- the channel-major source: the whole batch in one GEMM per kernel offset ---------------
    def offsets(self):
        """(i, j, column offset) of each kernel offset in the channel-major source, row-major."""
        KH, KW = self.kernel
        return [(i, j, i * self.row + j) for i in range(KH) for j in range(KW)]

    def widen_batch(self, gy):
        """gy (N, OC, OH, OW) as (N*sample, OC): row q is output column q of the channel-major
        layout, zero where q is no output pixel (transposed so that the weight gradient's GEMM reads
        it row by row: 0.85x the time of reading the (OC, N*sample) form transposed).  Only the junk
        rows are zeroed, each OC contiguous floats: 0.8-0.9x the time of a zero-filled array."""
        xp = cuda.get_array_module(gy)
        N, OC, OH, OW = gy.shape
        out = xp.empty((N, self.sample // self.row, self.row, OC), dtype=gy.dtype)
        out[:, OH:] = 0
        out[:, :OH, OW:] = 0
        out[:, :OH, :OW] = gy.transpose(0, 2, 3, 1)
        return out.reshape(N * self.sample, OC)

    def narrow_batch(self, acc, out, bias=None):
        """out (N, OC, OH, OW) = the output columns of acc (OC, N*sample), plus bias (OC,) if given
        (in the same pass)."""
        N, OC = out.shape[:2]
        img = acc.reshape(OC, N, self.sample // self.row, self.row)[:, :, :self.OH, :self.OW]
        if bias is None:
            out.transpose(1, 0, 2, 3)[...] = img
        else:
            cuda.get_array_module(acc).add(img, bias.reshape(OC, 1, 1, 1), out=out.transpose(1, 0, 2, 3))

    def row_col_batch(self, src, start, stop, out):
        """The row col of output columns [start, stop) of a channel-major source (C, ...): row
        (c, j) is src[c, start + j:], (C*KW, stop - start + (KH-1)*row), in the flat buffer `out`."""
        C, (KH, KW) = src.shape[0], self.kernel
        width = stop - start + (KH - 1) * self.row
        col = out[:C * KW * width].reshape(C, KW, width)
        for j in range(KW):
            col[:, j] = src[:, start + j:start + j + width]
        return col.reshape(C * KW, width)


class SpaceToDepth:
    """A strided window as a stride-1 window over the input's phases, stacked as channels.

    Row SH*h + a of the padded input is row h of phase a, so the window of output row oh, rows
    SH*oh + SH*m + a (m < KH/SH), is rows oh + m of phase a: a stride-1 window of KH/SH x KW/SW over
    the phase image (N, C*SH*SW, Hs, Ws), channel c*SH*SW + a*SW + b, with the weight rearranged to
    match.  Nothing is added and no tap is zero when the kernel is a multiple of the stride, and the
    stride-1 machinery applies: contiguous im2col / col2im copies and the flipped input gradient
    instead of strided slice copies and strided `+=` (the deconv case of benchmarks/suite.py, a
    4x4 kernel with stride 2).  Rows or columns of the padded input that no window reads are left out
    of the phase image; their gradient is zero.
    """

    def __init__(self, g):
        N, C, H, W = g.x_shape
        (KH, KW), (SH, SW), (PH, PW) = g.kernel, g.stride, g.pad
        self.C, self.stride, self.x_shape = C, (SH, SW), g.x_shape
        self.kernel = (KH // SH, KW // SW)
        Hs, Ws = g.OH - 1 + KH // SH, g.OW - 1 + KW // SW
        self.inner = geometry((N, C * SH * SW, Hs, Ws), self.kernel, (1, 1), (0, 0))
        rows = [_phase_slices(a, SH, PH, H, Hs) for a in range(SH)]
        cols = [_phase_slices(b, SW, PW, W, Ws) for b in range(SW)]
        self._copies = tuple((a, b, r[0], c[0], r[1], c[1]) for a, r in enumerate(rows) if r
                             for b, c in enumerate(cols) if c)
        # whether every input position lands in the phase image (else its gradient needs zeros)
        self.covers = (sum(len(range(H)[r[0]]) for r in rows if r) == H
                       and sum(len(range(W)[c[0]]) for c in cols if c) == W)

    def _phases(self, a):
        """a (N, C*SH*SW, Hs, Ws)-shaped array (any last-axis layout) as (N, C, SH, SW, Hs, Ws)."""
        N, _, Hs, Ws = self.inner.x_shape
        return a.reshape((N, self.C) + self.stride + (Hs, Ws))

    def source(self, x, channel_major=False):
        """The inner geometry's flat source of x's phase image (what conv_forward multiplies)."""
        src, pixels = self.inner.flat_source(cuda.get_array_module(x), x.dtype, channel_major,
                                             zeros=True)
        phases = self._phases(pixels)
        for a, b, xrows, xcols, prows, pcols in self._copies:
            phases[:, :, a, b, prows, pcols] = x[:, :, xrows, xcols]
        return src

    def depth_to_space(self, img):
        """The (N, C, H, W) image of a phase image (N, C*SH*SW, Hs, Ws): a gradient in x's layout."""
        xp = cuda.get_array_module(img)
        out = (xp.empty if self.covers else xp.zeros)(self.x_shape, dtype=img.dtype)
        phases = self._phases(img)
        for a, b, xrows, xcols, prows, pcols in self._copies:
            out[:, :, xrows, xcols] = phases[:, :, a, b, prows, pcols]
        return out

    def weight(self, W):
        """W (OC, C, KH, KW) as the inner window's weight (OC, C*SH*SW, KH/SH, KW/SW)."""
        OC, (SH, SW), (CH, CW) = W.shape[0], self.stride, self.kernel
        W6 = W.reshape(OC, self.C, CH, SH, CW, SW).transpose(0, 1, 3, 5, 2, 4)
        return cuda.get_array_module(W).ascontiguousarray(W6).reshape(OC, self.C * SH * SW, CH, CW)

    def unweight(self, Ws):
        """The inverse of weight: an inner weight (gradient) back to (OC, C, KH, KW)."""
        OC, (SH, SW), (CH, CW) = Ws.shape[0], self.stride, self.kernel
        W6 = Ws.reshape(OC, self.C, SH, SW, CH, CW).transpose(0, 1, 4, 2, 5, 3)
        return cuda.get_array_module(Ws).ascontiguousarray(W6).reshape(OC, self.C, CH * SH, CW * SW)


def _phase_slices(a, S, P, size, phase_size):
    """(slice of the unpadded axis, slice of the phase axis) where phase a of an axis of `size`
    padded by P and split by stride S holds input values; None when it holds none."""
    first = (a - P) % S            # the first unpadded index in phase a
    start = (first + P - a) // S   # its position in the phase
    count = min(-(-(size - first) // S), phase_size - start)
    if count <= 0:
        return None
    return slice(first, first + S * (count - 1) + 1, S), slice(start, start + count)


@functools.lru_cache(maxsize=256)
def geometry(x_shape, kernel, stride, pad):
    """The shared ConvGeometry of these arguments (tuples of ints)."""
    return ConvGeometry(x_shape, kernel, stride, pad)
