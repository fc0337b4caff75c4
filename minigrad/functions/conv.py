"""Convolution and pooling Functions: conv2d, deconv2d, max and average pooling, im2col / col2im.

Arguments are checked here, at the public boundary; the arithmetic is in minigrad.kernels.conv.  Every
backward is written with Functions (Deconv2d, Conv2DGradW, Pooling2DGrad, Pooling2DWithIndexes,
AveragePooling2DGrad ...), each of which has a backward too, so gradients of any order work.
"""
from minigrad import checks
from minigrad.core import Config, Function, as_variable
from minigrad.functions.matrix import linear
from minigrad.functions.reduction import max
from minigrad.functions.shape import broadcast_to, get_item, reshape, transpose
from minigrad.kernels import conv as K
from minigrad.kernels import geometry as G
from minigrad.kernels import pooling as P
from minigrad.kernels.reduction import sum_channels


def _geometry(fname, x_shape, kernel, stride, pad):
    """The window geometry over an input of x_shape; ValueError when the kernel does not fit."""
    (KH, KW), (PH, PW), (H, W) = kernel, pad, x_shape[2:]
    if KH > H + 2 * PH or KW > W + 2 * PW:
        raise ValueError(f"{fname}: kernel {KH}x{KW} is larger than the padded input "
                         f"{H + 2 * PH}x{W + 2 * PW} (input {H}x{W}, pad ({PH}, {PW}))")
    return G.geometry(tuple(x_shape), tuple(kernel), tuple(stride), tuple(pad))


def _check_operands(fname, x, W, b, in_axis, layout):
    """x (N, C, H, W); W 4-D with the input channels C on axis `in_axis` (conv 1, deconv 0); b None or
    one value per output channel (W's other channel axis)."""
    checks.check_4d(fname, "x", x)
    checks.check_4d(fname, "W", W, layout)
    if x.shape[1] != W.shape[in_axis]:
        raise ValueError(f"{fname}: x has {x.shape[1]} channels but W expects {W.shape[in_axis]}")
    channels = W.shape[1 - in_axis]
    if b is not None and (b.ndim != 1 or b.shape[0] != channels):
        raise ValueError(f"{fname}: b must have shape ({channels},), got {tuple(b.shape)}")


# =============================================================================
# im2col / col2im on arrays (DeZero's names and semantics)
# =============================================================================
def im2col_array(img, kernel_size, stride, pad, to_matrix=True):
    """Patches of img (N, C, H, W): col (N, C, KH, KW, OH, OW), or with to_matrix=True the matrix
    (N*OH*OW, C*KH*KW) whose row n*OH*OW + oh*OW + ow is the window of output pixel (oh, ow)."""
    checks.check_4d("im2col", "img", img)
    g = _geometry("im2col", img.shape, *checks.window_args("im2col", kernel_size, stride, pad))
    col = g.im2col(img, matrix_layout=to_matrix)
    if to_matrix:
        return col.reshape(g.x_shape[0] * g.OH * g.OW, g.K)
    return col


def col2im_array(col, img_shape, kernel_size, stride, pad, to_matrix=True):
    """The adjoint of im2col_array: the patches in col are added back into an img_shape image."""
    window = checks.window_args("col2im", kernel_size, stride, pad)
    if len(img_shape) != 4:
        raise ValueError(f"col2im: img_shape must have 4 entries (N, C, H, W), got {tuple(img_shape)}")
    N, C, H, W = (int(v) for v in img_shape)
    g = _geometry("col2im", (N, C, H, W), *window)
    (KH, KW), OH, OW = g.kernel, g.OH, g.OW
    expected = (N * OH * OW, C * KH * KW) if to_matrix else (N, C, KH, KW, OH, OW)
    if tuple(col.shape) != expected:
        raise ValueError(f"col2im: col must have shape {expected} for img_shape {(N, C, H, W)}, "
                         f"got {tuple(col.shape)}")
    if to_matrix:
        col = col.reshape(N, OH, OW, C, KH, KW).transpose(0, 3, 4, 5, 1, 2)
    return g.col2im(col)


