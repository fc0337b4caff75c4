"""The autograd engine: Variable, Function, backward, configuration, memory and operators."""
import gc
import subprocess
import sys
import textwrap
import threading
import warnings
import weakref

import numpy as np
import pytest

import minigrad
import minigrad.functions as F
from minigrad import Config, Function, Parameter, Variable, no_grad, using_config
from minigrad import test_mode as _test_mode  # not collected as a test


# =============================================================================
# Variable
# =============================================================================
@pytest.mark.parametrize("data, type_name", [([1, 2], "list"), (3.0, "float"), (3, "int"),
                                             ((1.0,), "tuple"), ("a", "str")])
def test_variable_rejects_non_arrays_naming_the_type(data, type_name):
    with pytest.raises(TypeError, match=type_name):
        Variable(data)


def test_variable_accepts_arrays_and_none():
    assert Variable(None).data is None
    assert Variable(np.array(1.0)).data.shape == ()
    assert repr(Variable(None)) == "variable(None)"


def test_variable_attributes():
    data = np.arange(6, dtype=np.float32).reshape(2, 3)
    x = Variable(data, name="x")
    assert x.data is data
    assert x.name == "x"
    assert x.shape == (2, 3)
    assert x.ndim == 2
    assert x.size == 6
    assert x.dtype == np.float32
    assert len(x) == 2
    assert x.grad is None and x.creator is None and x.generation == 0
    assert Variable(np.zeros(3)).name is None


def test_variable_repr():
    assert repr(Variable(np.array([1, 2, 3]))) == "variable([1 2 3])"
    assert repr(Variable(np.array([[1, 2], [3, 4]]))) == "variable([[1 2]\n          [3 4]])"


def test_parameter_is_a_variable():
    p = Parameter(np.ones(2))
    assert isinstance(p, Variable)
    y = p * 2.0
    assert type(y) is Variable
    y.backward()
    np.testing.assert_array_equal(p.grad.data, [2.0, 2.0])


# =============================================================================
# backward
# =============================================================================
def test_backward_on_a_leaf():
    x = Variable(np.array([1.0, 2.0]))
    x.backward()
    assert isinstance(x.grad, Variable)
    np.testing.assert_array_equal(x.grad.data, [1.0, 1.0])


def test_backward_seed_is_ones_or_the_given_grad():
    x = Variable(np.array([1.0, 2.0, 3.0]))
    y = x * x
    y.backward()
    np.testing.assert_array_equal(x.grad.data, [2.0, 4.0, 6.0])
    x.cleargrad()
    y = x * x
    y.grad = Variable(np.array([1.0, 0.0, -1.0]))
    y.backward()
    np.testing.assert_array_equal(x.grad.data, [2.0, 0.0, -6.0])


def test_a_seed_gradient_of_the_wrong_shape_is_an_error():
    # It used to be accepted: y (2,) with a seed of shape (5,) gave x a gradient of shape (5,).
    x = Variable(np.array([1.0, 2.0]))
    y = x * 3.0
    y.grad = Variable(np.ones(5))
    with pytest.raises(ValueError, match=r"\(5,\).*\(2,\)"):
        y.backward()
    assert x.grad is None


def test_backward_of_a_variable_without_data_is_an_error():
    with pytest.raises(ValueError, match="holds no data"):
        Variable(None).backward()


def test_reusing_a_function_object_gives_each_call_its_own_node():
    # f(f(x)) with one Function object: the second call used to overwrite the first one's node, so
    # the gradient never reached x (x.grad stayed None).
    x = Variable(np.array([0.5, -1.0, 2.0]))
    f = F.Sin()
    y = f(f(x))
    y.backward()
    np.testing.assert_allclose(y.data, np.sin(np.sin(x.data)))
    np.testing.assert_allclose(x.grad.data, np.cos(np.sin(x.data)) * np.cos(x.data))
    # what a forward keeps for backward (ReLU's mask) stays with its own call
    relu = F.ReLU()
    a, b = Variable(np.array([1.0, -1.0])), Variable(np.array([-1.0, 1.0]))
    (relu(a) * 2.0 + relu(b) * 3.0).backward()
    np.testing.assert_array_equal(a.grad.data, [2.0, 0.0])
    np.testing.assert_array_equal(b.grad.data, [0.0, 3.0])


