"""DeZero-compatible helpers: array reductions used by Functions, convolution sizes, numerical
gradients and gradient checking.  Graph drawing lives in minigrad.graph and is re-exported here."""
import os

import numpy as np

from minigrad import cuda, files
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
# Gradient checking
# =============================================================================
def numerical_grad(f, x, *args, **kwargs):
    """Central-difference gradient of the scalar sum of f(x, *args) with respect to array or Variable x.

    f may return an array or a Variable; x is perturbed in place and restored.
    """
    from minigrad.core import Variable
    eps = 1e-4
    x = x.data if isinstance(x, Variable) else x
    xp = cuda.get_array_module(x)
    if x.dtype.kind != "f":
        x = x.astype(np.float64)
    x = xp.ascontiguousarray(x)  # perturbed through a flat view (a copy when x is not contiguous)
    grad = xp.zeros_like(x)
    flat_x = x.reshape(-1)
    flat_g = grad.reshape(-1)

    def total(out):
        out = out.data if isinstance(out, Variable) else out
        return float(cuda.as_numpy(out).sum())

    for i in range(flat_x.size):
        tmp = flat_x[i].copy()
        flat_x[i] = tmp + eps
        y1 = total(f(x, *args, **kwargs))
        flat_x[i] = tmp - eps
        y2 = total(f(x, *args, **kwargs))
        flat_x[i] = tmp
        flat_g[i] = (y1 - y2) / (2 * eps)
    return grad


def array_equal(a, b):
    """True if a and b (arrays or Variables, any device) hold the same values and shape."""
    return bool(np.array_equal(cuda.as_numpy(a), cuda.as_numpy(b)))


def array_allclose(a, b, rtol=1e-4, atol=1e-5):
    """True if a and b (arrays or Variables, any device) are elementwise close."""
    a, b = cuda.as_numpy(a), cuda.as_numpy(b)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=atol))


def gradient_check(f, x, *args, rtol=1e-4, atol=1e-5, second_order=False, **kwargs):
    """Compare backprop gradients of f(x, *args).sum() with central differences, in float64.

    Every array argument (x and the arrays in args) is checked, not just the first.  With
    `second_order=True`, the gradient of sum(grad * v) for a fixed random v is checked too.
    Returns True when all agree; prints the mismatching input otherwise.
    """
    from minigrad import functions as F
    from minigrad.core import Variable

    def to64(a):
        a = a.data if isinstance(a, Variable) else a
        if a is not None and hasattr(a, "dtype") and a.dtype.kind == "f":
            return a.astype(np.float64)
        return a

    x = x.data if isinstance(x, Variable) else x
    inputs = [x.astype(np.float64)] + [to64(a) for a in args]  # x is always checked, even if integer
    float_idx = [i for i, a in enumerate(inputs)
                 if hasattr(a, "dtype") and getattr(a, "dtype").kind == "f"]

    def call(arrays):
        return f(*[Variable(a) if i in float_idx else a for i, a in enumerate(arrays)], **kwargs)

    # first order
    vs = [Variable(a) if i in float_idx else a for i, a in enumerate(inputs)]
    y = f(*vs, **kwargs)
    F.sum(y).backward(create_graph=second_order)
    ok = True
    for i in float_idx:
        def fi(xi, i=i):
            arrays = list(inputs)
            arrays[i] = xi
            return call(arrays)
        num = numerical_grad(fi, inputs[i])
        got = vs[i].grad
        got = np.zeros_like(num) if got is None else cuda.as_numpy(got.data)
        if got.shape != num.shape or not np.allclose(got, cuda.as_numpy(num), rtol=rtol, atol=atol):
            print(f"gradient_check: input {i}: backprop\n{got}\nnumerical\n{cuda.as_numpy(num)}")
            ok = False
    if not second_order or not ok:
        return ok

    # second order: d/dx_j sum_i <grad_i, v_i>
    rng = np.random.default_rng(0)
    xp = cuda.get_array_module(inputs[0])
    vecs = {i: xp.asarray(rng.standard_normal(inputs[i].shape)) for i in float_idx}

    def grad_dot(arrays):
        vs2 = [Variable(a) if i in float_idx else a for i, a in enumerate(arrays)]
        out = F.sum(f(*vs2, **kwargs))
        out.backward(create_graph=True)
        total = None
        for i in float_idx:
            g = vs2[i].grad
            if g is None:
                continue
            term = F.sum(g * Variable(vecs[i]))
            total = term if total is None else total + term
        return total, vs2

    total, vs2 = grad_dot(inputs)
    if total is None:
        return ok
    for i in float_idx:
        vs2[i].cleargrad()
    total.backward()
    for i in float_idx:
        def gi(xi, i=i):
            arrays = list(inputs)
            arrays[i] = xi
            t, _ = grad_dot(arrays)
            return t.data
        num = numerical_grad(gi, inputs[i])
        got = vs2[i].grad
        got = np.zeros_like(num) if got is None else cuda.as_numpy(got.data)
        if not np.allclose(got, cuda.as_numpy(num), rtol=rtol * 10, atol=atol * 10):
            print(f"gradient_check (2nd order): input {i}: backprop\n{got}\nnumerical\n{cuda.as_numpy(num)}")
            ok = False
    return ok


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
