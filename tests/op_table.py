"""The op table: every differentiable Function of minigrad, with input generators and NumPy references.
The checks themselves are minigrad.testing's (tests/test_op_table.py runs every property on every row).

A row is a plain dict:

    dict(name=str,                         # unique, used as the pytest id and the failure message
         fn=callable(*inputs) -> Variable, # float inputs arrive as Variables, integer arrays as-is
         make_inputs=callable(rng) -> list of arrays,   # float64 for differentiable inputs
         reference=callable(*arrays) -> np.ndarray or None,   # plain NumPy forward
         second_order=True,                # False needs a comment in the row saying why
         rtol=..., atol=...)               # optional, for the first-order check (second order: 10x)

The glue at the end turns a row into the arguments of minigrad.testing's checks: `make_inputs(case)`,
`options(case)` (seed and name) and `tolerances(case)`.
"""
import sys
import zlib

import numpy as np

import minigrad.functions as F
from minigrad import cuda
from minigrad.core import Copy, using_config

DEFAULT_RTOL = 1e-5
DEFAULT_ATOL = 1e-6


# =============================================================================
# Input generators
# =============================================================================
def _normal(*shapes):
    return lambda rng: [rng.standard_normal(s) for s in shapes]


def _uniform(lo, hi, *shapes):
    return lambda rng: [rng.uniform(lo, hi, s) for s in shapes]


def _away(shape, gap=0.2, scale=1.5):
    """Random values of either sign with |x| in [gap, scale]: no kinks at 0."""
    def make(rng):
        return rng.uniform(gap, scale, shape) * rng.choice([-1.0, 1.0], shape)
    return make


def _distinct(shape, step=0.25):
    """Distinct values (a shuffled grid): max/min have no ties."""
    def make(rng):
        n = int(np.prod(shape))
        return (rng.permutation(n) - n / 2.0).reshape(shape) * step + rng.uniform(0, 0.01, shape)
    return make


def _inputs(*makers):
    """Concatenate single-array makers into one make_inputs."""
    return lambda rng: [m(rng) for m in makers]


def _labels(n, classes):
    return lambda rng: rng.integers(0, classes, n)


def _binary(shape):
    return lambda rng: rng.integers(0, 2, shape).astype(np.float64)


def _seeded(fn, seed=0):
    """Run fn with np.random seeded (dropout masks), restoring the global state afterwards.  CuPy's
    stream, where CuPy is loaded, is seeded too (CuPy cannot save and restore it)."""
    def run(*args):
        state = np.random.get_state()
        np.random.seed(seed)
        if "cupy" in sys.modules:
            sys.modules["cupy"].random.seed(seed)
        try:
            return fn(*args)
        finally:
            np.random.set_state(state)
    return run


# =============================================================================
# NumPy references
# =============================================================================
def _np_sum_to(x, shape):
    lead = x.ndim - len(shape)
    y = x.sum(axis=tuple(range(lead))) if lead else x
    axes = tuple(i for i, s in enumerate(shape) if s == 1 and y.shape[i] != 1)
    return y.sum(axis=axes, keepdims=True) if axes else y


def _np_sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _np_softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def _np_log_softmax(x, axis):
    return np.log(_np_softmax(x, axis))


def _np_linear(x, W, b=None):
    y = np.matmul(x, W)
    return y if b is None else y + b


def _np_softmax_ce(x, t):
    return -np.mean(_np_log_softmax(x, 1)[np.arange(len(t)), t])


def _np_sigmoid_ce(x, t):
    p = _np_sigmoid(x)
    return -(t * np.log(p) + (1 - t) * np.log(1 - p)).sum() / len(x)


def _np_bce(p, t):
    return -(t * np.log(p) + (1 - t) * np.log(1 - p)).sum() / len(p)