def test_a_reused_function_gets_fresh_array_inputs():
    # an input given as a plain array at the first call must not mark that position at the second
    class Mul(Function):
        def forward(self, a, b):
            return a * b

        def backward(self, gy):
            a, b = self.inputs
            return (gy * b if self.needs_input_grad[0] else None,
                    gy * a if self.needs_input_grad[1] else None)
    f = Mul()
    w = Variable(np.array(3.0))
    f(np.array(2.0), w).backward()
    x = Variable(np.array(2.0))
    f(x, w).backward()
    assert float(x.grad.data) == 3.0


# =============================================================================
# Leaf gradients own their arrays
# =============================================================================
def test_leaves_reached_by_one_gradient_get_their_own_writable_arrays():
    # (a + b).backward() gave a and b one shared array: an in-place hook on a's gradient changed b's.
    a, b = Variable(np.ones(3)), Variable(np.ones(3))
    (a + b).backward()
    a.grad.data *= 10
    np.testing.assert_array_equal(a.grad.data, [10.0, 10.0, 10.0])
    np.testing.assert_array_equal(b.grad.data, [1.0, 1.0, 1.0])


def test_a_leaf_gradient_is_not_the_seed_array():
    a = Variable(np.ones(2))
    y = a + 1.0  # the gradient passes through unchanged
    y.backward()
    a.grad.data *= 10
    np.testing.assert_array_equal(y.grad.data, [1.0, 1.0])


def test_a_leaf_gradient_is_not_a_kept_intermediate_gradient():
    a = Variable(np.ones(2))
    h = a + 1.0
    y = h * 2.0
    y.backward(retain_grad=True)
    a.grad.data *= 10
    np.testing.assert_array_equal(h.grad.data, [2.0, 2.0])
    np.testing.assert_array_equal(a.grad.data, [20.0, 20.0])


@pytest.mark.parametrize("create_graph", [False, True])
def test_a_broadcast_gradient_is_writable_in_place(create_graph):
    # sum's gradient is a broadcast view: `w.grad.data *= 0.5` raised "output array is read-only"
    w = Variable(np.ones((2, 3)))
    F.sum(w).backward(create_graph=create_graph)
    w.grad.data *= 0.5
    np.testing.assert_array_equal(w.grad.data, np.full((2, 3), 0.5))


def test_shared_gradients_are_separate_under_create_graph_and_stay_differentiable():
    a, b = Variable(np.array([1.0, 2.0])), Variable(np.array([3.0, 4.0]))
    x = Variable(np.array([5.0, 6.0]))
    ((a + b) * x).backward(create_graph=True)  # one gradient, x, reaches both a and b
    assert a.grad is not b.grad
    a.grad.data *= 10
    np.testing.assert_array_equal(b.grad.data, [5.0, 6.0])
    gb = b.grad
    x.cleargrad()
    F.sum(gb * gb).backward()  # d/dx sum(x * x)
    np.testing.assert_array_equal(x.grad.data, [10.0, 12.0])


def test_an_unshared_gradient_is_not_copied():
    x = Variable(np.array([1.0, 2.0]))
    y = x * x
    y.backward()
    gx = x.grad.data
    assert gx.flags.writeable and gx.base is None
    x.cleargrad()
    (x * x).backward(create_graph=True)
    assert x.grad.creator is not None and x.grad.creator.__class__.__name__ != "Copy"


class _CountingSquare(Function):
    calls = 0

    def forward(self, x):
        return x * x

    def backward(self, gy):
        type(self).calls += 1
        x, = self.inputs
        return 2.0 * x * gy


def test_diamond_graph_generation_order():
    # y = a(x); z = b(y) + c(y): y's creator must run once, after both branches delivered their grads.
    _CountingSquare.calls = 0
    x = Variable(np.array([0.7, -1.3]))
    y = _CountingSquare()(x)
    z = F.sin(y) + F.exp(y)
    z.backward()
    xv = x.data
    expected = (np.cos(xv ** 2) + np.exp(xv ** 2)) * 2 * xv
    np.testing.assert_allclose(x.grad.data, expected, rtol=1e-12)
    assert _CountingSquare.calls == 1


