"""minigrad.functions (the ops outside the conv family) beyond what the op table checks: metrics,
train/test modes, running statistics, ties, repeated indices, the double backward of batch norm that
DeZero gets wrong, argument forms and boundary errors."""
import numpy as np
import pytest

import minigrad.functions as F
from minigrad import Variable, using_config
from minigrad import test_mode as _test_mode  # not collected as a test
from minigrad.gradcheck import numerical_grad


# =============================================================================
# accuracy
# =============================================================================
def test_accuracy_value():
    y = np.array([[0.1, 0.8, 0.1], [0.9, 0.05, 0.05], [0.2, 0.3, 0.5], [0.6, 0.3, 0.1]])
    t = np.array([1, 0, 0, 0])
    acc = F.accuracy(y, t)
    assert isinstance(acc, Variable)
    assert float(acc.data) == pytest.approx(0.75)
    acc = F.accuracy(Variable(y), Variable(t))
    assert float(acc.data) == pytest.approx(0.75)
    assert float(F.accuracy(y, np.array([2, 1, 1, 2])).data) == 0.0


# =============================================================================
# dropout
# =============================================================================
@pytest.mark.parametrize("ratio", [0.2, 0.5])
def test_dropout_train_mode_zeros_and_scales(ratio):
    np.random.seed(1)
    x = Variable(np.ones((200, 100), dtype=np.float32))
    with using_config("train", True):
        y = F.dropout(x, ratio)
    assert y.dtype == np.float32
    zero = y.data == 0
    assert abs(zero.mean() - ratio) < 0.02
    np.testing.assert_allclose(y.data[~zero], 1.0 / (1.0 - ratio), rtol=1e-6)
    assert abs(y.data.mean() - 1.0) < 0.03  # inverted dropout keeps the expectation
    F.sum(y).backward()
    np.testing.assert_array_equal(x.grad.data, y.data)  # gradient is the same scaled mask


def test_dropout_masks_differ_between_calls():
    x = Variable(np.ones(1000))
    y1, y2 = F.dropout(x), F.dropout(x)
    assert not np.array_equal(y1.data, y2.data)


def test_dropout_test_mode_is_identity():
    x = Variable(np.random.randn(4, 5))
    with _test_mode():
        y = F.dropout(x, 0.5)
    np.testing.assert_array_equal(y.data, x.data)
    F.sum(y * 3.0).backward()
    np.testing.assert_array_equal(x.grad.data, np.full((4, 5), 3.0))


@pytest.mark.parametrize("ratio", [-0.1, 1.0, 1.5])
def test_dropout_bad_ratio(ratio):
    with pytest.raises(ValueError, match="dropout"):
        F.dropout(Variable(np.ones(3)), ratio)