# =============================================================================
# im2col / col2im Functions
# =============================================================================
class Im2col(Function):
    def __init__(self, kernel_size, stride=1, pad=0, to_matrix=True):
        self.kernel_size = checks.kernel_arg("im2col", kernel_size)
        self.stride = checks.stride_arg("im2col", stride)
        self.pad = checks.pad_arg("im2col", pad)
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
        self.kernel_size = checks.kernel_arg("col2im", kernel_size)
        self.stride = checks.stride_arg("col2im", stride)
        self.pad = checks.pad_arg("col2im", pad)
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

    def __init__(self, stride=1, pad=0, *, keep_source=False):
        self.stride = checks.stride_arg("conv2d", stride)
        self.pad = checks.pad_arg("conv2d", pad)
        self._src = None
        self._keep_source = keep_source  # also without a graph (Deconv2d.backward reuses it)

    def forward(self, x, W, b=None):
        _check_operands("conv2d", x, W, b, 1, "(OC, C, KH, KW)")
        _geometry("conv2d", x.shape, W.shape[2:], self.stride, self.pad)
        y, src = K.conv_forward(x, W, b, self.stride, self.pad)
        # the source (the padded x, or its phases) is what the weight gradient reads
        self._src = src if Config.enable_backprop or self._keep_source else None
        return y

    def backward(self, gy):
        x, W = self.inputs[0], self.inputs[1]
        has_b = len(self.inputs) > 2 and self.inputs[2].data is not None
        gx = None
        if self.needs_input_grad[0]:  # not for a network's input, passed as a plain array
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
    if b is None:
        return f(x, W)
    return f(x, W, b)


class Deconv2d(Function):
    """Transposed convolution: x (N, C, H, W), W (C, OC, KH, KW), b (OC,) or absent; the adjoint of
    conv2d with the same W, stride and pad.  outsize (OH, OW) picks the output size when the stride
    makes it ambiguous; by default OH = SH*(H-1) + KH - 2*PH."""

    def __init__(self, stride=1, pad=0, outsize=None):
        self.stride = checks.stride_arg("deconv2d", stride)
        self.pad = checks.pad_arg("deconv2d", pad)
        self.outsize = None if outsize is None else checks.pair(outsize, "deconv2d: outsize")

    def forward(self, x, W, b=None):
        _check_operands("deconv2d", x, W, b, 0, "(C, OC, KH, KW)")
        (SH, SW), (PH, PW) = self.stride, self.pad
        KH, KW = W.shape[2:]
        H, Wd = x.shape[2], x.shape[3]
        if self.outsize is None:
            OH = G.deconv_outsize(H, KH, SH, PH)
            OW = G.deconv_outsize(Wd, KW, SW, PW)
        else:
            OH, OW = self.outsize
        if OH < 1 or OW < 1 or KH > OH + 2 * PH or KW > OW + 2 * PW or \
                G.conv_outsize(OH, KH, SH, PH) != H or G.conv_outsize(OW, KW, SW, PW) != Wd:
            raise ValueError(f"deconv2d: output size {OH}x{OW} does not fit input {H}x{Wd} with kernel "
                             f"{KH}x{KW}, stride {self.stride}, pad {self.pad} (a convolution of the "
                             f"output must give back the input size)")
        return K.conv_backward_data(x, W, (OH, OW), self.stride, self.pad, b)

    def backward(self, gy):
        x, W = self.inputs[0], self.inputs[1]
        conv = Conv2d(self.stride, self.pad, keep_source=True)
        gx = conv(gy, W)
        gW = Conv2DGradW(self, src=conv._src)(gy, x)  # gy's source, built once for both
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
        self.kernel_size = checks.kernel_arg("Conv2DGradW", kernel_size)
        self.stride = checks.stride_arg("Conv2DGradW", 1 if stride is None else stride)
        self.pad = checks.pad_arg("Conv2DGradW", 0 if pad is None else pad)
        self._src = src  # the padded x kept by the forward convolution, if any

    def forward(self, x, gy):
        checks.check_4d("Conv2DGradW", "x", x)
        checks.check_4d("Conv2DGradW", "gy", gy)
        g = _geometry("Conv2DGradW", x.shape, self.kernel_size, self.stride, self.pad)
        OH, OW = g.OH, g.OW
        if gy.shape[0] != x.shape[0] or gy.shape[2:] != (OH, OW):
            raise ValueError(f"Conv2DGradW: gy must have shape ({x.shape[0]}, OC, {OH}, {OW}) for x of "
                             f"shape {x.shape}, got {gy.shape}")
        src, self._src = self._src, None
        return K.conv_backward_weight(x, gy, self.kernel_size, self.stride, self.pad, src)

    def backward(self, gW):
        x, gy = self.inputs
        gx = deconv2d(gy, gW, None, self.stride, self.pad, outsize=x.shape[2:])
        ggy = conv2d(x, gW, None, self.stride, self.pad)
        return gx, ggy