def test_diamond_with_branches_of_different_length():
    _CountingSquare.calls = 0
    x = Variable(np.array(0.5))
    y = _CountingSquare()(x)
    z = F.sin(F.sin(F.sin(y))) + y * 3.0  # a long and a short path from y
    z.backward()
    y0 = 0.25
    s1, s2 = np.sin(y0), np.sin(np.sin(y0))
    dz_dy = np.cos(s2) * np.cos(s1) * np.cos(y0) + 3.0
    np.testing.assert_allclose(x.grad.data, dz_dy * 2 * 0.5, rtol=1e-12)
    assert _CountingSquare.calls == 1


@pytest.mark.parametrize("fn, expected", [(lambda x: x + x, 2.0), (lambda x: x + x + x, 3.0),
                                          (lambda x: x * x, 6.0), (lambda x: x - x, 0.0),
                                          (lambda x: (x + x) * x, 12.0)])
def test_gradient_accumulates_for_repeated_inputs(fn, expected):
    x = Variable(np.array(3.0))
    fn(x).backward()
    assert x.grad.data == expected


def test_cleargrad():
    x = Variable(np.array(2.0))
    (x * x).backward()
    assert x.grad.data == 4.0
    x.cleargrad()
    assert x.grad is None
    (x * x * x).backward()
    assert x.grad.data == 12.0


def test_leaf_gradients_accumulate_across_backward_calls():
    x = Variable(np.array(2.0))
    (x * x).backward()
    (x * x).backward()
    assert x.grad.data == 8.0


def test_retain_grad_false_clears_intermediate_gradients():
    x = Variable(np.array(2.0))
    a = x * x
    b = F.exp(a)
    y = b + a
    y.backward()
    assert a.grad is None and b.grad is None
    assert y.grad is not None and y.grad.data == 1.0
    assert x.grad.data == pytest.approx((np.exp(4.0) + 1) * 4.0)


def test_retain_grad_true_keeps_intermediate_gradients():
    x = Variable(np.array(2.0))
    a = x * x
    b = F.exp(a)
    y = b + a
    y.backward(retain_grad=True)
    assert b.grad.data == 1.0
    assert a.grad.data == pytest.approx(np.exp(4.0) + 1)
    assert x.grad.data == pytest.approx((np.exp(4.0) + 1) * 4.0)


def test_second_backward_with_retain_grad_does_not_double_intermediates():
    x = Variable(np.array(2.0))
    a = x * x
    b = F.exp(a)
    y = b + a
    y.backward(retain_grad=True)
    y.backward(retain_grad=True)
    # intermediates hold this pass's gradient, not the sum of both passes ...
    assert a.grad.data == pytest.approx(np.exp(4.0) + 1)
    assert b.grad.data == 1.0
    # ... and leaves accumulate, as in PyTorch
    assert x.grad.data == pytest.approx(2 * (np.exp(4.0) + 1) * 4.0)
    x.cleargrad()
    y.backward(retain_grad=True)
    assert x.grad.data == pytest.approx((np.exp(4.0) + 1) * 4.0)


def test_backward_through_a_multi_use_intermediate_with_retain_grad():
    x = Variable(np.array([1.0, 2.0]))
    h = x * 3.0
    y = F.sum(h * h)
    y.backward(retain_grad=True)
    np.testing.assert_allclose(h.grad.data, 2 * h.data)
    np.testing.assert_allclose(x.grad.data, 18 * x.data)


class _Split(Function):
    def forward(self, x):
        return x[:1].copy(), x[1:].copy()

    def backward(self, g0, g1):  # an output not reached in this pass comes as None
        g0 = Variable(np.zeros(1)) if g0 is None else g0
        g1 = Variable(np.zeros(1)) if g1 is None else g1
        return _Join()(g0, g1)


class _Join(Function):
    def forward(self, a, b):
        return np.concatenate([a, b])

    def backward(self, g):
        return g[:1], g[1:]


def test_multi_output_function_gets_no_stale_gradient():
    x = Variable(np.array([1.0, 2.0]))
    y1, y2 = _Split()(x)
    (y1 * 3 + y2 * 5).backward(retain_grad=True)  # y2 keeps a gradient of 5
    x.cleargrad()
    (y1 * 3).backward()  # y2 is not reached now: its old gradient must not leak in
    np.testing.assert_array_equal(x.grad.data, [3.0, 0.0])


