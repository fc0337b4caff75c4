"""Differentiable operations.  Each backward is written with Functions, so every op here can be
differentiated again (second order and beyond).  The convolution family lives in functions_conv and is
re-exported at the bottom of this module."""
import numpy as np

from minigrad import cuda, utils
from minigrad.core import (AddConstant, Config, Function, Scale, Variable, as_array, as_variable, add,  # noqa: F401
                           div, mul, neg, pow, rdiv, rsub, sub)


def _constant(array):
    """Wrap a constant array (a one-hot table ...) for use as an operand."""
    return Variable(array)


# =============================================================================
# Elementwise math
# =============================================================================
class Sin(Function):
    def forward(self, x):
        return cuda.get_array_module(x).sin(x)

    def backward(self, gy):
        x, = self.inputs
        return gy * cos(x)


def sin(x):
    return Sin()(x)


class Cos(Function):
    def forward(self, x):
        return cuda.get_array_module(x).cos(x)

    def backward(self, gy):
        x, = self.inputs
        return gy * -sin(x)


def cos(x):
    return Cos()(x)


class Tanh(Function):
    def forward(self, x):
        return cuda.get_array_module(x).tanh(x)

    def backward(self, gy):
        return TanhGrad()(self.outputs[0](), gy)


class TanhGrad(Function):
    """gy * (1 - y^2), the gradient of tanh from its output y, as one differentiable step."""

    def forward(self, y, gy):
        return gy * (y.dtype.type(1) - y * y)

    def backward(self, ggx):
        y, gy = self.inputs
        return ggx * gy * (-2) * y, ggx * (1 - y * y)


def tanh(x):
    return Tanh()(x)


class Exp(Function):
    def forward(self, x):
        return cuda.get_array_module(x).exp(x)

    def backward(self, gy):
        y = self.outputs[0]()
        return gy * y


def exp(x):
    return Exp()(x)


class Log(Function):
    def forward(self, x):
        return cuda.get_array_module(x).log(x)

    def backward(self, gy):
        x, = self.inputs
        return gy / x


def log(x):
    return Log()(x)


# =============================================================================
# Shape manipulation
# =============================================================================
class Reshape(Function):
    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        self.x_shape = x.shape
        return x.reshape(self.shape)

    def backward(self, gy):
        return reshape(gy, self.x_shape)


def reshape(x, shape):
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    if x.shape == shape:
        return as_variable(x)
    return Reshape(shape)(x)


class Transpose(Function):
    def __init__(self, axes=None):
        self.axes = axes

    def forward(self, x):
        return x.transpose(self.axes)

    def backward(self, gy):
        if self.axes is None:
            return transpose(gy)
        inverse = tuple(np.argsort([ax % len(self.axes) for ax in self.axes]))
        return transpose(gy, inverse)


def transpose(x, axes=None):
    return Transpose(None if axes is None else tuple(axes))(x)


def _swap_last_axes(x):
    """Transpose the last two axes (matrix transpose of a batch of matrices)."""
    if x.ndim == 2:
        return transpose(x)
    axes = tuple(range(x.ndim - 2)) + (x.ndim - 1, x.ndim - 2)
    return transpose(x, axes)


def expand_dims(x, axis):
    x = as_variable(x)
    shape = list(x.shape)
    shape.insert(axis if axis >= 0 else len(shape) + axis + 1, 1)
    return reshape(x, tuple(shape))


def flatten(x):
    """Flatten every axis but the first: (N, ...) -> (N, prod(...))."""
    return reshape(x, (x.shape[0], -1))


def _is_basic_index(slices):
    """True when indexing with `slices` selects a view (no element can be picked twice)."""
    items = slices if isinstance(slices, tuple) else (slices,)
    return all(s is None or s is Ellipsis or isinstance(s, (slice, int, np.integer))
               for s in items)


class GetItem(Function):
    def __init__(self, slices):
        self.slices = slices

    def forward(self, x):
        return x[self.slices]

    def backward(self, gy):
        x, = self.inputs
        return GetItemGrad(self.slices, x.shape)(gy)


