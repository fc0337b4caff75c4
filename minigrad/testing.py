"""Checking a Function: every property the op table checks for minigrad's own ops, in one call.

    import minigrad.testing
    minigrad.testing.check_function(MyOp, [x, W], reference=numpy_version_of_my_op)

`fn` is a Function class (a new instance is made per call) or any callable that takes the inputs and
returns one Variable; float arrays reach it as Variables, other arrays (integer labels, indices) as they
are.  The properties, each also a function of its own:

    check_forward         float64 output equals `reference` (called on NumPy copies); inputs unmodified
    check_first_order     backprop gradients of every float input equal central differences (float64)
    check_second_order    gradients of sum_i <g_i, v_i> (g_i from backward(create_graph=True)) the same
    check_dtype           float32 inputs give float32 outputs and gradients (first and second order)
    check_repeat          backward from a fresh graph and again through the same graph agree; leaf
                          gradients accumulate when not cleared
    check_non_contiguous  inputs given as strided and as transposed (Fortran-order) views give the same
                          output and gradients as C-contiguous ones, and are left unmodified

The scalar differentiated is sum(y * w) for a fixed random w (the plain sum of softmax is constant, so
its gradient would be zero whatever the backward); v_i are fixed random arrays too.  Randomness comes
from `seed`: a function that draws random numbers itself (dropout) must seed them per call.  A failed
check raises AssertionError naming the property and the input.  Inputs may be CuPy arrays: the checks
then run on the GPU and compare on the host.

This module is not imported by `import minigrad`.
"""
import numpy as np

from minigrad import cuda, gradcheck
from minigrad import functions as F
from minigrad.core import Function, Variable, no_grad

RTOL = 1e-5  # first-order gradients against central differences (float64); second order uses 10x
ATOL = 1e-6
FORWARD_RTOL = 1e-10  # float64 forward against a float64 reference of the same formula
FORWARD_ATOL = 1e-12
LAYOUT_RTOL = 1e-10  # non-contiguous against contiguous: only the summation order may differ
LAYOUT_ATOL = 1e-12

PROPERTIES = ("forward", "first_order", "second_order", "dtype", "repeat", "non_contiguous")


# =============================================================================
# The one call
# =============================================================================
def check_function(fn, inputs, reference=None, *, rtol=RTOL, atol=ATOL, second_order=True,
                   forward_rtol=FORWARD_RTOL, forward_atol=FORWARD_ATOL, seed=0, name=None, skip=()):
    """Check every property of `fn` on `inputs` (see the module docstring); raise AssertionError on
    the first that fails.

    reference: a NumPy implementation of the forward (arrays in, array out), or None to skip that check.
    rtol, atol: first-order gradient tolerances (second order: ten times them).
    second_order: False for a Function whose backward is not differentiable (say why where you call);
        it also leaves second order out of the dtype and non-contiguous checks.
    seed: chooses the fixed random w of sum(y * w) and the v_i of the second-order check.
    name: a label the failure messages start with.
    skip: names from PROPERTIES to leave out, e.g. ("dtype",) for a float64-only Function.
    """
    unknown = set(skip) - set(PROPERTIES)
    if unknown:
        raise ValueError(f"check_function: skip has unknown properties {sorted(unknown)}; "
                         f"expected some of {PROPERTIES}")
    common = dict(seed=seed, name=name)
    if reference is not None and "forward" not in skip:
        check_forward(fn, inputs, reference, rtol=forward_rtol, atol=forward_atol, name=name)
    if "first_order" not in skip:
        check_first_order(fn, inputs, rtol=rtol, atol=atol, **common)
    if second_order and "second_order" not in skip:
        check_second_order(fn, inputs, rtol=10 * rtol, atol=10 * atol, **common)
    if "dtype" not in skip:
        check_dtype(fn, inputs, second_order=second_order, **common)
    if "repeat" not in skip:
        check_repeat(fn, inputs, **common)
    if "non_contiguous" not in skip:
        check_non_contiguous(fn, inputs, second_order=second_order, **common)


