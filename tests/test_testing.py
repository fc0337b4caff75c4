"""minigrad.testing, the public harness: it passes correct Functions, and each property catches the
defect it is for, naming the property and the input."""
import pathlib
import re
import subprocess
import sys

import numpy as np
import pytest

import minigrad
import minigrad.functions as F
from minigrad import gradcheck, testing
from minigrad.core import Function, Variable

README = pathlib.Path(__file__).resolve().parents[1] / "README.md"


def _x(shape=(3, 4), seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


# =============================================================================
# Functions written the way a user writes them, right and wrong
# =============================================================================
class _Softplus(Function):
    def forward(self, x):
        return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))

    def backward(self, gy):
        x, = self.inputs
        return gy * F.sigmoid(x)


def _np_softplus(x):
    return np.log1p(np.exp(x))


class _ScaledDot(Function):
    """y = (a * b) * k with k a per-row integer weight; the gradient of b is off by 1% (the defect)."""

    def forward(self, a, b, k):
        return a * b * k[:, None]

    def backward(self, gy):
        a, b, k = self.inputs
        kk = Variable(k.data[:, None].astype(gy.dtype))
        return gy * b * kk, gy * a * kk * 1.01, None


class _Forgetful(Function):
    """Right on the first backward through an instance, wrong on the next (state kept in backward)."""

    def forward(self, x):
        return x * 2

    def backward(self, gy):
        self.calls = getattr(self, "calls", 0) + 1
        return gy * (2.0 if self.calls == 1 else 3.0)


class _PairSum(Function):
    """y[i] = x[i] + x[i+1], read through as_strided with strides computed for a C-contiguous x: right
    on contiguous inputs, wrong on any other (the defect the non-contiguous property is for)."""

    def forward(self, x):
        n = x.shape[0] - 1
        return np.lib.stride_tricks.as_strided(x, (n, 2), (x.itemsize, x.itemsize)).sum(axis=1)

    def backward(self, gy):
        n = gy.shape[0]
        band = np.eye(n, n + 1, dtype=gy.dtype) + np.eye(n, n + 1, 1, dtype=gy.dtype)
        return F.matmul(gy, Variable(band))


class _InPlaceExp(Function):
    def forward(self, x):
        np.exp(x, out=x)  # the defect: writes into its input
        return x.copy()

    def backward(self, gy):
        return gy * self.outputs[0]()


# =============================================================================
# Correct Functions pass
# =============================================================================
def test_a_correct_function_class_passes_every_property():
    testing.check_function(_Softplus, [_x()], reference=_np_softplus)
    testing.check_function(_Softplus, _x((5,)), reference=_np_softplus)  # one array for one input


def test_a_callable_with_an_integer_input_passes():
    def fn(x, W, t):
        return F.softmax_cross_entropy(F.linear(x, W), t)

    testing.check_function(fn, [_x((4, 3)), _x((3, 5), 1), np.array([0, 4, 2, 2])])


def test_the_readme_example_runs(capsys):
    text = README.read_text(encoding="utf-8")
    section = text.split("## Checking your own Function", 1)[1]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    exec(compile(code, "README.md", "exec"), {"__name__": "readme_example"})
    assert capsys.readouterr().out.strip() == "Softplus: all checks pass"


def test_gradients_returns_one_entry_per_input():
    x, W, t = _x((4, 3)), _x((3, 5), 1), np.array([0, 4, 2, 2])
    y, grads = testing.gradients(lambda x, W, t: F.softmax_cross_entropy(F.linear(x, W), t), [x, W, t])
    assert isinstance(y, Variable) and y.shape == ()
    assert [g is None for g in grads] == [False, False, True]
    assert grads[0].shape == x.shape and grads[1].shape == W.shape
    _, again = testing.gradients(lambda x, W, t: F.softmax_cross_entropy(F.linear(x, W), t), [x, W, t])
    np.testing.assert_array_equal(again[1].data, grads[1].data)  # the same fixed weights every call


def test_the_central_differences_are_gradchecks(monkeypatch):
    calls = []
    original = gradcheck.numerical_grad

    def counting(f, x, *args, **kwargs):
        calls.append(x.shape)
        return original(f, x, *args, **kwargs)

    monkeypatch.setattr(gradcheck, "numerical_grad", counting)
    testing.check_first_order(lambda a, b: a * b, [_x((2, 3)), _x((3,), 1)])
    assert calls == [(2, 3), (3,)]  # every float input, not just the first


