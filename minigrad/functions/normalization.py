"""Dropout, batch normalisation and embedding lookup."""
import numpy as np

from minigrad import cuda
from minigrad.core import Config, Variable, as_variable
from minigrad.functions.arithmetic import Scale
from minigrad.functions.shape import average, get_item, reshape


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
    cuda.check_same_device("batch_norm", (x.data, gamma.data, beta.data, mean, var))
    axes, param_shape = _channel_axes(x)
    if gamma.size != x.shape[1] or beta.size != x.shape[1]:
        raise ValueError(f"batch_norm: gamma/beta have {gamma.size}/{beta.size} elements but x has "
                         f"{x.shape[1]} channels")
    gamma = reshape(gamma, param_shape)
    beta = reshape(beta, param_shape)
    if Config.train:
        m = x.size // x.shape[1] if x.shape[1] else 0
        if m == 0:
            raise ValueError(f"batch_norm: x of shape {x.shape} has no values per channel: training "
                             "needs batch statistics (test mode normalises an empty batch)")
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
        xhat = Scale(inv_std.astype(x.dtype))(x - Variable(mean.reshape(param_shape).astype(x.dtype)))
    return xhat * gamma + beta


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