class GetItemGrad(Function):
    """Scatter a gradient back into a zero array of the indexed input's shape (adding duplicates)."""

    def __init__(self, slices, in_shape):
        self.slices = slices
        self.in_shape = in_shape

    def forward(self, gy):
        xp = cuda.get_array_module(gy)
        gx = xp.zeros(self.in_shape, dtype=gy.dtype)
        if _is_basic_index(self.slices):
            gx[self.slices] = gy
        elif xp is np:
            np.add.at(gx, self.slices, gy)
        else:
            import cupyx
            cupyx.scatter_add(gx, self.slices, gy)
        return gx

    def backward(self, ggx):
        return get_item(ggx, self.slices)


def get_item(x, slices):
    if isinstance(slices, Variable):
        slices = slices.data
    elif isinstance(slices, list):
        slices = cuda.get_array_module(x).asarray(slices)
    return GetItem(slices)(x)


# =============================================================================
# Sums and broadcasting
# =============================================================================
class Sum(Function):
    def __init__(self, axis, keepdims):
        self.axis = axis
        self.keepdims = keepdims

    def forward(self, x):
        self.x_shape = x.shape
        return x.sum(axis=self.axis, keepdims=self.keepdims)

    def backward(self, gy):
        gy = utils.reshape_sum_backward(gy, self.x_shape, self.axis, self.keepdims)
        return broadcast_to(gy, self.x_shape)


def sum(x, axis=None, keepdims=False):
    if isinstance(axis, list):
        axis = tuple(axis)
    return Sum(axis, keepdims)(x)


class SumTo(Function):
    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        self.x_shape = x.shape
        return utils.sum_to(x, self.shape)

    def backward(self, gy):
        return broadcast_to(gy, self.x_shape)


def sum_to(x, shape):
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    if x.shape == shape:
        return as_variable(x)
    if len(shape) > x.ndim or any(s not in (1, xs) for s, xs in zip(shape[::-1], x.shape[::-1])):
        raise ValueError(f"sum_to: x of shape {x.shape} cannot be summed to {shape} (it must broadcast "
                         f"to x's shape)")
    return SumTo(shape)(x)


class BroadcastTo(Function):
    def __init__(self, shape):
        self.shape = shape

    def forward(self, x):
        self.x_shape = x.shape
        return cuda.get_array_module(x).broadcast_to(x, self.shape)

    def backward(self, gy):
        return sum_to(gy, self.x_shape)


def broadcast_to(x, shape):
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    if x.shape == shape:
        return as_variable(x)
    return BroadcastTo(shape)(x)


def average(x, axis=None, keepdims=False):
    x = as_variable(x)
    y = sum(x, axis, keepdims)
    return y * (y.data.size / x.data.size)


mean = average


# =============================================================================
# Matrix products
# =============================================================================
def _check_matmul_shapes(name, x_shape, w_shape):
    if len(x_shape) == 0 or len(w_shape) == 0:
        raise ValueError(f"{name}: operands must have at least 1 dimension, got shapes "
                         f"{x_shape} and {w_shape}")
    inner_w = w_shape[-2] if len(w_shape) > 1 else w_shape[0]
    if x_shape[-1] != inner_w:
        raise ValueError(f"{name}: shapes {x_shape} and {w_shape} are not aligned "
                         f"({x_shape[-1]} != {inner_w})")


class MatMul(Function):
    """Matrix product of operands with ndim >= 2; leading (batch) axes broadcast."""

    def forward(self, x, W):
        return x @ W

    def backward(self, gy):
        x, W = self.inputs
        gx = matmul(gy, _swap_last_axes(W))
        gW = matmul(_swap_last_axes(x), gy)
        return sum_to(gx, x.shape), sum_to(gW, W.shape)


