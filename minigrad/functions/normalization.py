"""Dropout, batch normalisation and embedding lookup."""
import numpy as np

from minigrad import cuda
from minigrad.core import Config, Function, Variable, as_variable
from minigrad.functions.arithmetic import Scale
from minigrad.functions.shape import average, get_item, reshape, sum


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


class BatchNorm(Function):
    """Batch normalisation as one Function (DeZero's `F.BatchNorm(mean, var, decay, eps)`, called on
    (x, gamma, beta)): y = gamma * (x - mu) / sqrt(sigma2 + eps) + beta per channel.

    In training mu and sigma2 are the batch statistics and the running `mean` and `var` arrays are
    updated in place (the variance unbiased); in test mode mu and sigma2 are the running statistics.
    Forward is plain array code; backward is written with Functions that recompute the statistics
    from x, so its own derivatives (through 1/std too, which DeZero treats as a constant) are exact.
    """

    def __init__(self, mean, var, decay=0.9, eps=2e-5):
        self.avg_mean = mean
        self.avg_var = var
        self.decay = decay
        self.eps = eps

    def forward(self, x, gamma, beta):
        xp = cuda.get_array_module(x)
        axes, param_shape = _channel_axes(x)
        self.train = Config.train  # backward differs by mode; the mode may change before it runs
        if self.train:
            mu = x.mean(axis=axes, keepdims=True)
            xc = x - mu
            sigma2 = (xc * xc).mean(axis=axes, keepdims=True)
            m = x.size // x.shape[1]
            adjust = m / (m - 1.0) if m > 1 else 1.0  # unbiased running variance
            self.avg_mean *= self.decay
            self.avg_mean += (1 - self.decay) * mu.reshape(self.avg_mean.shape)
            self.avg_var *= self.decay
            self.avg_var += (1 - self.decay) * adjust * sigma2.reshape(self.avg_var.shape)
        else:
            # copies: the running statistics may be updated in place before backward runs
            self.mean_used = self.avg_mean.reshape(param_shape).astype(x.dtype)
            sigma2 = self.avg_var.reshape(param_shape)
            xc = x - self.mean_used
        inv_std = (1 / xp.sqrt(sigma2 + self.eps)).astype(x.dtype, copy=False)
        if not self.train:
            self.inv_std = inv_std
        y = xc * (inv_std * gamma.reshape(param_shape)) + beta.reshape(param_shape)
        return y.astype(x.dtype, copy=False)

    def backward(self, gy):
        x, gamma, beta = self.inputs
        axes, param_shape = _channel_axes(x)
        g = reshape(gamma, param_shape)
        if self.train:
            m = x.size // x.shape[1]
            xc = x - average(x, axis=axes, keepdims=True)
            inv_std = (average(xc * xc, axis=axes, keepdims=True) + self.eps) ** -0.5
            xhat = xc * inv_std
        else:
            inv_std = Variable(self.inv_std)
            xhat = Scale(self.inv_std)(x - Variable(self.mean_used))
        gbeta = sum(gy, axis=axes, keepdims=True)
        ggamma = sum(gy * xhat, axis=axes, keepdims=True)
        if self.train:
            gx = (g * inv_std) * (gy - gbeta / m - xhat * ggamma / m)
        else:
            gx = gy * (g * inv_std)
        return gx, reshape(ggamma, gamma.shape), reshape(gbeta, beta.shape)


def batch_norm(x, gamma, beta, mean, var, decay=0.9, eps=2e-5):
    """Batch normalisation over the batch (and spatial) axes, per channel (see BatchNorm).

    In training it normalises with the batch statistics and updates the running `mean` and `var`
    arrays in place; in test mode it uses them.  Gradients of every order (through the batch
    statistics too) are exact.
    """
    x, gamma, beta = as_variable(x), as_variable(gamma), as_variable(beta)
    mean = mean.data if isinstance(mean, Variable) else mean  # running statistics: arrays, updated in place
    var = var.data if isinstance(var, Variable) else var
    cuda.check_same_device("batch_norm", (x.data, gamma.data, beta.data, mean, var))
    _channel_axes(x)
    if Config.train and x.size == 0:
        raise ValueError(f"batch_norm: x of shape {x.shape} has no values per channel: training "
                         "needs batch statistics (test mode normalises an empty batch)")
    if gamma.size != x.shape[1] or beta.size != x.shape[1]:
        raise ValueError(f"batch_norm: gamma/beta have {gamma.size}/{beta.size} elements but x has "
                         f"{x.shape[1]} channels")
    if getattr(mean, "size", None) != x.shape[1] or getattr(var, "size", None) != x.shape[1]:
        raise ValueError(f"batch_norm: mean/var must be arrays of {x.shape[1]} elements (one per "
                         f"channel), got {getattr(mean, 'shape', type(mean).__name__)} and "
                         f"{getattr(var, 'shape', type(var).__name__)}")
    return BatchNorm(mean, var, decay, eps)(x, gamma, beta)


batch_nrom = batch_norm  # the book's spelling (DeZero's F.batch_nrom)


def embed_id(x, W):
    """Rows of W selected by the integer ids in x (an int, a list or an integer array of any shape).

    Every id must be in [0, len(W)): a negative one would silently pick a row from the end."""
    W = as_variable(W)
    if isinstance(x, Variable):
        x = x.data
    xp = cuda.get_array_module(W.data)
    if isinstance(x, (int, list, tuple)) or np.isscalar(x):
        x = xp.asarray(x)
    if not hasattr(x, "dtype") or x.dtype.kind not in "iu":
        kind = f"dtype {x.dtype}" if hasattr(x, "dtype") else type(x).__name__
        raise TypeError(f"embed_id: x must hold integer ids, got {kind}")
    if x.size:
        low, high = int(x.min()), int(x.max())
        if low < 0 or high >= W.shape[0]:
            bad = low if low < 0 else high
            raise IndexError(f"embed_id: id {bad} is out of range for W with {W.shape[0]} rows "
                             f"(ids must be in [0, {W.shape[0]}))")
    return get_item(W, x)