# =============================================================================
# The properties
# =============================================================================
def check_forward(fn, inputs, reference, *, rtol=FORWARD_RTOL, atol=FORWARD_ATOL, name=None):
    """The float64 output equals reference(*inputs) and is on the inputs' device; neither forward nor
    backward modifies an input."""
    fn = _as_callable(fn)
    arrays = _arrays(inputs, np.float64)
    copies = [a.copy() for a in arrays]
    expected = np.asarray(reference(*[cuda.as_numpy(a).copy() for a in arrays]))
    vs, y = _call(fn, arrays)
    where = _label(name, "forward")
    xp = _xp(arrays)
    if cuda.get_array_module(y.data) is not xp:
        raise AssertionError(f"{where}: output is a {type(y.data).__name__}, inputs are {xp.__name__} arrays")
    if y.dtype != np.float64:
        raise AssertionError(f"{where}: float64 inputs gave a {y.dtype} output")
    if y.shape != expected.shape:
        raise AssertionError(f"{where}: output shape {y.shape} != reference shape {expected.shape}")
    np.testing.assert_allclose(cuda.as_numpy(y.data), expected, rtol=rtol, atol=atol, err_msg=where)
    y.backward()
    for i, (a, c) in enumerate(zip(arrays, copies)):
        if not np.array_equal(cuda.as_numpy(a), cuda.as_numpy(c)):
            raise AssertionError(f"{where}: input {i} was modified")


def check_first_order(fn, inputs, *, rtol=RTOL, atol=ATOL, seed=0, name=None):
    """The backprop gradient of sum(y * w) for every float input equals central differences (float64)."""
    fn = _as_callable(fn)
    arrays = _arrays(inputs, np.float64)
    idx = _float_indices(arrays, name)
    vs, y = _backprop(fn, arrays, seed)
    w = _weights(y, seed)

    def loss(arrs):
        with no_grad():
            out = _call(fn, arrs)[1]
        return float(cuda.as_numpy((out.data * w).sum()))

    for i in idx:
        where = _label(name, "first order", i)
        got = _grad_array(vs[i], arrays[i])
        _check_shape_dtype(got, arrays[i], where)
        num = _numerical(loss, arrays, i)
        np.testing.assert_allclose(cuda.as_numpy(got), cuda.as_numpy(num), rtol=rtol, atol=atol,
                                   err_msg=where)


def check_second_order(fn, inputs, *, rtol=10 * RTOL, atol=10 * ATOL, seed=0, name=None):
    """The gradient of s = sum_i <g_i, v_i>, with g_i from backward(create_graph=True), equals central
    differences of s for every float input (float64)."""
    fn = _as_callable(fn)
    arrays = _arrays(inputs, np.float64)
    idx = _float_indices(arrays, name)
    got = _second_order_grads(fn, arrays, seed)

    def s_value(arrs):
        _, s = _grad_dot(fn, arrs, seed, create_graph=False)
        return 0.0 if s is None else float(cuda.as_numpy(s.data))

    for i, g in zip(idx, got):
        where = _label(name, "second order", i)
        _check_shape_dtype(g, arrays[i], where)
        num = _numerical(s_value, arrays, i)
        np.testing.assert_allclose(cuda.as_numpy(g), cuda.as_numpy(num), rtol=rtol, atol=atol,
                                   err_msg=where)


