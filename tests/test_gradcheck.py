"""Gradient checking (minigrad.gradcheck, re-exported by minigrad.utils under DeZero's names)."""
import numpy as np

import minigrad.functions as F
from minigrad import gradcheck, utils
from minigrad.core import Function, Variable
from minigrad.gradcheck import array_allclose, array_equal, gradient_check, numerical_grad


class _WrongSquare(Function):
    def forward(self, x):
        return x * x

    def backward(self, gy):
        x, = self.inputs
        return gy * x * 100


def test_gradient_check_of_an_integer_input_still_checks():
    assert not gradient_check(lambda x: _WrongSquare()(x), np.array([1, 2, 3]))
    assert gradient_check(lambda x: x * x, np.array([1, 2, 3]))


def test_numerical_grad_of_a_non_contiguous_array():
    a = np.arange(6.0).reshape(2, 3).T
    np.testing.assert_allclose(numerical_grad(lambda v: v * v, a), 2 * a, rtol=1e-6)


def test_gradient_check_checks_every_input_and_the_second_order(monkeypatch):
    x, W = np.random.default_rng(0).standard_normal((2, 3)), np.random.default_rng(1).standard_normal((3, 2))
    assert gradient_check(F.matmul, x, W, second_order=True)
    monkeypatch.setattr(F.MatMul, "backward", lambda self, gy: (F.matmul(gy, self.inputs[1].T),
                                                              F.matmul(self.inputs[0].T, gy) * 1.01))
    assert not gradient_check(F.matmul, x, W)  # only the second input's gradient is wrong


def test_gradient_check_second_order_catches_a_constant_derivative(monkeypatch):
    def backward(self, gy):
        y = self.outputs[0]()
        return gy * Variable(1 - y.data * y.data)  # right values, but no graph behind them

    monkeypatch.setattr(F.Tanh, "backward", backward)
    x = np.random.default_rng(2).standard_normal(4)
    assert gradient_check(F.tanh, x)
    assert not gradient_check(F.tanh, x, second_order=True)


def test_array_equal_and_allclose_take_variables_and_compare_shapes():
    a = Variable(np.array([1.0, 2.0]))
    assert array_equal(a, np.array([1.0, 2.0])) and not array_equal(a, np.array([1.0, 2.5]))
    assert array_allclose(a, np.array([1.0, 2.0 + 1e-7]))
    assert not array_allclose(a, np.array([[1.0, 2.0]]))  # broadcastable, but not the same shape


def test_utils_reexports_gradcheck():
    assert utils.gradient_check is gradcheck.gradient_check
    assert utils.numerical_grad is gradcheck.numerical_grad
    assert utils.array_equal is gradcheck.array_equal and utils.array_allclose is gradcheck.array_allclose