def _np_batch_norm(x, gamma, beta, eps=2e-5, mean=None, var=None):
    axes = (0,) if x.ndim == 2 else (0, 2, 3)
    shape = (1, -1) if x.ndim == 2 else (1, -1, 1, 1)
    if mean is None:
        mean = x.mean(axis=axes, keepdims=True)
        var = x.var(axis=axes, keepdims=True)
    else:
        mean, var = mean.reshape(shape), var.reshape(shape)
    return (x - mean) / np.sqrt(var + eps) * gamma.reshape(shape) + beta.reshape(shape)


def _np_dropout(x, ratio, seed=0):
    state = np.random.get_state()
    np.random.seed(seed)
    try:
        keep = np.random.rand(*x.shape) > ratio
    finally:
        np.random.set_state(state)
    return x * keep / (1.0 - ratio)


def _np_get_item_grad(gy, slices, shape):
    gx = np.zeros(shape)
    np.add.at(gx, slices, gy)
    return gx


# =============================================================================
# Fixed constants used inside some rows
# =============================================================================
# (rows cast them to the input's dtype: a float64 array operand promotes float32, as in NumPy; and
# move them to the input's device with _on: CuPy refuses host arrays mixed with its own)
def _on(x, a):
    """The host array `a` on the device of `x` (an array or a Variable)."""
    return cuda.get_array_module(x).asarray(a)


_A23 = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])  # left operand of ndarray @ Variable
_BASE3 = np.array([0.5, 2.0, 3.0])                          # ndarray ** Variable
_EXP3 = np.array([1.0, 2.0, 3.0])                           # Variable ** ndarray
_SCALE23 = np.array([[2.0, -1.0, 0.5], [0.0, 3.0, -0.25]])  # Scale's constant
_MASK23 = np.array([[True, False, True], [False, True, True]])
_RUN_MEAN3 = np.array([0.1, -0.2, 0.3])
_RUN_VAR3 = np.array([0.5, 1.5, 2.0])
_RUN_MEAN2 = np.array([0.2, -0.1])
_RUN_VAR2 = np.array([0.8, 1.2])


def _bn_train(x, gamma, beta):
    c = x.shape[1]
    with using_config("train", True):
        xp = cuda.get_array_module(x)
        return F.batch_norm(x, gamma, beta, xp.zeros(c), xp.ones(c))


def _bn_test(mean, var):
    def run(x, gamma, beta):
        with using_config("train", False):
            return F.batch_norm(x, gamma, beta, _on(x, mean).copy(), _on(x, var).copy())
    return run


def _bn_function(decay, eps):
    """F.BatchNorm called as DeZero's code calls it: the Function object on (x, gamma, beta)."""
    def run(x, gamma, beta):
        c = x.shape[1]
        with using_config("train", True):
            return F.BatchNorm(_on(x, np.zeros(c)), _on(x, np.ones(c)), decay, eps)(x, gamma, beta)
    return run


def _bn_nrom_test(x, gamma, beta):
    with using_config("train", False):
        return F.batch_nrom(x, gamma, beta, _on(x, _RUN_MEAN2.copy()), _on(x, _RUN_VAR2.copy()), 0.9, 1e-3)


def _dropout_test(x):
    with using_config("train", False):
        return F.dropout(x, 0.5)


def _dropout_train(ratio):
    def run(x):
        with using_config("train", True):
            return F.dropout(x, ratio)
    return _seeded(run)