def check_dtype(fn, inputs, *, second_order=True, seed=0, name=None):
    """float32 inputs give a float32 output and float32 gradients of first (and second) order, whose
    values agree with the float64 ones."""
    fn = _as_callable(fn)
    a32 = _arrays(inputs, np.float32)
    idx = _float_indices(a32, name)
    where = _label(name, "dtype")
    vs, y = _backprop(fn, a32, seed, create_graph=second_order)
    if y.dtype != np.float32:
        raise AssertionError(f"{where}: float32 inputs gave a {y.dtype} output")
    vs64, y64 = _backprop(fn, _arrays(inputs, np.float64), seed)
    np.testing.assert_allclose(cuda.as_numpy(y.data), cuda.as_numpy(y64.data), rtol=1e-4, atol=1e-4,
                               err_msg=f"{where}: float32 forward")
    for i in idx:
        g = cuda.as_numpy(_grad_array(vs[i], a32[i]))
        g64 = cuda.as_numpy(_grad_array(vs64[i], a32[i].astype(np.float64)))
        if g.dtype != np.float32:
            raise AssertionError(f"{where}, input {i}: the gradient is {g.dtype}")
        scale = 1 + (np.abs(g64).max() if g64.size else 0)
        np.testing.assert_allclose(g, g64, rtol=1e-3, atol=1e-3 * scale,
                                   err_msg=f"{where}, input {i}: float32 gradient")
    if not second_order:
        return
    vs, s = _grad_dot(fn, a32, seed, create_graph=True)
    if s is None:
        return
    if s.dtype != np.float32:
        raise AssertionError(f"{where}: <grad, v> of float32 inputs is {s.dtype}")
    for i in idx:
        vs[i].cleargrad()
    s.backward()
    for i in idx:
        if vs[i].grad is not None and vs[i].grad.dtype != np.float32:
            raise AssertionError(f"{where}, input {i}: the second-order gradient is {vs[i].grad.dtype}")


def check_repeat(fn, inputs, *, seed=0, name=None):
    """Backward from a fresh graph gives the same gradients; so does a second backward through the same
    graph after cleargrad; without cleargrad, leaf gradients accumulate to twice the value."""
    fn = _as_callable(fn)
    arrays = _arrays(inputs, np.float64)
    idx = _float_indices(arrays, name)
    where = _label(name, "repeated backward")
    vs1, _ = _backprop(fn, arrays, seed)
    g1 = [cuda.as_numpy(_grad_array(vs1[i], arrays[i])).copy() for i in idx]
    vs, y = _backprop(fn, arrays, seed)
    for i, a in zip(idx, g1):
        np.testing.assert_allclose(cuda.as_numpy(_grad_array(vs[i], arrays[i])), a, rtol=1e-12, atol=0,
                                   err_msg=f"{where}, input {i}: a fresh graph")
    w = _weights(y, seed)
    for i in idx:
        vs[i].cleargrad()
    y.grad = Variable(w)
    y.backward()
    for i, a in zip(idx, g1):
        np.testing.assert_allclose(cuda.as_numpy(_grad_array(vs[i], arrays[i])), a, rtol=1e-12, atol=0,
                                   err_msg=f"{where}, input {i}: the same graph again")
    if y.creator is None:  # fn returned an input unchanged: there is no graph to walk again
        return
    y.grad = Variable(w)
    y.backward()
    for i, a in zip(idx, g1):
        np.testing.assert_allclose(cuda.as_numpy(_grad_array(vs[i], arrays[i])), 2 * a, rtol=1e-12,
                                   atol=1e-15, err_msg=f"{where}, input {i}: accumulated without cleargrad")