def matmul(x, W):
    """`x @ W` with NumPy's rules: 1-D operands are promoted, batch axes broadcast."""
    x, W = as_variable(x), as_variable(W)
    _check_matmul_shapes("matmul", x.shape, W.shape)
    if x.ndim >= 2 and W.ndim >= 2:
        try:
            np.broadcast_shapes(x.shape[:-2], W.shape[:-2])
        except ValueError:
            raise ValueError(f"matmul: batch dimensions of shapes {x.shape} and {W.shape} "
                             "do not broadcast") from None
        return MatMul()(x, W)
    x2 = reshape(x, (1, x.shape[0])) if x.ndim == 1 else x
    W2 = reshape(W, (W.shape[0], 1)) if W.ndim == 1 else W
    y = MatMul()(x2, W2)
    shape = y.shape
    if x.ndim == 1:
        shape = shape[:-2] + shape[-1:]
    if W.ndim == 1:
        shape = shape[:-1]
    return reshape(y, shape)


class Linear(Function):
    """y = x W + b for x of shape (..., in), W (in, out), b (out,) or None."""

    def forward(self, x, W, b=None):
        y = x @ W
        if b is not None:
            y += b
        return y

    def backward(self, gy):
        x, W = self.inputs[0], self.inputs[1]
        gx = matmul(gy, W.T)
        if x.ndim == 2:
            gW = matmul(x.T, gy)
        else:
            gW = matmul(reshape(x, (-1, x.shape[-1])).T, reshape(gy, (-1, gy.shape[-1])))
        if len(self.inputs) == 2:
            return gx, gW
        return gx, gW, sum_to(gy, self.inputs[2].shape)


def linear(x, W, b=None):
    x, W = as_variable(x), as_variable(W)
    if W.ndim != 2 or x.ndim == 0 or x.shape[-1] != W.shape[0]:
        raise ValueError(f"linear: x of shape {x.shape} does not fit W of shape {W.shape} "
                         f"(expected x (..., {W.shape[0] if W.ndim else '?'}) and a 2-D W)")
    if b is None:
        return Linear()(x, W)
    b = as_variable(b)
    if b.shape != (W.shape[1],) and not (b.shape == (1, W.shape[1]) and x.ndim >= 2):
        raise ValueError(f"linear: b of shape {b.shape} does not fit W of shape {W.shape}")
    return Linear()(x, W, b)


def linear_simple(x, W, b=None):
    """linear composed of matmul and add, for teaching."""
    t = matmul(x, W)
    if b is None:
        return t
    return t + b


# =============================================================================
# Activations
# =============================================================================
class Sigmoid(Function):
    def forward(self, x):
        xp = cuda.get_array_module(x)
        half = x.dtype.type(0.5)  # not a Python float: NumPy 1.x would upcast a 0-d float32 x
        return xp.tanh(x * half) * half + half

    def backward(self, gy):
        y = self.outputs[0]()
        return gy * y * (1 - y)


def sigmoid(x):
    return Sigmoid()(x)


def sigmoid_simple(x):
    """sigmoid composed of exp and division, for teaching."""
    x = as_variable(x)
    return 1 / (1 + exp(-x))


class ReLU(Function):
    def forward(self, x):
        self.mask = x > 0
        return cuda.get_array_module(x).maximum(x, 0)

    def backward(self, gy):
        return Scale(self.mask)(gy)


def relu(x):
    return ReLU()(x)


class LeakyReLU(Function):
    def __init__(self, slope):
        self.slope = slope

    def forward(self, x):
        xp = cuda.get_array_module(x)
        self.scale = xp.where(x > 0, 1, self.slope).astype(x.dtype)
        return x * self.scale

    def backward(self, gy):
        return Scale(self.scale)(gy)


def leaky_relu(x, slope=0.2):
    return LeakyReLU(slope)(x)


class Softmax(Function):
    def __init__(self, axis=1):
        self.axis = axis

    def forward(self, x):
        xp = cuda.get_array_module(x)
        y = xp.exp(x - x.max(axis=self.axis, keepdims=True))
        y /= y.sum(axis=self.axis, keepdims=True)
        return y

    def backward(self, gy):
        y = self.outputs[0]()
        gx = y * gy
        return gx - y * sum(gx, axis=self.axis, keepdims=True)


