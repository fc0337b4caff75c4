"""Losses and metrics: squared error, softmax / sigmoid / binary cross entropy, accuracy."""
import numpy as np

from minigrad import cuda
from minigrad.core import Function, Variable, as_array, as_variable
from minigrad.functions.activation import Sigmoid, clip, sigmoid, softmax
from minigrad.functions.elementwise import log
from minigrad.functions.shape import reshape, sum, sum_to
from minigrad.kernels import reduction


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
        log_p = reduction.log_softmax(x, axis=1)
        xp = cuda.get_array_module(x)
        return -log_p[xp.arange(n), t].sum() / x.dtype.type(n)

    def backward(self, gy):
        x, t = self.inputs
        n = x.shape[0]
        xp = cuda.get_array_module(t.data)
        t_onehot = xp.zeros(x.shape, dtype=x.dtype)
        t_onehot[xp.arange(n), t.data] = 1
        return (softmax(x) - Variable(t_onehot)) * (gy / n)


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


def _binary_targets(name, x, t, xname="x"):
    """t as a Variable of x's shape and dtype.  t must have x's shape, or be (N,) for x of shape (N, 1):
    any other reshape (t of shape (6,) for x (2, 3)) would pair targets with the wrong elements."""
    if t.shape != x.shape:
        if not (t.ndim == 1 and x.shape == (t.shape[0], 1)):
            raise ValueError(f"{name}: t must have the shape of {xname} {x.shape}"
                             f"{f' or ({x.shape[0]},)' if x.ndim == 2 and x.shape[1] == 1 else ''}, "
                             f"got shape {t.shape}")
        t = reshape(t, x.shape)
    if t.dtype != x.dtype:
        t = Variable(t.data.astype(x.dtype))
    return t


def sigmoid_cross_entropy(x, t):
    """Binary cross entropy of sigmoid(x) against targets t, from the logits x: exact for any x (no
    log of a probability that rounded to 0 or 1), summed and divided by len(x)."""
    x, t = as_variable(x), as_variable(t)
    t = _binary_targets("sigmoid_cross_entropy", x, t)
    return SigmoidCrossEntropy()(x, t)


def binary_cross_entropy(p, t):
    """Binary cross entropy of probabilities p against targets t, summed and divided by len(p).

    When p was made by sigmoid in this graph (p.creator is a Sigmoid), the loss is computed from its
    logit x as sigmoid_cross_entropy(x, t) (as Keras does): exact, and the gradient reaches x even for
    a confidently wrong p (sigmoid(-25) against 1 gives loss 25 and gradient -1; through log(p) the p
    rounds away).  The gradient then flows to x directly, not through p.  Otherwise (p from elsewhere,
    or no graph recorded) p is clipped to [tiny, 1 - eps] before the logarithms."""
    p, t = as_variable(p), as_variable(t)
    t = _binary_targets("binary_cross_entropy", p, t, "p")
    if isinstance(p.creator, Sigmoid):
        return SigmoidCrossEntropy()(p.creator.inputs[0], t)
    n = len(t)
    finfo = np.finfo(p.dtype) if p.dtype.kind == "f" else np.finfo(np.float64)
    # the smallest normal number: log(p) is exact down to it (1e-15 cut float32 losses at 34.5)
    p = clip(p, float(finfo.tiny), 1 - 1e-7 if p.dtype == np.float32 else 1 - 1e-15)
    tlog_p = t * log(p) + (1 - t) * log(1 - p)
    return -sum(tlog_p) / n


def accuracy(y, t):
    """Fraction of rows of y whose argmax equals the label in t (not differentiable)."""
    y, t = as_variable(y), as_variable(t)
    cuda.check_same_device("accuracy", (y.data, t.data))
    pred = y.data.argmax(axis=1).reshape(t.shape)
    acc = (pred == t.data).mean()
    return Variable(as_array(acc))
