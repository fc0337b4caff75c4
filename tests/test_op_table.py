"""One harness over the op table (tests/op_table.py): every row, every property."""
import inspect

import numpy as np
import pytest

import minigrad.core
import minigrad.functions
from tests.op_table import (ALL_CASES, CORE_CASES, check_dtype, check_first_order, check_forward,
                            check_repeat, check_second_order)

_IDS = [case["name"] for case in ALL_CASES]


def test_case_names_are_unique():
    assert len(set(_IDS)) == len(_IDS), sorted(n for n in _IDS if _IDS.count(n) > 1)


def test_second_order_opt_out_is_rare():
    # second_order=False must be justified in the row; in the core table nothing needs it.
    assert [c["name"] for c in CORE_CASES if not c.get("second_order", True)] == []


@pytest.mark.parametrize("case", ALL_CASES, ids=_IDS)
def test_forward(case):
    check_forward(case)


@pytest.mark.parametrize("case", ALL_CASES, ids=_IDS)
def test_first_order(case):
    check_first_order(case)


@pytest.mark.parametrize("case", ALL_CASES, ids=_IDS)
def test_second_order(case):
    check_second_order(case)


@pytest.mark.parametrize("case", ALL_CASES, ids=_IDS)
def test_dtype_float32(case):
    check_dtype(case)


@pytest.mark.parametrize("case", ALL_CASES, ids=_IDS)
def test_backward_repeat(case):
    check_repeat(case)


def _functions_defined_in(module):
    return {obj for _, obj in inspect.getmembers(module, inspect.isclass)
            if issubclass(obj, minigrad.core.Function) and obj is not minigrad.core.Function
            and obj.__module__ == module.__name__}


def test_every_function_is_in_the_table(monkeypatch):
    """Every Function class of core.py and functions.py runs (forward, or backward with create_graph)
    in some row of the core table."""
    used = set()
    original = minigrad.core.Function.__call__

    def recording_call(self, *inputs):
        used.add(type(self))
        return original(self, *inputs)

    monkeypatch.setattr(minigrad.core.Function, "__call__", recording_call)
    from tests.op_table import _grad_dot, make_inputs
    for case in CORE_CASES:
        _grad_dot(case, make_inputs(case), create_graph=True)
    expected = set().union(*[_functions_defined_in(getattr(minigrad.functions, m)) for m in (
        "shape", "elementwise", "arithmetic", "reduction", "matrix", "activation", "loss", "normalization")])
    missing = sorted(cls.__name__ for cls in expected - used)
    assert not missing, f"Functions with no row in the op table: {missing}"
    assert len(expected) > 30


def test_harness_detects_a_wrong_gradient(monkeypatch):
    """The harness can fail: a deliberately broken backward is caught by the checks."""
    case = next(c for c in CORE_CASES if c["name"] == "sin")
    monkeypatch.setattr(minigrad.functions.Sin, "backward", lambda self, gy: gy * minigrad.functions.sin(
        self.inputs[0]))
    with pytest.raises(AssertionError):
        check_first_order(case)


def test_harness_detects_a_wrong_second_derivative(monkeypatch):
    """A backward that is right at first order but not differentiable correctly (a constant
    derivative, as DeZero's BatchNorm treats inv_std) is caught by the second-order check only."""
    case = next(c for c in CORE_CASES if c["name"] == "tanh")
    F = minigrad.functions

    def backward(self, gy):
        y = self.outputs[0]()
        return gy * minigrad.core.Variable(1 - y.data * y.data)  # treated as a constant

    monkeypatch.setattr(F.Tanh, "backward", backward)
    check_first_order(case)
    with pytest.raises(AssertionError):
        check_second_order(case)


def test_harness_detects_a_wrong_forward_and_dtype(monkeypatch):
    case = next(c for c in CORE_CASES if c["name"] == "exp")
    F = minigrad.functions
    monkeypatch.setattr(F.Exp, "forward", lambda self, x: np.exp(x.astype(np.float64)) * 1.0001)
    with pytest.raises(AssertionError):
        check_forward(case)
    with pytest.raises(AssertionError):
        check_dtype(case)