def check_non_contiguous(fn, inputs, *, second_order=True, seed=0, name=None):
    """Inputs given as non-contiguous views give the same output and gradients (first and, with
    `second_order`, second order) as C-contiguous inputs, and neither the views nor the arrays they
    view are modified.

    Two layouts: every other element of an array twice as large along each axis, whose gaps hold NaN
    (a kernel that reads the gaps shows NaN), and a transposed copy transposed back (Fortran order,
    for inputs of two or more dimensions).  0-d inputs stay as they are.
    """
    fn = _as_callable(fn)
    arrays = _arrays(inputs, np.float64)
    idx = _float_indices(arrays, name)
    expected = _run(fn, arrays, seed, second_order)
    for layout in ("strided", "transposed"):
        views = [_non_contiguous(a, layout) for a in arrays]
        if all(v is a for v, a in zip(views, arrays)):
            continue
        where = _label(name, f"non-contiguous ({layout})")
        buffers = [v if v.base is None else v.base for v in views]
        before = [cuda.as_numpy(b).copy() for b in buffers]
        got = _run(fn, views, seed, second_order)
        np.testing.assert_allclose(got[0], expected[0], rtol=LAYOUT_RTOL, atol=LAYOUT_ATOL,
                                   err_msg=f"{where}: forward")
        for order, g_list, e_list in (("first", got[1], expected[1]), ("second", got[2], expected[2])):
            for i, g, e in zip(idx, g_list, e_list):
                if g.shape != e.shape:
                    raise AssertionError(f"{where}, input {i}: {order}-order gradient shape {g.shape}, "
                                         f"expected {e.shape}")
                np.testing.assert_allclose(g, e, rtol=LAYOUT_RTOL, atol=LAYOUT_ATOL,
                                           err_msg=f"{where}, input {i}: {order}-order gradient")
        for i, (b, old) in enumerate(zip(buffers, before)):
            np.testing.assert_array_equal(cuda.as_numpy(b), old, err_msg=f"{where}: input {i} was modified")


# =============================================================================
# Gradients, for comparisons of your own
# =============================================================================
def gradients(fn, inputs, *, seed=0, create_graph=False):
    """Run fn on `inputs` (dtype and device kept; float arrays as Variables) and backpropagate
    sum(y * w) for the checks' fixed random w.  Returns (y, grads): the output Variable and, per input,
    its gradient Variable (None for a non-float input or one the output does not depend on)."""
    fn = _as_callable(fn)
    arrays = [_as_array(a) for a in _as_list(inputs)]
    vs, y = _backprop(fn, arrays, seed, create_graph=create_graph)
    return y, [v.grad if isinstance(v, Variable) else None for v in vs]


# =============================================================================
# Helpers
# =============================================================================
def _label(name, prop, i=None):
    where = prop if name is None else f"{name}: {prop}"
    return where if i is None else f"{where}, input {i}"


def _as_callable(fn):
    if isinstance(fn, Function):
        raise TypeError(f"minigrad.testing: fn is a {type(fn).__name__} instance, which is one node of one "
                        "graph; pass the class, or a callable that makes a new instance per call")
    if isinstance(fn, type) and issubclass(fn, Function):
        cls = fn
        return lambda *xs: cls()(*xs)
    if not callable(fn):
        raise TypeError("minigrad.testing: fn must be a Function class or a callable, "
                        f"got {type(fn).__name__}")
    return fn


def _as_list(inputs):
    if isinstance(inputs, (list, tuple)):
        return list(inputs)
    return [inputs]


def _as_array(a):
    a = a.data if isinstance(a, Variable) else a
    return cuda.get_array_module(a).asarray(a)


def _arrays(inputs, dtype):
    """The inputs as arrays: float ones as C-contiguous copies in `dtype`, the others unchanged."""
    out = []
    for a in _as_list(inputs):
        a = _as_array(a)
        if a.dtype.kind == "f":
            a = cuda.get_array_module(a).array(a, dtype=dtype, order="C")
        out.append(a)
    return out


def _xp(arrays):
    floats = [a for a in arrays if a.dtype.kind == "f"]
    return cuda.get_array_module(floats[0] if floats else arrays[0])


def _float_indices(arrays, name):
    idx = [i for i, a in enumerate(arrays) if a.dtype.kind == "f"]
    if not idx:
        raise ValueError(f"{_label(name, 'minigrad.testing')}: no float input to differentiate")
    return idx


def _random(like_xp, shape, dtype, seed, salt):
    """A fixed standard-normal array: the same values for a seed and salt on every device and dtype."""
    values = np.random.default_rng([seed, salt]).standard_normal(shape).astype(dtype)
    return like_xp.asarray(values)