# =============================================================================
# batch_norm
# =============================================================================
def test_batch_norm_running_statistics_2d():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 3)) * 2 + 1
    mean, var = np.zeros(3), np.ones(3)
    gamma, beta = np.ones(3), np.zeros(3)
    with using_config("train", True):
        y = F.batch_norm(Variable(x), gamma, beta, mean, var, decay=0.9)
    np.testing.assert_allclose(mean, 0.1 * x.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(var, 0.9 + 0.1 * x.var(axis=0, ddof=1), rtol=1e-12)
    np.testing.assert_allclose(y.data.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(y.data.var(axis=0), x.var(axis=0) / (x.var(axis=0) + 2e-5), rtol=1e-9)
    with using_config("train", True):
        F.batch_norm(Variable(x), gamma, beta, mean, var, decay=0.9)
    np.testing.assert_allclose(mean, 0.19 * x.mean(axis=0), rtol=1e-12)


def test_batch_norm_running_statistics_4d_and_test_mode():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((3, 2, 2, 2)) + np.array([1.0, -2.0])[None, :, None, None]
    mean, var = np.zeros(2), np.ones(2)
    gamma, beta = np.array([2.0, 0.5]), np.array([0.1, -0.3])
    with using_config("train", True):
        F.batch_norm(x, gamma, beta, mean, var, decay=0.8)
    xs = x.transpose(1, 0, 2, 3).reshape(2, -1)
    np.testing.assert_allclose(mean, 0.2 * xs.mean(axis=1), rtol=1e-12)
    np.testing.assert_allclose(var, 0.8 + 0.2 * xs.var(axis=1, ddof=1), rtol=1e-12)

    saved_mean, saved_var = mean.copy(), var.copy()
    x2 = rng.standard_normal((2, 2, 2, 2))
    xv = Variable(x2)
    with _test_mode():
        y = F.batch_norm(xv, gamma, beta, mean, var)
    np.testing.assert_array_equal(mean, saved_mean)  # test mode leaves the statistics alone
    np.testing.assert_array_equal(var, saved_var)
    shape = (1, 2, 1, 1)
    expected = ((x2 - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + 2e-5) * gamma.reshape(shape)
                + beta.reshape(shape))
    np.testing.assert_allclose(y.data, expected, rtol=1e-12)
    F.sum(y).backward()  # backward in test mode works (it crashes in DeZero)
    np.testing.assert_allclose(xv.grad.data, np.broadcast_to(
        (gamma / np.sqrt(var + 2e-5)).reshape(shape), x2.shape), rtol=1e-12)


def test_batch_norm_float32_running_statistics_stay_float32():
    x = Variable(np.random.randn(4, 3).astype(np.float32))
    mean, var = np.zeros(3, np.float32), np.ones(3, np.float32)
    y = F.batch_norm(x, np.ones(3, np.float32), np.zeros(3, np.float32), mean, var)
    assert y.dtype == np.float32 and mean.dtype == np.float32 and var.dtype == np.float32


@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 2, 2)])
def test_batch_norm_double_backward_through_batch_statistics(shape):
    """d/dx <dL/dx, v> for L = sum(bn(x) * w) in training mode, against central differences.
    DeZero treats inv_std as a constant in backward, which gets this wrong."""
    rng = np.random.default_rng(2)
    c = shape[1]
    x0 = rng.standard_normal(shape)
    gamma0, beta0 = rng.uniform(0.5, 1.5, c), rng.standard_normal(c)
    w = rng.standard_normal(shape)
    v = rng.standard_normal(shape)

    def grad_dot(x_arr, gamma_arr, create_graph):
        x, gamma = Variable(x_arr), Variable(gamma_arr)
        with using_config("train", True):
            y = F.batch_norm(x, gamma, beta0, np.zeros(c), np.ones(c))
        F.sum(y * w).backward(create_graph=create_graph)
        return x, gamma, F.sum(x.grad * v)

    x, gamma, s = grad_dot(x0, gamma0, True)
    x.cleargrad()
    gamma.cleargrad()
    s.backward()
    num_x = numerical_grad(lambda a: grad_dot(a, gamma0, False)[2], x0)
    num_g = numerical_grad(lambda g: grad_dot(x0, g, False)[2], gamma0)
    assert np.abs(num_x).max() > 1e-2  # the second derivative through the statistics is not trivial
    np.testing.assert_allclose(x.grad.data, num_x, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(gamma.grad.data, num_g, rtol=1e-5, atol=1e-6)

    # Treating 1/std as a constant (DeZero's double backward) gives a visibly different answer.
    axes = (0,) if len(shape) == 2 else (0, 2, 3)
    bshape = (1, c) + (1,) * (len(shape) - 2)
    inv_std = 1 / np.sqrt(x0.var(axis=axes, keepdims=True) + 2e-5)
    xv = Variable(x0)
    xc = xv - F.mean(xv, axis=axes, keepdims=True)
    y = xc * Variable(inv_std) * Variable(gamma0.reshape(bshape))
    F.sum(y * w).backward(create_graph=True)
    s = F.sum(xv.grad * v)
    xv.cleargrad()
    s.backward()
    wrong = np.zeros(shape) if xv.grad is None else xv.grad.data
    assert np.abs(wrong - num_x).max() > 1e-2


def test_batch_norm_bad_shapes():
    with pytest.raises(ValueError, match="batch_norm"):
        F.batch_norm(np.ones((2, 3, 4)), np.ones(3), np.zeros(3), np.zeros(3), np.ones(3))
    with pytest.raises(ValueError, match="batch_norm"):
        F.batch_norm(np.ones((2, 3)), np.ones(4), np.zeros(4), np.zeros(4), np.ones(4))


def test_batch_norm_of_an_empty_batch_in_training_is_a_value_error():
    # it raised ZeroDivisionError
    with pytest.raises(ValueError, match=r"batch_norm: x of shape \(0, 3\)"):
        F.batch_norm(np.ones((0, 3)), np.ones(3), np.zeros(3), np.zeros(3), np.ones(3))
    with _test_mode():  # running statistics need no batch
        assert F.batch_norm(np.ones((0, 3)), np.ones(3), np.zeros(3), np.zeros(3), np.ones(3)).shape == (0, 3)


# =============================================================================
# max / min with ties
# =============================================================================
def test_max_with_ties_shares_the_gradient():
    x = Variable(np.array([1.0, 3.0, 3.0, 2.0]))
    y = F.max(x)
    assert y.data == 3.0
    y.backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.5, 0.5, 0.0])