class _SumNHW(Function):
    """The bias gradient: gy (N, C, H, W) summed to (C,).  Its backward broadcasts back."""

    def forward(self, gy):
        self.shape = gy.shape
        return sum_channels(gy)

    def backward(self, g):
        return broadcast_to(reshape(g, (1, self.shape[1], 1, 1)), self.shape)


def _sum_nhw(gy):
    return _SumNHW()(gy)


def conv2d_simple(x, W, b=None, stride=1, pad=0):
    """conv2d composed of im2col and linear, for teaching (same result, slower)."""
    x, W = as_variable(x), as_variable(W)
    _check_operands("conv2d_simple", x, W, b, 1, "(OC, C, KH, KW)")
    N, C, H, Wd = x.shape
    OC, _, KH, KW = W.shape
    stride, pad = checks.stride_arg("conv2d_simple", stride), checks.pad_arg("conv2d_simple", pad)
    g = _geometry("conv2d_simple", x.shape, (KH, KW), stride, pad)
    OH, OW = g.OH, g.OW
    col = im2col(x, (KH, KW), stride, pad, to_matrix=True)  # (N*OH*OW, C*KH*KW)
    Wm = transpose(reshape(W, (OC, -1)))                 # (C*KH*KW, OC)
    t = linear(col, Wm, b)
    return transpose(reshape(t, (N, OH, OW, OC)), (0, 3, 1, 2))


# =============================================================================
# Pooling
# =============================================================================
def _check_max_pool_pad(fname, kernel, pad):
    if pad[0] >= kernel[0] or pad[1] >= kernel[1]:
        raise ValueError(f"{fname}: pad {pad} must be smaller than kernel_size {kernel} "
                         "(otherwise a window holds padding only)")


class _Pooling(Function):
    """Base of the pooling Functions: a checked window, and its geometry once the input is known."""
    fname = None

    def __init__(self, kernel_size, stride=1, pad=0):
        self.kernel_size, self.stride, self.pad = checks.window_args(self.fname, kernel_size, stride, pad)

    def _geometry(self, x):
        checks.check_4d(self.fname, "x", x)
        self.input_shape = x.shape
        self.geometry = _geometry(self.fname, x.shape, self.kernel_size, self.stride, self.pad)
        return self.geometry


class MaxPooling(_Pooling):
    """Max pooling (padding is -inf, so it never wins); remembers where each maximum came from."""
    fname = "pooling"

    def __init__(self, kernel_size, stride=1, pad=0):
        super().__init__(kernel_size, stride, pad)
        _check_max_pool_pad(self.fname, self.kernel_size, self.pad)

    def forward(self, x):
        y, self.indexes = P.max_pool_forward(x, self._geometry(x))
        return y

    def backward(self, gy):
        return Pooling2DGrad(self)(gy)


Pooling = MaxPooling  # DeZero's name