class _OneTuple(Function):
    def forward(self, x):
        return (x * 2,)

    def backward(self, gy):
        return gy * 2


def test_forward_returning_a_one_tuple_gives_a_variable():
    y = _OneTuple()(np.array([1.0]))
    assert isinstance(y, Variable)


# =============================================================================
# Higher-order derivatives
# =============================================================================
def _grad(y, x, create_graph=True):
    x.cleargrad()
    y.backward(create_graph=create_graph)
    return x.grad


def test_x_to_the_fourth_up_to_fourth_derivative():
    x = Variable(np.array(2.0))
    y = x ** 4
    g1 = _grad(y, x)
    g2 = _grad(g1, x)
    g3 = _grad(g2, x)
    g4 = _grad(g3, x)
    assert (y.data, g1.data, g2.data, g3.data, g4.data) == (16.0, 32.0, 48.0, 48.0, 24.0)


def test_polynomial_second_derivative_newton_step():
    # f(x) = x^4 - 2x^2: f' = 4x^3 - 4x, f'' = 12x^2 - 4 (the book's Newton example)
    x = Variable(np.array(2.0))
    y = x ** 4 - 2 * x ** 2
    g1 = _grad(y, x)
    g2 = _grad(g1, x)
    assert g1.data == 24.0 and g2.data == 44.0


def test_tanh_higher_derivatives_match_closed_form():
    xv = np.array([-1.2, -0.3, 0.0, 0.4, 1.7])
    x = Variable(xv.copy())
    y = F.tanh(x)
    t = np.tanh(xv)
    d1 = 1 - t ** 2
    d2 = -2 * t * d1
    d3 = -2 * d1 * (1 - 3 * t ** 2)
    g = y
    for expected in (d1, d2, d3):
        g = _grad(F.sum(g), x)
        np.testing.assert_allclose(g.data, expected, rtol=1e-12, atol=1e-14)


def test_sin_derivatives_cycle():
    xv = np.array([0.3, 1.1, -2.0])
    x = Variable(xv.copy())
    g = F.sin(x)
    for expected in (np.cos(xv), -np.sin(xv), -np.cos(xv), np.sin(xv)):
        g = _grad(F.sum(g), x)
        np.testing.assert_allclose(g.data, expected, rtol=1e-12)


def test_mixed_partial_derivative():
    # f = x * y^2: df/dx = y^2, d/dy (df/dx) = 2y
    x, y = Variable(np.array(3.0)), Variable(np.array(5.0))
    f = x * y ** 2
    f.backward(create_graph=True)
    gx = x.grad
    assert gx.data == 25.0
    y.cleargrad()
    gx.backward()
    assert y.grad.data == 10.0


def test_without_create_graph_the_gradient_has_no_graph():
    x = Variable(np.array(2.0))
    (x ** 3).backward()
    assert x.grad.creator is None
    x.cleargrad()
    (x ** 3).backward(create_graph=True)
    assert x.grad.creator is not None
    assert Config.enable_backprop is True


# =============================================================================
# Configuration
# =============================================================================
def test_no_grad_builds_no_graph():
    x = Variable(np.array(2.0))
    with no_grad():
        assert Config.enable_backprop is False
        y = x * x
    assert Config.enable_backprop is True
    assert y.creator is None
    y.backward()  # a leaf now: the gradient stays on y
    assert x.grad is None


def test_using_config_restores_on_exception():
    with pytest.raises(RuntimeError):
        with using_config("enable_backprop", False):
            raise RuntimeError("boom")
    assert Config.enable_backprop is True


def test_test_mode_context():
    assert Config.train is True
    with _test_mode():
        assert Config.train is False
        y = F.dropout(Variable(np.ones(5)))
        np.testing.assert_array_equal(y.data, np.ones(5))
    assert Config.train is True


def test_backward_restores_enable_backprop_after_an_error():
    class Broken(Function):
        def forward(self, x):
            return x

        def backward(self, gy):
            raise RuntimeError("broken backward")

    y = Broken()(Variable(np.array(1.0)))
    with pytest.raises(RuntimeError, match="broken backward"):
        y.backward(create_graph=False)
    assert Config.enable_backprop is True


def _in_thread(fn):
    """Run fn() in a new thread; return its result (or raise what it raised)."""
    result = {}

    def run():
        try:
            result["value"] = fn()
        except BaseException as e:  # re-raised in the calling thread
            result["error"] = e
    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive(), "the thread did not finish"
    if "error" in result:
        raise result["error"]
    return result["value"]