def test_max_min_ties_along_an_axis():
    x = Variable(np.array([[1.0, 1.0, 0.0], [0.0, 2.0, 2.0], [5.0, 1.0, 5.0]]))
    y = F.max(x, axis=1)
    y.grad = Variable(np.array([1.0, 2.0, 3.0]))
    y.backward()
    np.testing.assert_allclose(x.grad.data, [[0.5, 0.5, 0], [0, 1, 1], [1.5, 0, 1.5]])
    x.cleargrad()
    F.min(x, axis=0, keepdims=True).backward()
    np.testing.assert_allclose(x.grad.data, [[0, 0.5, 1], [1, 0, 0], [0, 0.5, 0]])
    assert x.grad.data.sum() == 3.0  # the shared gradient still sums to gy


# =============================================================================
# get_item with repeated indices
# =============================================================================
def test_get_item_repeated_indices_add_up():
    x = Variable(np.arange(4.0))
    y = x[[0, 0, 2, 0]]
    y.grad = Variable(np.array([1.0, 10.0, 100.0, 1000.0]))
    y.backward()
    np.testing.assert_array_equal(x.grad.data, [1011.0, 0.0, 100.0, 0.0])


def test_get_item_repeated_rows_and_pairs():
    x = Variable(np.zeros((3, 2)))
    F.sum(F.get_item(x, np.array([[0, 2], [0, 0]]))).backward()
    np.testing.assert_array_equal(x.grad.data, [[3, 3], [0, 0], [1, 1]])
    x.cleargrad()
    F.sum(x[np.array([1, 1, 0]), np.array([0, 0, 1])]).backward()
    np.testing.assert_array_equal(x.grad.data, [[0, 1], [2, 0], [0, 0]])
    x.cleargrad()
    F.sum(F.embed_id(np.array([2, 2, 2]), x)).backward()
    np.testing.assert_array_equal(x.grad.data, [[0, 0], [0, 0], [3, 3]])


def test_get_item_grad_second_order_gathers():
    # GetItemGrad's backward gathers, so d/dgy of <scatter(gy), v> = v[slices].
    gy = Variable(np.array([1.0, 2.0, 3.0]))
    gx = F.GetItemGrad(np.array([0, 0, 1]), (2,))(gy)
    np.testing.assert_array_equal(gx.data, [3.0, 3.0])
    F.sum(gx * Variable(np.array([10.0, 20.0]))).backward()
    np.testing.assert_array_equal(gy.grad.data, [10.0, 10.0, 20.0])


# =============================================================================
# softmax cross entropy
# =============================================================================
def test_softmax_cross_entropy_equals_mean_negative_log_softmax_at_t():
    rng = np.random.default_rng(3)
    x0 = rng.standard_normal((5, 4))
    t = np.array([3, 0, 0, 2, 1])
    x = Variable(x0)
    loss = F.softmax_cross_entropy(x, t)
    loss.backward()
    x2 = Variable(x0)
    ref = -F.sum(F.log_softmax(x2)[np.arange(5), t]) / 5
    ref.backward()
    assert float(loss.data) == pytest.approx(float(ref.data), rel=1e-12)
    np.testing.assert_allclose(x.grad.data, x2.grad.data, rtol=1e-10, atol=1e-14)
    p = np.exp(x0) / np.exp(x0).sum(axis=1, keepdims=True)
    assert float(loss.data) == pytest.approx(-np.log(p[np.arange(5), t]).mean(), rel=1e-12)
    np.testing.assert_allclose(x.grad.data, (p - np.eye(4)[t]) / 5, rtol=1e-10, atol=1e-14)
    assert float(F.softmax_cross_entropy_simple(x0, t).data) == pytest.approx(float(loss.data), rel=1e-10)