def _weights(y, seed):
    """The w of the scalar sum(y * w) that is differentiated."""
    return _random(cuda.get_array_module(y.data), y.shape, y.dtype, seed, 1)


def _call(fn, arrays):
    vs = [Variable(a) if a.dtype.kind == "f" else a for a in arrays]
    y = fn(*vs)
    if not isinstance(y, Variable):
        raise TypeError(f"minigrad.testing: fn must return one Variable, got {type(y).__name__}")
    return vs, y


def _backprop(fn, arrays, seed, create_graph=False):
    """Backpropagate sum(y * w) from a fresh graph: returns (inputs as passed to fn, y)."""
    vs, y = _call(fn, arrays)
    y.grad = Variable(_weights(y, seed))
    y.backward(create_graph=create_graph)
    return vs, y


def _grad_array(v, like):
    return cuda.get_array_module(like).zeros_like(like) if v.grad is None else v.grad.data


def _grad_dot(fn, arrays, seed, create_graph):
    """s = sum_i <g_i, v_i> for the float inputs i, g_i the backprop gradient of sum(y * w).
    Returns (inputs as passed to fn, s), s None when no input got a gradient."""
    vs, _ = _backprop(fn, arrays, seed, create_graph=create_graph)
    s = None
    for i, a in enumerate(arrays):
        if a.dtype.kind != "f" or vs[i].grad is None:
            continue
        v = _random(cuda.get_array_module(a), a.shape, a.dtype, seed, 100 + i)
        term = F.sum(vs[i].grad * Variable(v))
        s = term if s is None else s + term
    return vs, s


def _second_order_grads(fn, arrays, seed):
    """Backprop gradients of s = sum_i <g_i, v_i> for the float inputs."""
    vs, s = _grad_dot(fn, arrays, seed, create_graph=True)
    idx = [i for i, a in enumerate(arrays) if a.dtype.kind == "f"]
    for i in idx:
        vs[i].cleargrad()
    if s is not None:
        s.backward()
    return [_grad_array(vs[i], arrays[i]) for i in idx]


def _numerical(scalar, arrays, i):
    """Central differences of scalar(arrays) with respect to arrays[i] (minigrad.gradcheck's)."""
    def f(xi):
        arrs = list(arrays)
        arrs[i] = xi
        return scalar(arrs)
    return gradcheck.numerical_grad(f, arrays[i])


def _check_shape_dtype(got, like, where):
    if got.shape != like.shape:
        raise AssertionError(f"{where}: gradient shape {got.shape}, input shape {like.shape}")
    if got.dtype != like.dtype:
        raise AssertionError(f"{where}: gradient dtype {got.dtype}, input dtype {like.dtype}")


def _run(fn, arrays, seed, second_order):
    """(output, first-order gradients, second-order gradients) as host arrays, for comparisons."""
    idx = [i for i, a in enumerate(arrays) if a.dtype.kind == "f"]
    vs, y = _backprop(fn, arrays, seed)
    first = [cuda.as_numpy(_grad_array(vs[i], arrays[i])).copy() for i in idx]
    second = [cuda.as_numpy(g).copy() for g in _second_order_grads(fn, arrays, seed)] if second_order else []
    return cuda.as_numpy(y.data).copy(), first, second


def _non_contiguous(a, layout):
    """A non-contiguous view holding a's values (a itself when the layout does not apply)."""
    xp = cuda.get_array_module(a)
    if layout == "transposed":
        return xp.ascontiguousarray(a.T).T if a.ndim >= 2 else a
    if a.ndim == 0:
        return a
    fill = np.nan if a.dtype.kind == "f" else 0
    big = xp.full(tuple(2 * n for n in a.shape), fill, dtype=a.dtype)
    view = big[(slice(None, None, 2),) * a.ndim]
    view[...] = a
    return view