def test_no_grad_and_test_mode_in_one_thread_leave_other_threads_alone():
    # Config used to be process-global: a thread inside no_grad() switched graph building off
    # everywhere, and test_mode() switched dropout off in every thread.
    x = Variable(np.ones(1000))

    def other_thread():
        y = x * 2.0
        z = F.dropout(x, 0.5)
        return y.creator is not None, bool((z.data == 0).any()), Config.enable_backprop, Config.train
    with no_grad(), _test_mode():
        assert Config.enable_backprop is False and Config.train is False
        assert _in_thread(other_thread) == (True, True, True, True)
        assert (x * 2.0).creator is None
    assert Config.enable_backprop is True and Config.train is True


def test_backward_in_one_thread_leaves_graph_building_in_other_threads_on():
    # backward() switched graph recording off for the whole process while it ran: ops of a second
    # thread meanwhile built no graph.  Here the second thread computes while backward is paused.
    in_backward, resume = threading.Event(), threading.Event()

    class Pause(Function):
        def forward(self, x):
            return x

        def backward(self, gy):
            in_backward.set()
            assert resume.wait(timeout=30)
            return gy

    def second_thread():
        assert in_backward.wait(timeout=30)
        try:
            return (Variable(np.ones(2)) * 3.0).creator is not None
        finally:
            resume.set()
    result = {}
    thread = threading.Thread(target=lambda: result.setdefault("built", second_thread()))
    thread.start()
    x = Variable(np.array([1.0, 2.0]))
    Pause()(x * x).backward()
    thread.join(timeout=30)
    assert result == {"built": True}
    np.testing.assert_array_equal(x.grad.data, [2.0, 4.0])


def test_config_is_set_as_class_attributes_per_thread_and_new_threads_start_from_the_defaults():
    # DeZero code sets the switches as class attributes (`Config.enable_backprop = False`); they
    # apply to the thread that sets them, and a new thread starts with True and True.
    try:
        Config.enable_backprop = False
        Config.train = False
        assert (Variable(np.ones(2)) * 2.0).creator is None
        assert minigrad.Config.train is False and F.Config.enable_backprop is False
        assert _in_thread(lambda: (Config.enable_backprop, Config.train)) == (True, True)
        assert Config.enable_backprop is False and Config.train is False
        with using_config("enable_backprop", True):
            assert (Variable(np.ones(2)) * 2.0).creator is not None
        assert Config.enable_backprop is False
    finally:
        Config.enable_backprop = True
        Config.train = True


# =============================================================================
# Memory: Functions hold their outputs weakly
# =============================================================================
def test_graph_is_freed_when_the_output_goes_out_of_scope():
    x = Variable(np.random.randn(3))
    y = F.sin(x)
    z = F.exp(y * 2.0)
    f_ref, y_ref, z_ref = weakref.ref(z.creator), weakref.ref(y), weakref.ref(z)
    del y, z
    gc.collect()
    assert f_ref() is None and y_ref() is None and z_ref() is None


def test_graph_is_freed_without_the_cycle_collector():
    # No reference cycles: plain reference counting frees the graph, even after a backward pass.
    gc.disable()
    try:
        x = Variable(np.random.randn(3))
        y = F.tanh(x)
        z = F.sum(y * y)
        z.backward()
        refs = [weakref.ref(z.creator), weakref.ref(y.creator), weakref.ref(y), weakref.ref(z)]
        del y, z
        assert all(r() is None for r in refs)
    finally:
        gc.enable()


def test_function_does_not_keep_its_output_alive():
    x = Variable(np.ones(2))
    y = F.exp(x)
    f = y.creator
    y_ref = weakref.ref(y)
    del y
    assert y_ref() is None
    assert f.outputs[0]() is None


# =============================================================================
# unchain
# =============================================================================
def test_unchain():
    x = Variable(np.array(1.0))
    y = x * 2.0
    y.unchain()
    assert y.creator is None
    (y * 3.0).backward()
    assert x.grad is None


