"""Edge cases that once gave silent wrong answers or obscure errors, each pinned by a test."""
import os
import stat

import numpy as np
import pytest

import minigrad.functions as F
import minigrad.layers as L
from minigrad import utils
from minigrad.core import Function, Variable
from minigrad.functions_conv import average_pooling


def test_relu_of_minus_infinity_is_zero():
    y = F.relu(Variable(np.array([-np.inf, -1.0, 2.0])))
    np.testing.assert_array_equal(y.data, [0.0, 0.0, 2.0])


def test_mean_squared_error_refuses_shapes_that_broadcast_to_a_larger_one():
    with pytest.raises(ValueError, match=r"\(100, 1\) and \(100,\) do not match"):
        F.mean_squared_error(np.zeros((100, 1)), np.zeros(100))
    assert float(F.mean_squared_error(np.ones((3, 4)), np.ones(4)).data) == 0.0  # one side broadcasts


def test_batch_norm_accepts_running_statistics_as_variables():
    x = np.arange(12.0).reshape(4, 3)
    mean, var = Variable(np.zeros(3)), Variable(np.ones(3))
    F.batch_norm(x, np.ones(3), np.zeros(3), mean, var)
    np.testing.assert_allclose(mean.data, 0.1 * x.mean(axis=0))
    from minigrad.core import test_mode
    with test_mode():
        y = F.batch_norm(x, np.ones(3), np.zeros(3), mean, var)
    np.testing.assert_allclose(y.data, (x - mean.data) / np.sqrt(var.data + 2e-5))


class _WrongSquare(Function):
    def forward(self, x):
        return x * x

    def backward(self, gy):
        x, = self.inputs
        return gy * x * 100


def test_gradient_check_of_an_integer_input_still_checks():
    assert not utils.gradient_check(lambda x: _WrongSquare()(x), np.array([1, 2, 3]))
    assert utils.gradient_check(lambda x: x * x, np.array([1, 2, 3]))


def test_numerical_grad_of_a_non_contiguous_array():
    a = np.arange(6.0).reshape(2, 3).T
    np.testing.assert_allclose(utils.numerical_grad(lambda v: v * v, a), 2 * a, rtol=1e-6)


def test_average_pooling_of_integer_images_does_not_overflow():
    x = np.full((1, 1, 2, 2), 200, np.uint8)
    np.testing.assert_array_equal(average_pooling(x, 2, 2).data, [[[[200.0]]]])


def test_sum_to_an_incompatible_shape_is_an_error():
    with pytest.raises(ValueError, match=r"cannot be summed to \(2, 4\)"):
        F.sum_to(np.ones((3, 4)), (2, 4))
    np.testing.assert_array_equal(F.sum_to(np.ones((3, 4)), (1, 4)).data, [[3, 3, 3, 3]])


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


def test_shapes_may_be_ints():
    x = Variable(np.arange(6.0).reshape(2, 3))
    assert F.reshape(x, -1).shape == (6,)
    assert F.broadcast_to(Variable(np.array([1.0])), 3).shape == (3,)


def test_dropout_of_a_scalar():
    np.random.seed(0)
    y = F.dropout(Variable(np.array(2.0)), 0.5)
    assert float(y.data) in (0.0, 4.0)


def test_max_and_min_take_axis_lists():
    x = np.arange(24.0).reshape(2, 3, 4)
    assert float(F.max(x, axis=[0, 1, 2]).data) == 23.0
    np.testing.assert_array_equal(F.min(x, axis=[1, 2]).data, [0.0, 12.0])


def test_linear_refuses_a_2d_bias_for_a_1d_input():
    with pytest.raises(ValueError, match="b of shape"):
        F.linear(np.ones(3), np.ones((3, 2)), np.ones((1, 2)))


def test_complex_scalar_is_not_squeezed_into_a_float():
    y = Variable(np.ones(2, np.float32)) * 1j
    np.testing.assert_array_equal(y.data, [1j, 1j])


def test_gradient_of_x_to_the_zero_at_zero_is_zero():
    x = Variable(np.array([0.0, 2.0]))
    (x ** 0).backward()
    np.testing.assert_array_equal(x.grad.data, [0.0, 0.0])


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


def test_files_written_atomically_get_the_usual_mode(tmp_path):
    layer = L.Linear(2, in_size=2)
    layer.save_weights(tmp_path / "w.npz")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(os.stat(tmp_path / "w.npz").st_mode) == 0o666 & ~umask


def test_dot_labels_escape_backslashes():
    x = Variable(np.array(1.0), name="C:\\tmp\\")
    y = x * 2
    assert 'label="C:\\\\tmp\\\\' in utils.get_dot_graph(y)


def test_summary_counts_a_shared_batchnorm_once_and_resets_states():
    from minigrad.models import Model

    class Net(Model):
        def __init__(self):
            super().__init__()
            self.bn = L.BatchNorm()
            self.rnn = L.RNN(3, in_size=4)

        def forward(self, x):
            return self.rnn(self.bn(self.bn(x)))

    net = Net()
    lines = []
    net.summary((4,), print_fn=lines.append)
    assert "Non-trainable params: 8" in lines  # avg_mean and avg_var of 4 channels, once
    assert net.rnn.h is None


def test_get_file_downloads_once_and_checks_md5(tmp_path, monkeypatch):
    import hashlib

    from minigrad import files
    calls = []

    def fetch(url, path):
        calls.append(url)
        open(path, "wb").write(b"weights")
    monkeypatch.setattr(files, "fetch", fetch)
    monkeypatch.setenv("MINIGRAD_DATA", str(tmp_path))
    good = hashlib.md5(b"weights").hexdigest()
    path = utils.get_file("https://example.org/w/vgg.npz", md5=good)
    assert path == str(tmp_path / "vgg.npz") and open(path, "rb").read() == b"weights"
    assert utils.get_file("https://example.org/w/vgg.npz", md5=good) == path and len(calls) == 1
    with pytest.raises(OSError, match="MD5"):
        utils.get_file("https://example.org/w/other.npz", md5="0" * 32)
    assert sorted(os.listdir(tmp_path)) == ["vgg.npz"]


def test_mean_squared_error_simple_equals_the_fused_one():
    a, b = np.arange(6.0).reshape(3, 2), np.ones((3, 2))
    np.testing.assert_allclose(F.mean_squared_error_simple(a, b).data, F.mean_squared_error(a, b).data)