def test_softmax_cross_entropy_is_stable_for_large_logits():
    x = Variable(np.array([[1000.0, 0.0, -1000.0], [-1000.0, 1000.0, 0.0]], dtype=np.float32))
    loss = F.softmax_cross_entropy(x, np.array([2, 1]))
    loss.backward()
    assert loss.dtype == np.float32
    assert np.isfinite(loss.data) and float(loss.data) == pytest.approx(1000.0, rel=1e-6)
    assert np.all(np.isfinite(x.grad.data))
    np.testing.assert_allclose(x.grad.data, [[0.5, 0, -0.5], [0, 0, 0]], atol=1e-6)


def test_sigmoid_cross_entropy_stable_and_target_gradient():
    x = Variable(np.array([[-800.0], [800.0], [0.0]]))
    t = Variable(np.array([[1.0], [0.0], [1.0]]))
    loss = F.sigmoid_cross_entropy(x, t)
    assert float(loss.data) == pytest.approx((800 + 800 + np.log(2)) / 3)
    loss.backward()
    np.testing.assert_allclose(x.grad.data, [[-1 / 3], [1 / 3], [-1 / 6]])
    np.testing.assert_allclose(t.grad.data, -x.data / 3)


def test_binary_cross_entropy_finite_at_0_and_1():
    p = Variable(np.array([0.0, 1.0, 0.5]))
    loss = F.binary_cross_entropy(p, np.array([1.0, 0.0, 1.0]))
    loss.backward()
    assert np.isfinite(loss.data) and np.all(np.isfinite(p.grad.data))


@pytest.mark.parametrize("dtype, logit", [(np.float32, 1e5), (np.float32, 1e7), (np.float64, 1e17)])
def test_softmax_cross_entropy_and_log_softmax_keep_precision_at_large_logits(dtype, logit):
    # They computed x - (m + log sum exp(x - m)): m + log 2 rounds to the spacing of m, so float32
    # logits [1e5, 1e5] gave 0.6953 (exact: log 2 = 0.6931), at 1e7 1.0, float64 at 1e17 -0.0.
    x = Variable(np.array([[logit, logit]], dtype=dtype))
    loss = F.softmax_cross_entropy(x, np.array([0]))
    loss.backward()
    assert float(loss.data) == pytest.approx(np.log(2), rel=1e-6)
    np.testing.assert_allclose(x.grad.data, [[-0.5, 0.5]], rtol=1e-6)
    x.cleargrad()
    y = F.log_softmax(x)
    np.testing.assert_allclose(y.data, [[-np.log(2), -np.log(2)]], rtol=1e-6)
    y[:, 0].backward()  # the gradient went through exp(y) of the wrong y: [0, -1] at 1e17
    np.testing.assert_allclose(x.grad.data, [[0.5, -0.5]], rtol=1e-6)


def test_log_softmax_large_logits_along_axis_0():
    x = np.array([[3e7], [3e7 - 2.0]], dtype=np.float32)
    expected = np.array([[-np.log1p(np.exp(-2.0))], [-2.0 - np.log1p(np.exp(-2.0))]])
    np.testing.assert_allclose(F.log_softmax(x, axis=0).data, expected, rtol=1e-6)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_sigmoid_is_accurate_for_negative_inputs(dtype):
    # 0.5 * tanh(x / 2) + 0.5 cancelled: float32 off by 2.6% at -15, 44% at -17, exactly 0 below -17.3
    x = np.array([-15.0, -17.0, -20.0, -40.0, -80.0, 0.0, 3.0, 20.0], dtype=dtype)
    y = F.sigmoid(x).data
    assert y.dtype == dtype
    np.testing.assert_allclose(y, 1 / (1 + np.exp(-x.astype(np.float64))), rtol=2e-7)
    assert float(F.log(F.sigmoid(np.array([-20.0], dtype))).data[0]) == pytest.approx(-20.0, rel=1e-6)
    y = F.sigmoid(np.array([np.inf, -np.inf, np.nan, -1000.0], dtype)).data
    np.testing.assert_array_equal(y[[0, 1, 3]], [1.0, 0.0, 0.0])
    assert np.isnan(y[2])