def test_unchain_backward_cuts_the_graph_behind():
    x = Variable(np.array(1.0))
    h = F.exp(x)
    y = h * 2.0
    z = y + 1.0
    z.unchain_backward()
    assert y.creator is None and h.creator is None
    assert z.creator is not None
    z.backward()
    assert x.grad is None
    assert y.grad.data == 1.0  # backprop stops at the cut, which is now a leaf


# =============================================================================
# Operators
# =============================================================================
def test_operators_with_ndarray_on_the_left():
    x = Variable(np.array([1.0, 2.0, 3.0]))
    a = np.array([2.0, 3.0, 4.0])
    for result, expected in [(a + x, a + x.data), (a - x, a - x.data), (a * x, a * x.data),
                             (a / x, a / x.data), (a ** x, a ** x.data)]:
        assert isinstance(result, Variable)
        np.testing.assert_allclose(result.data, expected)
    m = np.arange(6.0).reshape(2, 3)
    y = m @ x
    assert isinstance(y, Variable)
    np.testing.assert_allclose(y.data, m @ x.data)
    y.backward()
    np.testing.assert_allclose(x.grad.data, m.sum(axis=0))


def test_operators_with_scalars():
    x = Variable(np.array([1.0, 2.0]))
    cases = [(x + 1, [2, 3]), (1 + x, [2, 3]), (x - 1, [0, 1]), (1 - x, [0, -1]), (x * 2, [2, 4]),
             (2 * x, [2, 4]), (x / 2, [0.5, 1]), (2 / x, [2, 1]), (x ** 2, [1, 4]), (2 ** x, [2, 4]),
             (-x, [-1, -2]), (np.float64(2.0) * x, [2, 4]), (x * np.float64(2.0), [2, 4])]
    for result, expected in cases:
        assert isinstance(result, Variable)
        np.testing.assert_allclose(result.data, expected)


def test_rpow_gradient():
    x = Variable(np.array([1.0, 3.0]))
    y = 2.0 ** x
    y.backward()
    np.testing.assert_allclose(x.grad.data, 2.0 ** x.data * np.log(2.0))


def test_matmul_operator_and_getitem():
    x = Variable(np.arange(6.0).reshape(2, 3))
    w = Variable(np.ones((3, 2)))
    y = x @ w
    np.testing.assert_array_equal(y.data, x.data @ w.data)
    y.backward()
    np.testing.assert_array_equal(w.grad.data, np.repeat(x.data.sum(axis=0)[:, None], 2, axis=1))
    x.cleargrad()
    z = x[1, ::2]
    np.testing.assert_array_equal(z.data, [3.0, 5.0])
    z.backward()
    np.testing.assert_array_equal(x.grad.data, [[0, 0, 0], [1, 0, 1]])


def test_tensor_methods():
    x = Variable(np.arange(6.0).reshape(2, 3))
    assert x.reshape(3, 2).shape == (3, 2)
    assert x.reshape((6,)).shape == (6,)
    assert x.transpose().shape == (3, 2)
    assert x.T.shape == (3, 2)
    assert x.sum().data == 15.0
    np.testing.assert_array_equal(x.sum(axis=0).data, [3, 5, 7])
    np.testing.assert_array_equal(x.max(axis=1).data, [2, 5])
    np.testing.assert_array_equal(x.min(axis=1).data, [0, 3])


def test_complex_scalar_is_not_squeezed_into_a_float():
    y = Variable(np.ones(2, np.float32)) * 1j
    np.testing.assert_array_equal(y.data, [1j, 1j])


def test_gradient_of_x_to_the_zero_at_zero_is_zero():
    x = Variable(np.array([0.0, 2.0]))
    (x ** 0).backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.0])


def test_pow_gradients_at_a_zero_base_are_zero_not_nan():
    # d/db 0 ** b = 0 ** b * log 0 was 0 * -inf = nan (PyTorch: 0); likewise for a constant base 0
    a, b = Variable(np.array([0.0, 0.0, 2.0])), Variable(np.array([2.0, 0.0, 3.0]))
    y = a ** b
    y.backward(create_graph=True)
    np.testing.assert_array_equal(y.data, [0.0, 1.0, 8.0])
    np.testing.assert_allclose(a.grad.data, [0.0, 0.0, 12.0])
    np.testing.assert_allclose(b.grad.data, [0.0, 0.0, 8.0 * np.log(2.0)])
    ga, gb = a.grad, b.grad
    a.cleargrad()
    b.cleargrad()
    F.sum(ga + gb).backward()  # second order stays finite too
    assert np.isfinite(a.grad.data).all() and np.isfinite(b.grad.data).all()
    np.testing.assert_allclose(a.grad.data[0], 2.0)  # d2/da2 a**2 at 0
    x = Variable(np.array([2.0, 0.5]))
    (0.0 ** x).backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.0])
    x.cleargrad()
    (np.array([0.0, 3.0]) ** x).backward()
    np.testing.assert_allclose(x.grad.data, [0.0, 3.0 ** 0.5 * np.log(3.0)])