def softmax(x, axis=1):
    return Softmax(axis)(x)


def softmax_simple(x, axis=1):
    """softmax composed of exp, sum and division, for teaching."""
    y = exp(x)
    return y / sum(y, axis=axis, keepdims=True)


class LogSoftmax(Function):
    def __init__(self, axis=1):
        self.axis = axis

    def forward(self, x):
        return x - utils.logsumexp(x, self.axis)

    def backward(self, gy):
        y = self.outputs[0]()
        return gy - exp(y) * sum(gy, axis=self.axis, keepdims=True)


def log_softmax(x, axis=1):
    return LogSoftmax(axis)(x)


# =============================================================================
# Losses and metrics
# =============================================================================
class MeanSquaredError(Function):
    def forward(self, x0, x1):
        diff = x0 - x1
        return (diff * diff).sum() / diff.dtype.type(len(diff))

    def backward(self, gy):
        x0, x1 = self.inputs
        diff = x0 - x1
        gx0 = gy * diff * (2.0 / len(diff))
        return sum_to(gx0, x0.shape), sum_to(-gx0, x1.shape)


def mean_squared_error(x0, x1):
    x0, x1 = as_variable(x0), as_variable(x1)
    try:
        shape = np.broadcast_shapes(x0.shape, x1.shape)
    except ValueError:
        shape = None
    if shape not in (x0.shape, x1.shape):  # (N, 1) against (N,) would silently compare N x N pairs
        raise ValueError(f"mean_squared_error: shapes {x0.shape} and {x1.shape} do not match (one may "
                         "broadcast to the other, but not both to a larger shape)")
    return MeanSquaredError()(x0, x1)


def mean_squared_error_simple(x0, x1):
    """mean_squared_error composed of sub, pow and sum, for teaching."""
    x0, x1 = as_variable(x0), as_variable(x1)
    diff = x0 - x1
    return sum(diff ** 2) / len(diff)


def _check_labels(name, x, t):
    if t.ndim != 1 or t.shape[0] != x.shape[0]:
        raise ValueError(f"{name}: t must be a 1-D array of {x.shape[0]} class labels for x of shape "
                         f"{x.shape}, got shape {t.shape}")
    if t.dtype.kind not in "iu":
        raise TypeError(f"{name}: t must hold integer class labels, got dtype {t.dtype}")
    if t.size and (int(t.data.min()) < 0 or int(t.data.max()) >= x.shape[1]):
        raise ValueError(f"{name}: class labels must be in [0, {x.shape[1]}) for x of shape {x.shape}, "
                         f"got labels from {int(t.data.min())} to {int(t.data.max())}")


class SoftmaxCrossEntropy(Function):
    """Mean over the batch of -log softmax(x)[t], for x (N, C) and integer labels t (N,)."""

    def forward(self, x, t):
        n = x.shape[0]
        log_p = x - utils.logsumexp(x, axis=1)
        xp = cuda.get_array_module(x)
        return -log_p[xp.arange(n), t].sum() / x.dtype.type(n)

    def backward(self, gy):
        x, t = self.inputs
        n = x.shape[0]
        xp = cuda.get_array_module(t.data)
        t_onehot = xp.zeros(x.shape, dtype=x.dtype)
        t_onehot[xp.arange(n), t.data] = 1
        return (softmax(x) - _constant(t_onehot)) * (gy / n)


def softmax_cross_entropy(x, t):
    x, t = as_variable(x), as_variable(t)
    if x.ndim != 2:
        raise ValueError(f"softmax_cross_entropy: x must be 2-D (N, classes), got shape {x.shape}")
    _check_labels("softmax_cross_entropy", x, t)
    return SoftmaxCrossEntropy()(x, t)