@pytest.mark.parametrize("logit", [-25.0, -200.0])
def test_binary_cross_entropy_of_a_sigmoid_learns_from_confidently_wrong_examples(logit):
    # float32 binary_cross_entropy(sigmoid(-25), 1) gave loss 34.54 and gradient 0 (PyTorch: 25, -1)
    x = Variable(np.array([logit], dtype=np.float32))
    loss = F.binary_cross_entropy(F.sigmoid(x), np.array([1.0], dtype=np.float32))
    loss.backward()
    assert loss.dtype == np.float32
    assert float(loss.data) == pytest.approx(-logit, rel=1e-6)
    np.testing.assert_allclose(x.grad.data, [-1.0], rtol=1e-6)


def test_binary_cross_entropy_of_a_sigmoid_equals_sigmoid_cross_entropy():
    rng = np.random.default_rng(5)
    x0, t = rng.standard_normal((4, 1)) * 5, np.array([1, 0, 0, 1])
    x = Variable(x0)
    loss = F.binary_cross_entropy(F.sigmoid(x), t)
    loss.backward()
    x2 = Variable(x0)
    ref = F.sigmoid_cross_entropy(x2, t)
    ref.backward()
    assert float(loss.data) == pytest.approx(float(ref.data), rel=1e-12)
    np.testing.assert_allclose(x.grad.data, x2.grad.data, rtol=1e-12)
    # without a recorded sigmoid (no graph) the probabilities are used, clipped: the same value here
    from minigrad import no_grad
    with no_grad():
        p = F.sigmoid(x0)
    assert float(F.binary_cross_entropy(p, t).data) == pytest.approx(float(ref.data), rel=1e-9)


def test_binary_cross_entropy_of_a_float32_probability_below_1e_15():
    # the clip at 1e-15 cut float32 losses at 34.5; the smallest normal float32 is 1.2e-38
    p = np.array([1e-30], dtype=np.float32)
    loss = F.binary_cross_entropy(p, np.array([1.0], dtype=np.float32))
    assert float(loss.data) == pytest.approx(-np.log(1e-30), rel=1e-5)


def test_sigmoid_cross_entropy_float32_extremes():
    x = Variable(np.array([[-100.0], [100.0]], dtype=np.float32))
    loss = F.sigmoid_cross_entropy(x, np.array([1, 0]))
    loss.backward()
    assert float(loss.data) == pytest.approx(100.0, rel=1e-6)
    np.testing.assert_allclose(x.grad.data, [[-0.5], [0.5]], rtol=1e-6)


@pytest.mark.parametrize("fn", [F.sigmoid_cross_entropy, F.binary_cross_entropy])
def test_binary_losses_refuse_targets_of_another_shape(fn):
    # t of shape (6,) was silently reshaped to x's (2, 3), pairing targets with the wrong elements
    x = np.full((2, 3), 0.5)
    with pytest.raises(ValueError, match=r"t must have the shape of .*\(2, 3\).*got shape \(6,\)"):
        fn(x, np.ones(6))
    with pytest.raises(ValueError, match=r"got shape \(3, 2\)"):
        fn(x, np.ones((3, 2)))
    with pytest.raises(ValueError, match=r"got shape \(4, 1\)"):
        fn(np.full(4, 0.5), np.ones((4, 1)))
    # (N,) labels for an (N, 1) input are the one reshape allowed
    a = fn(np.full((4, 1), 0.5), np.array([1, 0, 1, 1]))
    b = fn(np.full((4, 1), 0.5), np.array([[1], [0], [1], [1]]))
    assert float(a.data) == float(b.data)


# =============================================================================
# Elementwise ops at the edges of their domains
# =============================================================================

def test_relu_of_minus_infinity_is_zero():
    y = F.relu(Variable(np.array([-np.inf, -1.0, 2.0])))
    np.testing.assert_array_equal(y.data, [0.0, 0.0, 2.0])


@pytest.mark.parametrize("fn", [F.sigmoid, F.tanh, lambda v: F.clip(v, 0.1, 0.9)])
def test_zero_dimensional_float32_stays_float32_to_second_order(fn):
    x = Variable(np.array(0.5, np.float32))
    y = fn(x)
    y.backward(create_graph=True)
    gx = x.grad
    x.cleargrad()
    gx.backward()
    assert y.dtype == gx.dtype == np.float32
    assert x.grad is None or x.grad.dtype == np.float32