@pytest.mark.parametrize("op", [lambda v: v + 1, lambda v: 1 + v, lambda v: v * 2.0, lambda v: 2.0 - v,
                                lambda v: v / 2, lambda v: v ** 2, lambda v: 2.0 ** v,
                                lambda v: v * Variable(np.ones(2)), lambda v: F.sin(v)],
                         ids=["add", "radd", "mul", "rsub", "div", "pow", "rpow", "mul_variable", "sin"])
def test_arithmetic_on_a_variable_without_data_names_the_problem(op):
    # Variable(None) + 1 raised AttributeError: 'NoneType' object has no attribute 'ndim'
    with pytest.raises(ValueError, match="holds no data"):
        op(Variable(None))


# =============================================================================
# dtypes
# =============================================================================
@pytest.mark.parametrize("op", [lambda x: x * 2.0, lambda x: x * np.float64(2.0), lambda x: np.float64(2.0) * x,
                                lambda x: x + 1, lambda x: 1 - x, lambda x: x / 3.0, lambda x: 2.0 / x,
                                lambda x: 2.0 ** x, lambda x: x ** 2.0, lambda x: x ** 2,
                                lambda x: -x, lambda x: F.average(x), lambda x: F.exp(x) * 0.5 + 1,
                                lambda x: x + np.float64(1.0), lambda x: x - np.float64(1.0),
                                lambda x: x / np.float64(3.0)],
                         ids=["mul_float", "mul_np_float64", "rmul_np_float64", "add_int", "rsub",
                              "div", "rdiv", "rpow", "pow_float", "pow_int", "neg", "average", "chain",
                              "add_np_float64", "sub_np_float64", "div_np_float64"])
def test_python_scalars_adopt_float32(op):
    x = Variable(np.array([1.0, 2.0], dtype=np.float32))
    y = op(x)
    assert y.dtype == np.float32
    F.sum(y).backward()
    assert x.grad.dtype == np.float32


def test_pow_numpy_scalar_exponent_keeps_float32():
    # Core bug: np.float64 is a subclass of Python float, so core._scalar (and Pow) keep it as a NumPy
    # scalar, and float32 * np.float64 is float64 under NumPy 2 (NEP 50).  Also breaks mul/add/sub above.
    x = Variable(np.array([1.0, 2.0], dtype=np.float32))
    y = x ** np.float64(2.0)
    assert y.dtype == np.float32
    y.backward()
    assert x.grad.dtype == np.float32


