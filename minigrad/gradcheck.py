"""Gradient checking: central-difference gradients and the comparison of backprop against them."""
import numpy as np

from minigrad import cuda
from minigrad import functions as F
from minigrad.core import Variable


# =============================================================================
def numerical_grad(f, x, *args, **kwargs):
    """Central-difference gradient of the scalar sum of f(x, *args) with respect to array or Variable x.

    f may return an array or a Variable; x is perturbed in place and restored.
    """
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
    def to64(a):
        a = a.data if isinstance(a, Variable) else a
        if a is not None and hasattr(a, "dtype") and a.dtype.kind == "f":
            return a.astype(np.float64)
        return a

    x = x.data if isinstance(x, Variable) else x
    cuda.check_same_device("gradient_check", [x] + [a.data if isinstance(a, Variable) else a for a in args
                                                    if isinstance(a, Variable) or hasattr(a, "dtype")])
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