def test_the_non_contiguous_inputs_are_non_contiguous():
    seen = []

    def record(x):
        seen.append((x.data.flags.c_contiguous, x.data.flags.f_contiguous, bool(np.isnan(x.data).any())))
        return F.sin(x)

    testing.check_non_contiguous(record, [_x((2, 3))], second_order=False)
    assert (True, False, False) in seen       # the contiguous run
    assert (False, False, False) in seen      # every other element (the NaN gaps are not in the view)
    assert (False, True, False) in seen       # transposed back: Fortran order


# =============================================================================
# Each defect is caught, by its property, with the input named
# =============================================================================
def test_a_wrong_gradient_is_caught(monkeypatch):
    monkeypatch.setattr(F.Sin, "backward", lambda self, gy: gy * F.sin(self.inputs[0]))
    with pytest.raises(AssertionError, match=r"first order, input 0"):
        testing.check_first_order(F.sin, [_x()])
    with pytest.raises(AssertionError, match=r"first order"):
        testing.check_function(F.sin, [_x()], reference=np.sin)


def test_the_failing_input_is_named():
    inputs = [_x((2, 3)), _x((2, 3), 1), np.array([1, 2])]
    with pytest.raises(AssertionError, match=r"my_op: first order, input 1"):
        testing.check_first_order(_ScaledDot, inputs, name="my_op")


def test_a_wrong_second_derivative_is_caught_by_the_second_order_check_only(monkeypatch):
    """A backward right at first order but treating a derivative as a constant (as DeZero's BatchNorm
    treats inv_std) passes the first-order check and fails the second-order one."""
    def backward(self, gy):
        y = self.outputs[0]()
        return gy * Variable(1 - y.data * y.data)  # a constant: no graph behind it

    monkeypatch.setattr(F.Tanh, "backward", backward)
    testing.check_first_order(F.tanh, [_x()])
    with pytest.raises(AssertionError, match=r"second order, input 0"):
        testing.check_second_order(F.tanh, [_x()])
    testing.check_function(F.tanh, [_x()], reference=np.tanh, second_order=False)


def test_a_wrong_forward_and_an_upcast_are_caught(monkeypatch):
    monkeypatch.setattr(F.Exp, "forward", lambda self, x: np.exp(x.astype(np.float64)) * 1.0001)
    with pytest.raises(AssertionError, match="forward"):
        testing.check_forward(F.exp, [_x()], np.exp)
    with pytest.raises(AssertionError, match=r"dtype: float32 inputs gave a float64 output"):
        testing.check_dtype(F.exp, [_x()])


def test_a_stateful_backward_is_caught_by_the_repeat_check():
    testing.check_first_order(_Forgetful, [_x()])
    with pytest.raises(AssertionError, match=r"repeated backward, input 0: the same graph again"):
        testing.check_repeat(_Forgetful, [_x()])


def test_a_kernel_that_assumes_contiguity_is_caught():
    x = _x((5,))
    testing.check_first_order(_PairSum, [x])
    testing.check_forward(_PairSum, [x], lambda x: x[:-1] + x[1:])
    with pytest.raises(AssertionError, match=r"non-contiguous \(strided\): forward"):
        testing.check_non_contiguous(_PairSum, [x])


def test_an_input_modified_in_place_is_caught():
    with pytest.raises(AssertionError, match=r"forward: input 0 was modified"):
        testing.check_forward(_InPlaceExp, [_x()], np.exp)


def test_the_readme_function_with_a_wrong_backward_fails():
    class Softplus(_Softplus):
        def backward(self, gy):
            return super().backward(gy) * 1.01

    with pytest.raises(AssertionError, match="first order, input 0"):
        testing.check_function(Softplus, [_x()], reference=_np_softplus)


# =============================================================================
# Misuse is a clear error
# =============================================================================
def test_a_function_instance_is_refused():
    with pytest.raises(TypeError, match="pass the class"):
        testing.check_function(_Softplus(), [_x()])


def test_fn_must_return_a_variable():
    with pytest.raises(TypeError, match="must return one Variable, got ndarray"):
        testing.check_first_order(lambda x: x.data * 2, [_x()])


def test_no_float_input_and_unknown_properties_are_refused():
    with pytest.raises(ValueError, match="no float input"):
        testing.check_first_order(lambda t: Variable(t * 1.0), [np.array([1, 2])])
    with pytest.raises(ValueError, match=r"unknown properties \['float16'\]"):
        testing.check_function(F.sin, [_x()], skip=("float16",))


def test_import_minigrad_does_not_import_the_harness():
    code = "import sys, minigrad, minigrad.functions; print('minigrad.testing' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=str(pathlib.Path(minigrad.__file__).parents[1]))
    assert out.stdout.strip() == "False"