def softmax_cross_entropy_simple(x, t):
    """softmax cross entropy composed of softmax, clip, log and indexing, for teaching."""
    x, t = as_variable(x), as_variable(t)
    n = x.shape[0]
    p = clip(softmax(x), 1e-15, 1.0)
    tlog_p = log(p)[cuda.get_array_module(t.data).arange(n), t.data]
    return -1 * sum(tlog_p) / n


class SigmoidCrossEntropy(Function):
    """Sum over elements of the binary cross entropy of sigmoid(x) against t, divided by len(x)."""

    def forward(self, x, t):
        xp = cuda.get_array_module(x)
        loss = xp.maximum(x, 0) - x * t + xp.log1p(xp.exp(-xp.abs(x)))
        return loss.sum() / x.dtype.type(len(x))

    def backward(self, gy):
        x, t = self.inputs
        g = gy / len(x)
        return (sigmoid(x) - t) * g, -x * g  # t is differentiable too (soft targets)


def sigmoid_cross_entropy(x, t):
    x, t = as_variable(x), as_variable(t)
    if x.ndim != t.ndim:
        t = reshape(t, x.shape)
    if x.shape != t.shape:
        raise ValueError(f"sigmoid_cross_entropy: x of shape {x.shape} and t of shape {t.shape} differ")
    if t.dtype != x.dtype:
        t = Variable(t.data.astype(x.dtype))
    return SigmoidCrossEntropy()(x, t)


def binary_cross_entropy(p, t):
    """Mean binary cross entropy of probabilities p against targets t (p clipped away from 0 and 1)."""
    p, t = as_variable(p), as_variable(t)
    if p.ndim != t.ndim:
        t = reshape(t, p.shape)
    if p.shape != t.shape:
        raise ValueError(f"binary_cross_entropy: p of shape {p.shape} and t of shape {t.shape} differ")
    if t.dtype != p.dtype:
        t = Variable(t.data.astype(p.dtype))
    n = len(t)
    p = clip(p, 1e-15, 1 - 1e-7 if p.dtype == np.float32 else 1 - 1e-15)
    tlog_p = t * log(p) + (1 - t) * log(1 - p)
    return -sum(tlog_p) / n


def accuracy(y, t):
    """Fraction of rows of y whose argmax equals the label in t (not differentiable)."""
    y, t = as_variable(y), as_variable(t)
    pred = y.data.argmax(axis=1).reshape(t.shape)
    acc = (pred == t.data).mean()
    return Variable(as_array(acc))


# =============================================================================
# Regularisation and normalisation
# =============================================================================
def dropout(x, dropout_ratio=0.5):
    """Inverted dropout: in training, zero each element with probability `dropout_ratio` and scale the
    rest by 1/(1-ratio); in test mode, the identity."""
    x = as_variable(x)
    if not 0 <= dropout_ratio < 1:
        raise ValueError(f"dropout: dropout_ratio must be in [0, 1), got {dropout_ratio}")
    if not Config.train:
        return x
    xp = cuda.get_array_module(x)
    keep = xp.random.random_sample(x.shape) > dropout_ratio
    mask = keep.astype(x.dtype) * x.dtype.type(1.0 / (1.0 - dropout_ratio))
    return Scale(mask)(x)


def _channel_axes(x):
    if x.ndim == 2:
        return (0,), (1, x.shape[1])
    if x.ndim == 4:
        return (0, 2, 3), (1, x.shape[1], 1, 1)
    raise ValueError(f"batch_norm: x must be 2-D (N, C) or 4-D (N, C, H, W), got shape {x.shape}")


