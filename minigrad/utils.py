"""DeZero-compatible helpers: array reductions used by Functions, convolution sizes, numerical
gradient checking (minigrad.gradcheck) and graph drawing (minigrad.graph) re-exported."""
import os

import numpy as np

from minigrad import cuda, files
from minigrad.gradcheck import array_allclose, array_equal, gradient_check, numerical_grad  # noqa: F401
from minigrad.graph import get_dot_graph, plot_dot_graph  # noqa: F401  (DeZero names)


# =============================================================================
# Array helpers used by Functions
# =============================================================================
def sum_to(x, shape):
    """Sum array `x` down to `shape` (the inverse of broadcasting)."""
    ndim = len(shape)
    lead = x.ndim - ndim
    lead_axis = tuple(range(lead))
    axis = tuple(i + lead for i, sx in enumerate(shape) if sx == 1 and x.shape[i + lead] != 1)
    y = x.sum(lead_axis + axis, keepdims=True)
    if lead > 0:
        y = y.squeeze(lead_axis)
    return y


def reshape_sum_backward(gy, x_shape, axis, keepdims):
    """Reshape the gradient of `sum(x, axis, keepdims)` so that it broadcasts against x."""
    ndim = len(x_shape)
    if not (ndim == 0 or axis is None or keepdims):
        axes = (axis,) if np.isscalar(axis) else axis
        actual = sorted(a if a >= 0 else a + ndim for a in axes)
        shape = list(gy.shape)
        for a in actual:
            shape.insert(a, 1)
        return gy.reshape(tuple(shape))
    if axis is None and not keepdims and ndim > 0:
        return gy.reshape((1,) * ndim)
    return gy


def logsumexp(x, axis=1):
    """log(sum(exp(x), axis, keepdims=True)), computed stably."""
    xp = cuda.get_array_module(x)
    m = x.max(axis=axis, keepdims=True)
    y = xp.exp(x - m)
    s = y.sum(axis=axis, keepdims=True)
    return m + xp.log(s)


def max_backward_shape(x, axis):
    """The shape of max(x, axis) with the reduced axes kept as 1."""
    if axis is None:
        axis = range(x.ndim)
    elif isinstance(axis, int):
        axis = (axis,)
    axis = [a % x.ndim for a in axis]
    return [s if i not in axis else 1 for i, s in enumerate(x.shape)]


# =============================================================================
# Convolution sizes
# =============================================================================
def pair(x, name="value"):
    """An int or a pair of ints (tuple, list, NumPy ints) as a tuple (a, b)."""
    if isinstance(x, (int, np.integer)) and not isinstance(x, bool):
        return (int(x), int(x))
    if isinstance(x, (tuple, list)) and len(x) == 2 and all(
            isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in x):
        return (int(x[0]), int(x[1]))
    if isinstance(x, np.ndarray) and x.shape in ((), (2,)) and x.dtype.kind in "iu":
        return pair(x.tolist(), name)
    raise TypeError(f"{name} must be an int or a pair of ints, got {x!r}")


def positive_int(value, name="value"):
    """`value` as a Python int >= 1: TypeError if it is not an int (bools excluded), ValueError if < 1."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be a positive int, got {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return int(value)


def get_conv_outsize(input_size, kernel_size, stride, pad):
    """Output length of a convolution along one axis."""
    return (input_size + pad * 2 - kernel_size) // stride + 1


def get_deconv_outsize(size, k, s, p):
    """Output length of a transposed convolution along one axis."""
    return s * (size - 1) + k - 2 * p


# =============================================================================
# Downloads (DeZero's names)
# =============================================================================
cache_dir = os.path.join(os.path.expanduser("~"), ".minigrad")


def show_progress(block_num, block_size, total_size):
    """A `urllib.request.urlretrieve` report hook printing a one-line progress bar."""
    done = min(block_num * block_size, total_size) if total_size > 0 else block_num * block_size
    percent = 100.0 * done / total_size if total_size > 0 else 0.0
    bar = "#" * int(percent / 100 * 30)
    print(f"\r[{bar:<30}] {percent:5.1f}%", end="", flush=True)


def get_file(url, file_name=None, md5=None):
    """Download `url` into `cache_dir` (once) and return the local path.  The file is written
    atomically; with `md5` a download whose checksum differs is deleted and an OSError raised, and a
    cached copy is checked the same way."""
    file_name = file_name or url[url.rfind("/") + 1:]
    if not file_name:
        raise ValueError(f"get_file: cannot name a file after {url!r}; pass file_name")
    path = os.path.join(cache_dir, file_name)
    if os.path.exists(path) and (md5 is None or files.md5sum(path) == md5):
        return path
    return files.download(url, path, md5=md5)
