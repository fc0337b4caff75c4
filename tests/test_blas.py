"""minigrad.kernels.blas: GEMM into an output, on NumPy's BLAS library or on NumPy itself."""
import numpy as np
import pytest

from minigrad.kernels import blas


def _operands(rng, M, K, N, ta, tb, dtype):
    a = rng.standard_normal((K, M) if ta else (M, K)).astype(dtype)
    b = rng.standard_normal((N, K) if tb else (K, N)).astype(dtype)
    return (a.T if ta else a), (b.T if tb else b)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(1, 1, 1), (3, 5, 4), (1, 7, 3), (6, 1, 5), (4, 3, 1), (33, 70, 65)])
@pytest.mark.parametrize("ta,tb", [(False, False), (True, False), (False, True), (True, True)])
def test_gemm_sets_and_accumulates(dtype, shape, ta, tb):
    """out = a @ b and out += a @ b for every transpose layout and vector edge, in the library where
    there is one (asserted) and equal to NumPy's product."""
    rng = np.random.default_rng(sum(shape) + 2 * ta + tb)
    M, K, N = shape
    a, b = _operands(rng, M, K, N, ta, tb, dtype)
    out = rng.standard_normal((M, N)).astype(dtype)
    start = out.copy()
    assert (blas._native(a, b, out) is not None) is blas.native
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
    assert blas.gemm(a, b, out, accumulate=True) is out
    np.testing.assert_allclose(out, start + a.astype(np.float64) @ b, **tol)
    blas.gemm(a, b, out)
    np.testing.assert_allclose(out, a.astype(np.float64) @ b, **tol)


def test_gemm_reads_windows_of_a_larger_array_in_place():
    """Column windows of a wide row-major array (how the convolution reads its source) and an output
    that is a slice of a wider one: the library reads and writes them in place."""
    rng = np.random.default_rng(1)
    src = rng.standard_normal((6, 50)).astype(np.float32)
    W = rng.standard_normal((4, 6)).astype(np.float32)
    acc = np.full((4, 60), 7.0, dtype=np.float32)
    for k, o in enumerate((0, 1, 9)):
        blas.gemm(W, src[:, o:o + 40], acc[:, :40], accumulate=k > 0)
    expected = sum(W.astype(np.float64) @ src[:, o:o + 40] for o in (0, 1, 9))
    np.testing.assert_allclose(acc[:, :40], expected, rtol=1e-5, atol=1e-5)
    assert (acc[:, 40:] == 7).all()


@pytest.mark.parametrize("case", ["mixed dtypes", "overlap", "strided rows", "int", "column-major out",
                                  "empty"])
def test_gemm_falls_back_to_numpy_where_blas_cannot(case):
    """Operands BLAS cannot take go through NumPy, with the same result."""
    rng = np.random.default_rng(2)
    a, b = rng.standard_normal((3, 4)), rng.standard_normal((4, 5))
    out = np.zeros((3, 5))
    if case == "mixed dtypes":
        a = a.astype(np.float32)
    elif case == "overlap":
        big = rng.standard_normal((3, 12))
        a, out = big[:, :4], big[:, 4:9]
    elif case == "strided rows":
        a = rng.standard_normal((3, 8))[:, ::2]
    elif case == "int":
        a, b, out = (np.arange(12).reshape(3, 4), np.arange(20).reshape(4, 5),
                     np.zeros((3, 5), dtype=np.int64))
    elif case == "column-major out":
        out = np.zeros((5, 3)).T
    else:
        a, b, out = np.zeros((3, 0)), np.zeros((0, 5)), np.ones((3, 5))
    assert blas._native(a, b, out) is None
    expected = out + a @ b
    blas.gemm(a, b, out, accumulate=True)
    np.testing.assert_allclose(out, expected, rtol=1e-6)


@pytest.mark.parametrize("shape, dtype, layout, in_library", [
    ((300, 1000), np.float32, "C", True),
    ((300, 1000), np.float64, "C", True),
    ((blas.AXPY_MIN,), np.float32, "C", True),
    ((blas.AXPY_MIN - 1,), np.float32, "C", False),  # too small to pay for the library's threads
    ((300, 1000), np.float32, "F", False),           # not C-contiguous
    ((300, 1000), "mixed", "C", False),              # x float64, y float32
])
def test_axpy_adds_a_scaled_array_in_place(monkeypatch, shape, dtype, layout, in_library):
    """y += a * x, in the library exactly where it can take the operands: off the exact value by no
    more than one rounding of the operands' size (the library may fuse the multiply and the add, so
    it can differ from NumPy's one-line form by that much)."""
    rng = np.random.default_rng(3)
    x_dtype, y_dtype = (np.float64, np.float32) if dtype == "mixed" else (dtype, dtype)
    x = np.asarray(rng.standard_normal(shape).astype(x_dtype), order=layout)
    y = np.asarray(rng.standard_normal(shape).astype(y_dtype), order=layout)
    exact = y.astype(np.longdouble) - np.longdouble(0.01) * x
    bound = np.finfo(y_dtype).eps * (np.abs(y) + np.abs(0.01 * x))
    calls = []
    for key, f in list(blas._AXPY.items()):
        monkeypatch.setitem(blas._AXPY, key, lambda *args, f=f: calls.append(1) or f(*args))
    assert blas.axpy(-0.01, x, y) is y
    assert y.dtype == y_dtype and y.shape == shape
    assert bool(calls) == (in_library and blas.native)
    assert (np.abs(y - exact) <= bound).all()


def test_axpy_of_overlapping_operands_reads_x_before_writing_y():
    """x a view of y: NumPy's form, which forms a * x before adding."""
    y = np.arange(2 * blas.AXPY_MIN, dtype=np.float32)
    x = y[::-1]
    expected = y + 2 * y[::-1]
    blas.axpy(2.0, x, y)
    np.testing.assert_array_equal(y, expected)