def pooling(x, kernel_size, stride=1, pad=0):
    """Max pooling over kernel_size windows (int or pair), stride and pad (ints or pairs)."""
    return Pooling(kernel_size, stride, pad)(x)


class _PoolingMap(Function):
    """Base of the linear maps a pooling's forward fixes (its gradient and their transposes): they
    share the pooling's window and geometry."""

    def __init__(self, pool):
        self.kernel_size, self.stride, self.pad = pool.kernel_size, pool.stride, pool.pad
        self.input_shape = pool.input_shape
        self.geometry = pool.geometry


class _RecordedPoolingMap(_PoolingMap):
    """Base of the two linear maps fixed by a max pooling's recorded window maxima (its indexes)."""

    def __init__(self, mpool2d):
        super().__init__(mpool2d)
        self.indexes = mpool2d.indexes


class Pooling2DGrad(_RecordedPoolingMap):
    """The gradient of max pooling: gy scattered to where each window's maximum was (a linear map of gy,
    fixed by the forward's indexes).  Its backward is Pooling2DWithIndexes, the transposed map."""

    def forward(self, gy):
        return P.max_pool_scatter(gy, self.indexes, self.geometry)

    def backward(self, ggx):
        return Pooling2DWithIndexes(self)(ggx)


class Pooling2DWithIndexes(_RecordedPoolingMap):
    """x picked at the positions a max pooling recorded (the pooling's forward as a linear map).  Its
    backward is Pooling2DGrad, so gradients of any order go through max pooling."""

    def forward(self, x):
        return P.max_pool_gather(x, self.indexes, self.geometry)

    def backward(self, gy):
        return Pooling2DGrad(self)(gy)


class _PadConstant(Function):
    """x padded on H and W with a constant (pooling_simple pads with -inf); the gradient is cropped."""

    def __init__(self, pad, value):
        self.pad = pad
        self.value = value

    def forward(self, x):
        return G.padded(x, self.pad[0], self.pad[1], self.value)

    def backward(self, gy):
        (PH, PW), (H, W) = self.pad, self.inputs[0].shape[2:]
        return get_item(gy, (slice(None), slice(None), slice(PH, PH + H), slice(PW, PW + W)))


def pooling_simple(x, kernel_size, stride=1, pad=0):
    """Max pooling composed of im2col and max, for teaching (padding with -inf, like pooling)."""
    x = as_variable(x)
    checks.check_4d("pooling_simple", "x", x)
    kernel, stride, pad = checks.window_args("pooling_simple", kernel_size, stride, pad)
    _check_max_pool_pad("pooling_simple", kernel, pad)
    g = _geometry("pooling_simple", x.shape, kernel, stride, pad)
    (N, C), (KH, KW) = x.shape[:2], kernel
    if pad[0] or pad[1]:
        x = _PadConstant(pad, P.pool_fill(x.dtype))(x)
    col = im2col(x, kernel, stride, 0, to_matrix=True)  # (N*OH*OW, C*KH*KW)
    y = max(reshape(col, (-1, KH * KW)), axis=1)
    return transpose(reshape(y, (N, g.OH, g.OW, C)), (0, 3, 1, 2))


class AveragePooling(_Pooling):
    """Mean over each window; padding counts as zeros (PyTorch's default count_include_pad=True)."""
    fname = "average_pooling"

    def forward(self, x):
        return P.avg_pool_forward(x, self._geometry(x))

    def backward(self, gy):
        return AveragePooling2DGrad(self)(gy)


def average_pooling(x, kernel_size, stride=1, pad=0):
    """Average pooling over kernel_size windows (int or pair), stride and pad (ints or pairs)."""
    return AveragePooling(kernel_size, stride, pad)(x)


class AveragePooling2DGrad(_PoolingMap):
    """The gradient of average pooling (its transpose); its backward is AveragePooling again."""

    def forward(self, gy):
        return P.avg_pool_backward(gy, self.geometry)

    def backward(self, ggx):
        return AveragePooling(self.kernel_size, self.stride, self.pad)(ggx)