def test_pow_with_an_ndarray_exponent_has_no_spurious_warning():
    # Core bug: x ** ndarray wraps the constant exponent in a Variable (PowVar), and backward computes
    # the exponent's gradient log(x) too: a RuntimeWarning (and a NaN nobody asked for) for x < 0.
    x = Variable(np.array([-2.0, 3.0]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = x ** np.array([2.0, 3.0])
        y.backward()
    np.testing.assert_allclose(x.grad.data, [-4.0, 27.0])


def test_leaf_gradients_are_distinct_objects():
    # Core bug: Add/Sub pass gy through unchanged and the engine stores it as the leaf's grad, so two
    # leaves (and the output) share one grad Variable.  Optimizer hooks that rebind `param.grad.data`
    # (ClipGrad, WeightDecay) then change the other Parameter's gradient too: with a = b = ones(3) and
    # loss sum((a + b) * x), ClipGrad scales the shared gradient twice (silent wrong update).
    a, b = Variable(np.ones(3)), Variable(np.ones(3))
    y = a + b
    y.backward()
    assert a.grad is not b.grad
    assert a.grad is not y.grad
    a.grad.data = a.grad.data * 0.5
    np.testing.assert_array_equal(b.grad.data, [1.0, 1.0, 1.0])


# =============================================================================
# Errors at the boundary
# =============================================================================
@pytest.mark.parametrize("x_shape, w_shape", [((2, 3), (4, 5)), ((3,), (4,)), ((2, 3, 4), (5, 2)),
                                              ((2, 2, 3), (3, 3, 2))])
def test_matmul_incompatible_shapes(x_shape, w_shape):
    x, w = Variable(np.ones(x_shape)), Variable(np.ones(w_shape))
    with pytest.raises(ValueError) as info:
        F.matmul(x, w)
    msg = str(info.value)
    assert "matmul" in msg and str(x_shape) in msg and str(w_shape) in msg
    with pytest.raises(ValueError):
        x @ w


def test_matmul_rejects_0d():
    with pytest.raises(ValueError, match="matmul"):
        F.matmul(Variable(np.array(2.0)), Variable(np.ones((2, 2))))


@pytest.mark.parametrize("x_shape, w_shape, b_shape", [((2, 3), (4, 5), None), ((2, 3), (3,), None),
                                                       ((2, 3), (3, 4), (5,))])
def test_linear_incompatible_shapes(x_shape, w_shape, b_shape):
    b = None if b_shape is None else np.ones(b_shape)
    with pytest.raises(ValueError) as info:
        F.linear(Variable(np.ones(x_shape)), Variable(np.ones(w_shape)), b)
    msg = str(info.value)
    assert "linear" in msg and str(w_shape) in msg
    assert str(x_shape) in msg or str(b_shape) in msg


@pytest.mark.parametrize("t", [np.array([0, 1]), np.array([[0], [1], [2]]), np.array([0, 4, 1]),
                               np.array([0, -1, 1])],
                         ids=["wrong_length", "2d", "too_large", "negative"])
def test_softmax_cross_entropy_bad_labels(t):
    x = Variable(np.zeros((3, 4)))
    with pytest.raises(ValueError, match="softmax_cross_entropy"):
        F.softmax_cross_entropy(x, t)


def test_softmax_cross_entropy_float_labels():
    with pytest.raises(TypeError, match="integer"):
        F.softmax_cross_entropy(Variable(np.zeros((2, 3))), np.array([0.0, 1.0]))


# =============================================================================
# DeZero compatibility and imports
# =============================================================================
def test_dezero_style_code_runs():
    import minigrad as dezero
    import minigrad.functions as DF
    from minigrad.utils import sum_to

    np.random.seed(0)
    x = dezero.Variable(np.random.rand(100, 1))
    y_true = 5 + 2 * x.data + np.random.rand(100, 1) * 0.1
    W = dezero.Variable(np.zeros((1, 1)))
    b = dezero.Variable(np.zeros(1))
    for _ in range(200):
        y_pred = DF.matmul(x, W) + b
        loss = DF.mean_squared_error(y_pred, y_true)
        W.cleargrad()
        b.cleargrad()
        loss.backward()
        W.data -= 0.1 * W.grad.data
        b.data -= 0.1 * b.grad.data
    assert abs(W.data[0, 0] - 2.0) < 0.2 and abs(b.data[0] - 5.05) < 0.2
    assert loss.data < 0.01
    np.testing.assert_array_equal(dezero.utils.sum_to(np.ones((2, 3)), (1, 3)), [[2, 2, 2]])
    np.testing.assert_array_equal(sum_to(np.ones((2, 3)), (3,)), [2, 2, 2])
    assert dezero.utils.gradient_check(DF.tanh, np.random.randn(3))
    with dezero.no_grad(), dezero.using_config("train", False), dezero.test_mode():
        assert DF.sigmoid(x).creator is None
    assert isinstance(dezero.as_variable(np.ones(1)), dezero.Variable)
    assert dezero.as_array(1.0).shape == ()
    assert dezero.Parameter is Parameter and dezero.Function is Function


def test_import_does_not_load_optional_dependencies():
    code = textwrap.dedent("""
        import sys
        import minigrad, minigrad.functions, minigrad.utils, minigrad.graph
        heavy = [m for m in ("cupy", "graphviz", "matplotlib", "torch", "tqdm") if m in sys.modules]
        print(",".join(heavy))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=str(__import__("pathlib").Path(minigrad.__file__).parents[1]))
    assert out.stdout.strip() == ""
