"""Every row of the op table (tests/op_table.py, tests/op_table_conv.py) through every property of the
public harness, minigrad.testing; and the one check that every Function of minigrad has a row."""
import pytest

import minigrad.core
import minigrad.functions  # noqa: F401  (defines the Function classes the coverage check expects)
from minigrad import testing
from tests.op_table import ALL_CASES, CORE_CASES, make_inputs, options, tolerances

_IDS = [case["name"] for case in ALL_CASES]
rows = pytest.mark.parametrize("case", ALL_CASES, ids=_IDS)


def test_case_names_are_unique():
    assert len(set(_IDS)) == len(_IDS), sorted(n for n in _IDS if _IDS.count(n) > 1)


def test_second_order_opt_out_is_rare():
    # second_order=False must be justified in the row; in the core table nothing needs it.
    assert [c["name"] for c in CORE_CASES if not c.get("second_order", True)] == []


@rows
def test_forward(case):
    if case.get("reference") is None:
        pytest.skip(f"{case['name']}: no NumPy reference")
    testing.check_forward(case["fn"], make_inputs(case), case["reference"], name=case["name"])


@rows
def test_first_order(case):
    testing.check_first_order(case["fn"], make_inputs(case), **tolerances(case), **options(case))


@rows
def test_second_order(case):
    if not case.get("second_order", True):
        pytest.skip(f"{case['name']}: second order not checked (see the row's comment)")
    testing.check_second_order(case["fn"], make_inputs(case), **tolerances(case, order=2), **options(case))


@rows
def test_dtype_float32(case):
    testing.check_dtype(case["fn"], make_inputs(case), second_order=case.get("second_order", True),
                        **options(case))


@rows
def test_backward_repeat(case):
    testing.check_repeat(case["fn"], make_inputs(case), **options(case))


@rows
def test_non_contiguous_inputs(case):
    testing.check_non_contiguous(case["fn"], make_inputs(case), second_order=case.get("second_order", True),
                                 **options(case))


# =============================================================================
# Coverage
# =============================================================================
def _function_classes():
    """Every Function class defined in minigrad (public or not, abstract private bases excepted), found
    through the class hierarchy, so the check does not depend on which module of the package defines it."""
    found, todo = set(), list(minigrad.core.Function.__subclasses__())
    while todo:
        cls = todo.pop()
        if cls not in found and cls.__module__.startswith("minigrad."):
            found.add(cls)
            todo.extend(cls.__subclasses__())
    return {cls for cls in found if not (cls.__name__.startswith("_") and cls.__subclasses__())}


def test_every_function_is_in_the_table(monkeypatch):
    """Every Function class of minigrad runs (forward, or backward with create_graph) in some row."""
    used = set()
    original = minigrad.core.Function.__call__

    def recording_call(self, *inputs):
        used.add(type(self))
        return original(self, *inputs)

    monkeypatch.setattr(minigrad.core.Function, "__call__", recording_call)
    for case in ALL_CASES:
        testing.gradients(case["fn"], make_inputs(case), create_graph=True)
    expected = _function_classes()
    missing = sorted(f"{cls.__module__}.{cls.__name__}" for cls in expected - used)
    assert not missing, f"Functions with no row in the op table: {missing}"
    assert len(expected) > 45
    names = {cls.__name__ for cls in expected}
    assert {"Add", "Sin", "Max", "Min", "MatMul", "Conv2d", "Conv2DGradW", "Pooling2DWithIndexes"} <= names