# =============================================================================
# Shapes, reductions and their argument forms
# =============================================================================

def test_sum_to_an_incompatible_shape_is_an_error():
    with pytest.raises(ValueError, match=r"cannot be summed to \(2, 4\)"):
        F.sum_to(np.ones((3, 4)), (2, 4))
    np.testing.assert_array_equal(F.sum_to(np.ones((3, 4)), (1, 4)).data, [[3, 3, 3, 3]])


def test_shapes_may_be_ints():
    x = Variable(np.arange(6.0).reshape(2, 3))
    assert F.reshape(x, -1).shape == (6,)
    assert F.broadcast_to(Variable(np.array([1.0])), 3).shape == (3,)


def test_max_and_min_take_axis_lists():
    x = np.arange(24.0).reshape(2, 3, 4)
    assert float(F.max(x, axis=[0, 1, 2]).data) == 23.0
    np.testing.assert_array_equal(F.min(x, axis=[1, 2]).data, [0.0, 12.0])


# =============================================================================
# linear, losses, dropout and batch_norm: argument forms and boundary errors
# =============================================================================

def test_linear_refuses_a_2d_bias_for_a_1d_input():
    with pytest.raises(ValueError, match="b of shape"):
        F.linear(np.ones(3), np.ones((3, 2)), np.ones((1, 2)))


def test_mean_squared_error_refuses_shapes_that_broadcast_to_a_larger_one():
    with pytest.raises(ValueError, match=r"\(100, 1\) and \(100,\) do not match"):
        F.mean_squared_error(np.zeros((100, 1)), np.zeros(100))
    assert float(F.mean_squared_error(np.ones((3, 4)), np.ones(4)).data) == 0.0  # one side broadcasts


def test_mean_squared_error_simple_equals_the_fused_one():
    a, b = np.arange(6.0).reshape(3, 2), np.ones((3, 2))
    np.testing.assert_allclose(F.mean_squared_error_simple(a, b).data, F.mean_squared_error(a, b).data)


def test_dropout_of_a_scalar():
    np.random.seed(0)
    y = F.dropout(Variable(np.array(2.0)), 0.5)
    assert float(y.data) in (0.0, 4.0)


def test_batch_norm_accepts_running_statistics_as_variables():
    x = np.arange(12.0).reshape(4, 3)
    mean, var = Variable(np.zeros(3)), Variable(np.ones(3))
    F.batch_norm(x, np.ones(3), np.zeros(3), mean, var)
    np.testing.assert_allclose(mean.data, 0.1 * x.mean(axis=0))
    from minigrad.core import test_mode
    with test_mode():
        y = F.batch_norm(x, np.ones(3), np.zeros(3), mean, var)
    np.testing.assert_allclose(y.data, (x - mean.data) / np.sqrt(var.data + 2e-5))


# =============================================================================
# embed_id
# =============================================================================
def test_embed_id_refuses_ids_out_of_range():
    # id -1 returned the last row (PyTorch raises)
    W = np.arange(12.0).reshape(4, 3)
    with pytest.raises(IndexError, match=r"embed_id: id -1 .* 4 rows"):
        F.embed_id(np.array([0, -1]), W)
    with pytest.raises(IndexError, match=r"embed_id: id 4 "):
        F.embed_id(np.array([[4]]), W)


@pytest.mark.parametrize("ids", [np.array([0.0, 1.0]), np.array([True]), [0.5], 1.0])
def test_embed_id_refuses_non_integer_ids(ids):
    with pytest.raises(TypeError, match="embed_id: x must hold integer ids"):
        F.embed_id(ids, np.ones((4, 3)))


def test_embed_id_takes_ints_lists_and_variables():
    W = np.arange(12.0).reshape(4, 3)
    np.testing.assert_array_equal(F.embed_id(2, W).data, W[2])
    np.testing.assert_array_equal(F.embed_id([3, 0], W).data, W[[3, 0]])
    np.testing.assert_array_equal(F.embed_id(Variable(np.array([[1]])), W).data, W[[[1]]])