def batch_norm(x, gamma, beta, mean, var, decay=0.9, eps=2e-5):
    """Batch normalisation over the batch (and spatial) axes, per channel.

    In training it normalises with the batch statistics and updates the running `mean` and `var`
    arrays in place; in test mode it uses them.  It is composed of Functions, so gradients of every
    order (through the batch statistics too) are exact.
    """
    x, gamma, beta = as_variable(x), as_variable(gamma), as_variable(beta)
    mean = mean.data if isinstance(mean, Variable) else mean  # running statistics: arrays, updated in place
    var = var.data if isinstance(var, Variable) else var
    axes, param_shape = _channel_axes(x)
    if gamma.size != x.shape[1] or beta.size != x.shape[1]:
        raise ValueError(f"batch_norm: gamma/beta have {gamma.size}/{beta.size} elements but x has "
                         f"{x.shape[1]} channels")
    gamma = reshape(gamma, param_shape)
    beta = reshape(beta, param_shape)
    if Config.train:
        m = x.size // x.shape[1]
        mu = average(x, axis=axes, keepdims=True)
        xc = x - mu
        batch_var = average(xc * xc, axis=axes, keepdims=True)
        xhat = xc / (batch_var + eps) ** 0.5
        adjust = m / (m - 1.0) if m > 1 else 1.0  # unbiased running variance (builtin max is shadowed)
        mean *= decay
        mean += (1 - decay) * mu.data.reshape(mean.shape)
        var *= decay
        var += (1 - decay) * adjust * batch_var.data.reshape(var.shape)
    else:
        xp = cuda.get_array_module(x)
        inv_std = 1 / xp.sqrt(var.reshape(param_shape) + eps)
        xhat = Scale(inv_std.astype(x.dtype))(x - _constant(mean.reshape(param_shape).astype(x.dtype)))
    return xhat * gamma + beta


def embed_id(x, W):
    """Rows of W selected by the integer ids in x."""
    return get_item(W, x)


# =============================================================================
# Max / min / clip
# =============================================================================
class Max(Function):
    def __init__(self, axis=None, keepdims=False):
        self.axis = axis
        self.keepdims = keepdims

    def forward(self, x):
        y = self._reduce(x)
        y_kept = utils.reshape_sum_backward(y, x.shape, self.axis, self.keepdims)
        # Ties share the gradient equally, so it still sums to gy.
        mask = (x == y_kept).astype(x.dtype)
        mask /= mask.sum(axis=self.axis, keepdims=True)
        self.mask = mask
        return y

    def _reduce(self, x):
        return x.max(axis=self.axis, keepdims=self.keepdims)

    def backward(self, gy):
        x, = self.inputs
        gy = utils.reshape_sum_backward(gy, x.shape, self.axis, self.keepdims)
        return Scale(self.mask)(broadcast_to(gy, x.shape))


class Min(Max):
    def _reduce(self, x):
        return x.min(axis=self.axis, keepdims=self.keepdims)


def max(x, axis=None, keepdims=False):
    return Max(tuple(axis) if isinstance(axis, list) else axis, keepdims)(x)


def min(x, axis=None, keepdims=False):
    return Min(tuple(axis) if isinstance(axis, list) else axis, keepdims)(x)


class Clip(Function):
    def __init__(self, x_min, x_max):
        self.x_min = x_min
        self.x_max = x_max

    def forward(self, x):
        xp = cuda.get_array_module(x)
        self.mask = ((x >= self.x_min) & (x <= self.x_max)).astype(x.dtype)
        lo, hi = (x.dtype.type(v) for v in (self.x_min, self.x_max)) if x.dtype.kind == "f" else (
            self.x_min, self.x_max)
        return xp.clip(x, lo, hi)

    def backward(self, gy):
        return Scale(self.mask)(gy)


def clip(x, x_min, x_max):
    return Clip(x_min, x_max)(x)


# =============================================================================
# The convolution family (DeZero exposes it from functions too)
# =============================================================================
from minigrad.functions_conv import (average_pooling, col2im, conv2d, conv2d_simple,  # noqa: E402,F401
                                     deconv2d, im2col, pooling, pooling_simple,
                                     AveragePooling, AveragePooling2DGrad, Col2im, Conv2d, Conv2DGradW,
                                     Deconv2d, Im2col, Pooling, Pooling2DGrad, Pooling2DWithIndexes)