# =============================================================================
# The table
# =============================================================================
CORE_CASES = [
    # --- arithmetic (core.py) ---
    dict(name="add", fn=lambda a, b: a + b, make_inputs=_normal((2, 3), (2, 3)), reference=np.add),
    dict(name="add_broadcast_row", fn=lambda a, b: a + b, make_inputs=_normal((2, 3), (3,)),
         reference=np.add),
    dict(name="add_broadcast_both", fn=lambda a, b: a + b, make_inputs=_normal((2, 1), (1, 3)),
         reference=np.add),
    dict(name="add_0d", fn=lambda a, b: a + b, make_inputs=_normal((2, 3), ()), reference=np.add),
    dict(name="add_python_scalar", fn=lambda a: a + 1.5, make_inputs=_normal((2, 3)),
         reference=lambda a: a + 1.5),
    dict(name="radd_ndarray", fn=lambda a: np.array([1.0, 2.0, 3.0], dtype=a.dtype) + a, make_inputs=_normal((2, 3)),
         reference=lambda a: np.array([1.0, 2.0, 3.0]) + a),
    dict(name="add_same_input", fn=lambda a: a + a, make_inputs=_normal((3,)), reference=lambda a: 2 * a),
    dict(name="sub", fn=lambda a, b: a - b, make_inputs=_normal((2, 3), (2, 3)), reference=np.subtract),
    dict(name="sub_broadcast", fn=lambda a, b: a - b, make_inputs=_normal((2, 3), (2, 1)),
         reference=np.subtract),
    dict(name="sub_broadcast_left", fn=lambda a, b: a - b, make_inputs=_normal((3,), (2, 3)),
         reference=np.subtract),
    dict(name="rsub_scalar", fn=lambda a: 2.0 - a, make_inputs=_normal((2, 3)), reference=lambda a: 2.0 - a),
    dict(name="mul", fn=lambda a, b: a * b, make_inputs=_normal((2, 3), (2, 3)), reference=np.multiply),
    dict(name="mul_broadcast", fn=lambda a, b: a * b, make_inputs=_normal((2, 1, 3), (4, 1)),
         reference=np.multiply),
    dict(name="mul_scalar", fn=lambda a: a * 3.0, make_inputs=_normal((2, 3)), reference=lambda a: a * 3.0),
    dict(name="rmul_scalar", fn=lambda a: -2.5 * a, make_inputs=_normal((2, 3)),
         reference=lambda a: -2.5 * a),
    dict(name="mul_same_input", fn=lambda a: a * a, make_inputs=_normal((3,)), reference=np.square),
    dict(name="div", fn=lambda a, b: a / b, make_inputs=_inputs(_away((2, 3)), _away((2, 3), gap=0.5)),
         reference=np.divide),
    dict(name="div_broadcast", fn=lambda a, b: a / b,
         make_inputs=_inputs(_away((3,)), _away((2, 3), gap=0.5)), reference=np.divide),
    dict(name="div_scalar", fn=lambda a: a / 4.0, make_inputs=_normal((2, 3)), reference=lambda a: a / 4.0),
    dict(name="rdiv_scalar", fn=lambda a: 2.0 / a, make_inputs=_inputs(_away((2, 3), gap=0.5)),
         reference=lambda a: 2.0 / a),
    dict(name="neg", fn=lambda a: -a, make_inputs=_normal((2, 3)), reference=np.negative),
    dict(name="pow_int", fn=lambda a: a ** 3, make_inputs=_normal((2, 3)), reference=lambda a: a ** 3),
    dict(name="pow_frac", fn=lambda a: a ** 1.5, make_inputs=_uniform(0.5, 2.0, (2, 3)),
         reference=lambda a: a ** 1.5),
    dict(name="pow_negative", fn=lambda a: a ** -2, make_inputs=_uniform(0.5, 2.0, (2, 3)),
         reference=lambda a: a ** -2.0),
    dict(name="pow_0d_ndarray", fn=lambda a: a ** np.array(2.0), make_inputs=_normal((2, 3)),
         reference=np.square),
    dict(name="pow_ndarray", fn=lambda a: a ** _on(a, _EXP3).astype(a.dtype), make_inputs=_normal((2, 3)),
         reference=lambda a: a ** _EXP3),
    dict(name="pow_variable", fn=lambda a, b: a ** b,
         make_inputs=lambda rng: [rng.uniform(0.5, 2.0, (2, 3)), rng.standard_normal((2, 3))],
         reference=np.power),
    dict(name="pow_variable_broadcast", fn=lambda a, b: a ** b,
         make_inputs=lambda rng: [rng.uniform(0.5, 2.0, (2, 3)), rng.standard_normal((3,))],
         reference=np.power),
    dict(name="rpow_scalar", fn=lambda a: 2.0 ** a, make_inputs=_normal((2, 3)),
         reference=lambda a: 2.0 ** a),
    dict(name="rpow_ndarray", fn=lambda a: _on(a, _BASE3).astype(a.dtype) ** a, make_inputs=_normal((2, 3)),
         reference=lambda a: _BASE3 ** a),

    # --- matrix products ---
    dict(name="matmul_2d", fn=F.matmul, make_inputs=_normal((2, 3), (3, 4)), reference=np.matmul),
    dict(name="matmul_operator", fn=lambda a, b: a @ b, make_inputs=_normal((2, 3), (3, 2)),
         reference=np.matmul),
    dict(name="rmatmul_ndarray", fn=lambda w: _on(w, _A23).astype(w.dtype) @ w, make_inputs=_normal((3, 2)),
         reference=lambda w: _A23 @ w),
    dict(name="matmul_batched_2d_weight", fn=F.matmul, make_inputs=_normal((2, 3, 4), (4, 2)),
         reference=np.matmul),
    dict(name="matmul_2d_batched_weight", fn=F.matmul, make_inputs=_normal((3, 4), (2, 4, 2)),
         reference=np.matmul),
    dict(name="matmul_batched_both", fn=F.matmul, make_inputs=_normal((2, 3, 4), (2, 4, 2)),
         reference=np.matmul),
    dict(name="matmul_batch_broadcast", fn=F.matmul, make_inputs=_normal((2, 1, 2, 3), (3, 3, 2)),
         reference=np.matmul),
    dict(name="matmul_1d_left", fn=F.matmul, make_inputs=_normal((3,), (3, 2)), reference=np.matmul),
    dict(name="matmul_1d_right", fn=F.matmul, make_inputs=_normal((2, 3), (3,)), reference=np.matmul),
    dict(name="matmul_1d_both", fn=F.matmul, make_inputs=_normal((3,), (3,)), reference=np.matmul),
    dict(name="matmul_1d_batched", fn=F.matmul, make_inputs=_normal((3,), (2, 3, 2)),
         reference=np.matmul),
    dict(name="matmul_batched_1d", fn=F.matmul, make_inputs=_normal((2, 2, 3), (3,)),
         reference=np.matmul),
    dict(name="linear", fn=F.linear, make_inputs=_normal((2, 3), (3, 4), (4,)), reference=_np_linear),
    dict(name="linear_nobias", fn=F.linear, make_inputs=_normal((2, 3), (3, 4)), reference=_np_linear),
    dict(name="linear_3d", fn=F.linear, make_inputs=_normal((2, 2, 3), (3, 2), (2,)), reference=_np_linear),
    dict(name="linear_3d_nobias", fn=F.linear, make_inputs=_normal((2, 2, 3), (3, 2)),
         reference=_np_linear),
    dict(name="linear_bias_2d", fn=F.linear, make_inputs=_normal((2, 3), (3, 4), (1, 4)),
         reference=_np_linear),
    dict(name="linear_simple", fn=F.linear_simple, make_inputs=_normal((2, 3), (3, 4), (4,)),
         reference=_np_linear),

    # --- elementwise math ---
    dict(name="sin", fn=F.sin, make_inputs=_normal((2, 3)), reference=np.sin),
    dict(name="cos", fn=F.cos, make_inputs=_normal((2, 3)), reference=np.cos),
    dict(name="tanh", fn=F.tanh, make_inputs=_normal((2, 3)), reference=np.tanh),
    dict(name="exp", fn=F.exp, make_inputs=_normal((2, 3)), reference=np.exp),
    dict(name="log", fn=F.log, make_inputs=_uniform(0.5, 2.0, (2, 3)), reference=np.log),
    dict(name="sigmoid", fn=F.sigmoid, make_inputs=_normal((2, 3)), reference=_np_sigmoid),
    dict(name="sigmoid_simple", fn=F.sigmoid_simple, make_inputs=_normal((2, 3)), reference=_np_sigmoid),
    # ReLU / LeakyReLU / Clip / Max have a zero second derivative away from their kinks: still checked.
    dict(name="relu", fn=F.relu, make_inputs=_inputs(_away((2, 3))), reference=lambda x: np.maximum(x, 0)),
    dict(name="leaky_relu", fn=F.leaky_relu, make_inputs=_inputs(_away((2, 3))),
         reference=lambda x: np.where(x > 0, x, 0.2 * x)),
    dict(name="leaky_relu_slope", fn=lambda x: F.leaky_relu(x, 0.05), make_inputs=_inputs(_away((2, 3))),
         reference=lambda x: np.where(x > 0, x, 0.05 * x)),
    dict(name="scale", fn=lambda x: F.Scale(_on(x, _SCALE23).astype(x.dtype))(x), make_inputs=_normal((2, 3)),
         reference=lambda x: x * _SCALE23),
    dict(name="copy", fn=lambda x: Copy()(x), make_inputs=_normal((2, 3)), reference=lambda x: x.copy()),

    # --- shapes ---
    dict(name="reshape", fn=lambda x: F.reshape(x, (3, 2)), make_inputs=_normal((2, 3)),
         reference=lambda x: x.reshape(3, 2)),
    dict(name="reshape_minus1", fn=lambda x: F.reshape(x, (-1,)), make_inputs=_normal((2, 3)),
         reference=lambda x: x.reshape(-1)),
    dict(name="reshape_method", fn=lambda x: x.reshape(3, 1, 2), make_inputs=_normal((2, 3)),
         reference=lambda x: x.reshape(3, 1, 2)),
    dict(name="transpose_2d", fn=F.transpose, make_inputs=_normal((2, 3)), reference=np.transpose),
    dict(name="transpose_3d_default", fn=F.transpose, make_inputs=_normal((2, 3, 4)),
         reference=np.transpose),
    dict(name="transpose_axes", fn=lambda x: F.transpose(x, (1, 0, 2)), make_inputs=_normal((2, 3, 4)),
         reference=lambda x: x.transpose(1, 0, 2)),
    dict(name="transpose_axes_cycle", fn=lambda x: x.transpose(2, 0, 1), make_inputs=_normal((2, 3, 4)),
         reference=lambda x: x.transpose(2, 0, 1)),
    dict(name="transpose_negative_axes", fn=lambda x: F.transpose(x, (-1, 0, 1)),
         make_inputs=_normal((2, 3, 4)), reference=lambda x: x.transpose(2, 0, 1)),
    dict(name="transpose_T", fn=lambda x: x.T, make_inputs=_normal((2, 3)), reference=lambda x: x.T),
    dict(name="expand_dims_0", fn=lambda x: F.expand_dims(x, 0), make_inputs=_normal((2, 3)),
         reference=lambda x: np.expand_dims(x, 0)),
    dict(name="expand_dims_neg", fn=lambda x: F.expand_dims(x, -1), make_inputs=_normal((2, 3)),
         reference=lambda x: np.expand_dims(x, -1)),
    dict(name="flatten", fn=F.flatten, make_inputs=_normal((2, 3, 2)), reference=lambda x: x.reshape(2, -1)),
    dict(name="get_item_int", fn=lambda x: x[1], make_inputs=_normal((3, 2)), reference=lambda x: x[1]),
    dict(name="get_item_slices", fn=lambda x: x[:, 1:3], make_inputs=_normal((2, 4)),
         reference=lambda x: x[:, 1:3]),
    dict(name="get_item_step_reverse", fn=lambda x: x[::2, ::-1], make_inputs=_normal((3, 3)),
         reference=lambda x: x[::2, ::-1]),
    dict(name="get_item_ellipsis_newaxis", fn=lambda x: x[None, ..., 1], make_inputs=_normal((2, 3)),
         reference=lambda x: x[None, ..., 1]),
    dict(name="get_item_fancy_repeated", fn=lambda x: F.get_item(x, np.array([0, 2, 0, 0])),
         make_inputs=_normal((3, 2)), reference=lambda x: x[[0, 2, 0, 0]]),
    dict(name="get_item_list_repeated", fn=lambda x: x[[1, 1, 0]], make_inputs=_normal((3,)),
         reference=lambda x: x[[1, 1, 0]]),
    dict(name="get_item_fancy_pairs", fn=lambda x: x[[0, 1, 0], [2, 0, 2]], make_inputs=_normal((2, 3)),
         reference=lambda x: x[[0, 1, 0], [2, 0, 2]]),
    dict(name="get_item_bool_mask", fn=lambda x: x[_on(x, _MASK23)], make_inputs=_normal((2, 3)),
         reference=lambda x: x[_MASK23]),
    dict(name="get_item_grad", fn=lambda gy: F.GetItemGrad(np.array([0, 2, 0]), (3, 2))(gy),
         make_inputs=_normal((3, 2)),
         reference=lambda gy: _np_get_item_grad(gy, np.array([0, 2, 0]), (3, 2))),

    # --- sums and broadcasting ---
    dict(name="sum_all", fn=F.sum, make_inputs=_normal((2, 3)), reference=np.sum),
    dict(name="sum_axis0", fn=lambda x: F.sum(x, axis=0), make_inputs=_normal((2, 3)),
         reference=lambda x: x.sum(axis=0)),
    dict(name="sum_axis_neg_keepdims", fn=lambda x: F.sum(x, axis=-1, keepdims=True),
         make_inputs=_normal((2, 3, 2)), reference=lambda x: x.sum(axis=-1, keepdims=True)),
    dict(name="sum_axis_tuple", fn=lambda x: F.sum(x, axis=(0, 2)), make_inputs=_normal((2, 3, 2)),
         reference=lambda x: x.sum(axis=(0, 2))),
    dict(name="sum_axis_tuple_keepdims", fn=lambda x: x.sum(axis=(0, 2), keepdims=True),
         make_inputs=_normal((2, 3, 2)), reference=lambda x: x.sum(axis=(0, 2), keepdims=True)),
    dict(name="sum_all_keepdims", fn=lambda x: F.sum(x, keepdims=True), make_inputs=_normal((2, 3)),
         reference=lambda x: x.sum(keepdims=True)),
    dict(name="sum_to_rows", fn=lambda x: F.sum_to(x, (1, 3)), make_inputs=_normal((2, 3)),
         reference=lambda x: _np_sum_to(x, (1, 3))),
    dict(name="sum_to_lead", fn=lambda x: F.sum_to(x, (3,)), make_inputs=_normal((2, 3)),
         reference=lambda x: _np_sum_to(x, (3,))),
    dict(name="sum_to_mixed", fn=lambda x: F.sum_to(x, (3, 1)), make_inputs=_normal((2, 3, 4)),
         reference=lambda x: _np_sum_to(x, (3, 1))),
    dict(name="broadcast_to", fn=lambda x: F.broadcast_to(x, (2, 3)), make_inputs=_normal((3,)),
         reference=lambda x: np.broadcast_to(x, (2, 3))),
    dict(name="broadcast_to_lead", fn=lambda x: F.broadcast_to(x, (2, 2, 3)), make_inputs=_normal((2, 1)),
         reference=lambda x: np.broadcast_to(x, (2, 2, 3))),
    dict(name="average_all", fn=F.average, make_inputs=_normal((2, 3)), reference=np.mean),
    dict(name="average_axis", fn=lambda x: F.average(x, axis=1), make_inputs=_normal((2, 3)),
         reference=lambda x: x.mean(axis=1)),
    dict(name="mean_axis_keepdims", fn=lambda x: F.mean(x, axis=(0, 1), keepdims=True),
         make_inputs=_normal((2, 3, 2)), reference=lambda x: x.mean(axis=(0, 1), keepdims=True)),

    # --- softmax family ---
    dict(name="softmax_axis1", fn=F.softmax, make_inputs=_normal((2, 3)),
         reference=lambda x: _np_softmax(x, 1)),
    dict(name="softmax_axis0", fn=lambda x: F.softmax(x, axis=0), make_inputs=_normal((3, 2)),
         reference=lambda x: _np_softmax(x, 0)),
    dict(name="softmax_simple", fn=F.softmax_simple, make_inputs=_normal((2, 3)),
         reference=lambda x: _np_softmax(x, 1)),
    dict(name="log_softmax", fn=F.log_softmax, make_inputs=_normal((2, 3)),
         reference=lambda x: _np_log_softmax(x, 1)),
    dict(name="log_softmax_axis0", fn=lambda x: F.log_softmax(x, axis=0), make_inputs=_normal((3, 2)),
         reference=lambda x: _np_log_softmax(x, 0)),

    # --- losses ---
    dict(name="mean_squared_error", fn=F.mean_squared_error, make_inputs=_normal((3, 2), (3, 2)),
         reference=lambda a, b: ((a - b) ** 2).sum() / len(a)),
    dict(name="mean_squared_error_broadcast", fn=F.mean_squared_error, make_inputs=_normal((3, 2), (2,)),
         reference=lambda a, b: ((a - b) ** 2).sum() / 3),
    dict(name="softmax_cross_entropy", fn=F.softmax_cross_entropy,
         make_inputs=lambda rng: [rng.standard_normal((3, 4)), np.array([0, 3, 3])],
         reference=_np_softmax_ce),
    dict(name="softmax_cross_entropy_simple", fn=F.softmax_cross_entropy_simple,
         make_inputs=lambda rng: [rng.standard_normal((3, 4)), np.array([1, 0, 2])],
         reference=_np_softmax_ce),
    dict(name="sigmoid_cross_entropy", fn=F.sigmoid_cross_entropy,
         make_inputs=_inputs(lambda rng: rng.standard_normal((3, 2)), _binary((3, 2))),
         reference=_np_sigmoid_ce),
    dict(name="sigmoid_cross_entropy_int_labels", fn=F.sigmoid_cross_entropy,
         make_inputs=_inputs(lambda rng: rng.standard_normal((4, 1)), lambda rng: np.array([0, 1, 1, 0])),
         reference=lambda x, t: _np_sigmoid_ce(x, t.reshape(x.shape))),
    dict(name="binary_cross_entropy", fn=F.binary_cross_entropy,
         make_inputs=_inputs(lambda rng: rng.uniform(0.1, 0.9, (3, 2)), _binary((3, 2))),
         reference=_np_bce),
    # p made by sigmoid: computed from its logit (SigmoidCrossEntropy)
    dict(name="binary_cross_entropy_of_sigmoid", fn=lambda x, t: F.binary_cross_entropy(F.sigmoid(x), t),
         make_inputs=_inputs(lambda rng: rng.standard_normal((3, 2)) * 3, _binary((3, 2))),
         reference=_np_sigmoid_ce),

    # --- regularisation and normalisation ---
    dict(name="dropout_train", fn=_dropout_train(0.5), make_inputs=_normal((3, 4)),
         reference=lambda x: _np_dropout(x, 0.5)),
    dict(name="dropout_train_ratio", fn=_dropout_train(0.25), make_inputs=_normal((3, 4)),
         reference=lambda x: _np_dropout(x, 0.25)),
    dict(name="dropout_test_mode", fn=_dropout_test, make_inputs=_normal((3, 4)), reference=lambda x: x),
    dict(name="batch_norm_train_2d", fn=_bn_train, make_inputs=_normal((4, 3), (3,), (3,)),
         reference=_np_batch_norm, rtol=1e-4, atol=1e-5),
    dict(name="batch_norm_train_4d", fn=_bn_train, make_inputs=_normal((2, 2, 2, 2), (2,), (2,)),
         reference=_np_batch_norm, rtol=1e-4, atol=1e-5),
    dict(name="batch_norm_test_2d", fn=_bn_test(_RUN_MEAN3, _RUN_VAR3), make_inputs=_normal((4, 3), (3,), (3,)),
         reference=lambda x, g, b: _np_batch_norm(x, g, b, mean=_RUN_MEAN3, var=_RUN_VAR3)),
    dict(name="batch_norm_test_4d", fn=_bn_test(_RUN_MEAN2, _RUN_VAR2),
         make_inputs=_normal((2, 2, 2, 2), (2,), (2,)),
         reference=lambda x, g, b: _np_batch_norm(x, g, b, mean=_RUN_MEAN2, var=_RUN_VAR2)),
    dict(name="BatchNorm_function_train_4d", fn=_bn_function(0.8, 1e-3),
         make_inputs=_normal((3, 2, 2, 2), (2,), (2,)),
         reference=lambda x, g, b: _np_batch_norm(x, g, b, eps=1e-3), rtol=1e-4, atol=1e-5),
    dict(name="batch_nrom_test_4d", fn=_bn_nrom_test, make_inputs=_normal((2, 2, 3, 1), (2,), (2,)),
         reference=lambda x, g, b: _np_batch_norm(x, g, b, eps=1e-3, mean=_RUN_MEAN2, var=_RUN_VAR2)),
    dict(name="embed_id", fn=F.embed_id,
         make_inputs=lambda rng: [np.array([[0, 3], [3, 1]]), rng.standard_normal((4, 3))],
         reference=lambda ids, W: W[ids]),

    # --- max / min / clip (inputs without ties, away from the clip bounds) ---
    dict(name="max_all", fn=F.max, make_inputs=_inputs(_distinct((2, 3))), reference=np.max),
    dict(name="max_axis1", fn=lambda x: F.max(x, axis=1), make_inputs=_inputs(_distinct((2, 3))),
         reference=lambda x: x.max(axis=1)),
    dict(name="max_axis0_keepdims", fn=lambda x: x.max(axis=0, keepdims=True),
         make_inputs=_inputs(_distinct((2, 3))), reference=lambda x: x.max(axis=0, keepdims=True)),
    dict(name="max_axis_tuple", fn=lambda x: F.max(x, axis=(0, 2)), make_inputs=_inputs(_distinct((2, 3, 2))),
         reference=lambda x: x.max(axis=(0, 2))),
    dict(name="min_all", fn=F.min, make_inputs=_inputs(_distinct((2, 3))), reference=np.min),
    dict(name="min_axis0", fn=lambda x: x.min(axis=0), make_inputs=_inputs(_distinct((2, 3))),
         reference=lambda x: x.min(axis=0)),
    dict(name="min_axis_neg_keepdims", fn=lambda x: F.min(x, axis=-1, keepdims=True),
         make_inputs=_inputs(_distinct((2, 3))), reference=lambda x: x.min(axis=-1, keepdims=True)),
    dict(name="clip", fn=lambda x: F.clip(x, -0.5, 0.5),
         make_inputs=lambda rng: [np.array([[-1.2, -0.3, 0.1], [0.9, 0.45, -0.7]])
                                  + rng.uniform(-0.02, 0.02, (2, 3))],
         reference=lambda x: np.clip(x, -0.5, 0.5)),
]


try:
    from tests.op_table_conv import CONV_CASES
except ModuleNotFoundError as e:  # only a missing conv table is tolerated, not an error inside it
    if e.name not in ("tests", "tests.op_table_conv"):
        raise
    CONV_CASES = []

ALL_CASES = CORE_CASES + CONV_CASES


# =============================================================================
# Glue to minigrad.testing
# =============================================================================
def make_inputs(case, dtype=np.float64):
    """The row's inputs, float arrays cast to `dtype` (C-contiguous copies); other arrays unchanged."""
    rng = np.random.default_rng(zlib.crc32(case["name"].encode()))
    arrays = [np.asarray(a) for a in case["make_inputs"](rng)]
    return [np.array(a, dtype=dtype, order="C") if a.dtype.kind == "f" else a for a in arrays]


def options(case):
    """The seed of the row's random weights and the name its failures carry."""
    return dict(seed=zlib.crc32(case["name"].encode()), name=case["name"])


def tolerances(case, order=1):
    """rtol and atol of the row's gradient checks of the given order (second order: ten times looser)."""
    scale = 10 if order == 2 else 1
    return dict(rtol=scale * case.get("rtol", DEFAULT_RTOL), atol=scale * case.get("atol", DEFAULT_ATOL))
