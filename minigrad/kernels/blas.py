"""GEMM that adds into its output, and AXPY, on the BLAS NumPy itself calls: out = a @ b, or
out += a @ b; y += a * x.

np.matmul cannot accumulate, so a sum of products costs a temporary and an add pass per term.  BLAS's
GEMM computes C = A B + beta C in one pass, which lets a convolution add up the products of its
kernel offsets straight from the padded input, with no col and no temporaries (minigrad.kernels.conv:
the conv case's forward 0.65x the time of the col GEMMs it replaces).

`gemm` calls the cblas_sgemm / cblas_dgemm that NumPy's own extension module links (OpenBLAS in
NumPy's wheels), found through that module with ctypes, which releases the GIL during the call.  It
takes 2-D float32 or float64 arrays that BLAS can read in place (one unit stride per matrix, the output
row-major); for anything else (CuPy arrays, other dtypes, overlapping operands, a NumPy without such a
library) it computes the same product with NumPy (equal to rounding), so whether the library was
found changes the speed only.  `native` says whether it was.

`axpy(a, x, y)` is y += a * x in one pass over memory, on the library's threads (cblas_?axpy): an
optimizer's update of a 1000x1000 float32 parameter takes 0.35x the time of NumPy's blocked two-pass
form.  The library may fuse the multiply and the add, so a result can differ from NumPy's by one
rounding of the operands' size (more units in the last place of the result where y and a * x nearly
cancel); arrays below AXPY_MIN elements, where starting the threads costs more than the
pass, and anything the library cannot take go through NumPy.
"""
import ctypes

import numpy as np

try:
    from numpy._core import _multiarray_umath as _numpy_core  # NumPy >= 2
except ImportError:  # pragma: no cover - NumPy 1.x
    from numpy.core import _multiarray_umath as _numpy_core

_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112

# (symbol, C integer type): NumPy 2's wheels export OpenBLAS's ILP64 build with a scipy_ prefix and a
# 64_ suffix; NumPy 1.x's with a 64_ suffix; a NumPy built against a system BLAS plain cblas names.
_SYMBOLS = (("scipy_cblas_{}64_", ctypes.c_int64), ("cblas_{}64_", ctypes.c_int64),
            ("scipy_cblas_{}", ctypes.c_int), ("cblas_{}", ctypes.c_int))

# Elements below which axpy stays in NumPy: 1,000 float32 take 5.8 us in the library, 2.6 in NumPy;
# 30,720 already 0.7x NumPy's time, 1,000,000 0.35x.
AXPY_MIN = 16384


def _symbol(lib, name):
    """(library function, C integer type) of cblas_<name> in `lib`, or None."""
    for pattern, integer in _SYMBOLS:
        try:
            return getattr(lib, pattern.format(name)), integer
        except AttributeError:
            continue
    return None


def _bind(lib, kind, scalar):
    """cblas_?gemm and cblas_?axpy of `lib` as ctypes functions with their argument types, or None."""
    gemm, axpy = _symbol(lib, kind + "gemm"), _symbol(lib, kind + "axpy")
    if gemm is None or axpy is None:
        return None
    (gemm, i), (axpy, j), p = gemm, axpy, ctypes.c_void_p
    gemm.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int, i, i, i, scalar, p, i, p, i, scalar, p, i]
    axpy.argtypes = [j, scalar, p, j, p, j]
    gemm.restype = axpy.restype = None
    return gemm, axpy


def _load():
    """{dtype: (gemm, axpy)} of the library NumPy links, each checked on a small product."""
    try:  # NumPy's core extension module: its BLAS symbols resolve through its handle
        lib = ctypes.CDLL(_numpy_core.__file__)
    except OSError:  # pragma: no cover - a statically linked NumPy
        return {}
    found = {}
    for dtype, kind, scalar in ((np.float32, "s", ctypes.c_float), (np.float64, "d", ctypes.c_double)):
        f = _bind(lib, kind, scalar)
        if f is not None:
            found[np.dtype(dtype)] = f
    rng = np.random.default_rng(0)
    for dtype, (gemm, axpy) in list(found.items()):
        a, b = rng.standard_normal((3, 5)).astype(dtype), rng.standard_normal((4, 5)).astype(dtype).T
        out, y = np.ones((3, 4), dtype), np.ones(5, dtype)
        _call(gemm, a, b, out, 1.0)
        axpy(5, 2.0, a.ctypes.data, 1, y.ctypes.data, 1)
        if not (np.allclose(out, a @ b + 1, rtol=1e-4)
                and np.allclose(y, 1 + 2 * a[0], rtol=1e-4)):  # pragma: no cover - a foreign ABI
            del found[dtype]
    return found


def _operand(a):
    """(transpose flag, leading dimension) under which BLAS reads the 2-D array a in place, or None.

    A size-1 axis may carry any stride (NumPy leaves it arbitrary): it is read as the packed one."""
    rows, cols = a.shape
    rs, cs = a.strides
    item = a.itemsize
    if cols == 1:
        cs = item
    if rows == 1:
        rs = max(1, cols) * item
    if cs == item and rs % item == 0 and rs >= cols * item:
        return _NO_TRANS, rs // item
    if rs == item and cs % item == 0 and cs >= rows * item:
        return _TRANS, cs // item
    return None


def _call(f, a, b, out, beta):
    """out = a @ b + beta * out through the library function f (operands checked by _native)."""
    (ta, lda), (tb, ldb), (_, ldc) = _operand(a), _operand(b), _operand(out)
    f(_ROW_MAJOR, ta, tb, a.shape[0], b.shape[1], a.shape[1], 1.0, a.ctypes.data, lda,
      b.ctypes.data, ldb, beta, out.ctypes.data, ldc)


_LIBRARY = _load()
_GEMM = {dtype: gemm for dtype, (gemm, _) in _LIBRARY.items()}
_AXPY = {dtype: axpy for dtype, (_, axpy) in _LIBRARY.items()}
native = bool(_LIBRARY)


def _native(a, b, out):
    """The library function for these operands, or None where NumPy must compute the product."""
    if type(a) is not np.ndarray or type(b) is not np.ndarray or type(out) is not np.ndarray:
        return None
    f = _GEMM.get(out.dtype)
    if f is None or a.dtype != out.dtype or b.dtype != out.dtype or 0 in a.shape or 0 in b.shape:
        return None
    if _operand(a) is None or _operand(b) is None or not out.flags.writeable:
        return None
    layout = _operand(out)
    if layout is None or layout[0] != _NO_TRANS:
        return None
    if np.may_share_memory(out, a) or np.may_share_memory(out, b):
        return None
    return f


def gemm(a, b, out, accumulate=False):
    """out = a @ b, or out += a @ b with accumulate: a (M, K), b (K, N), out (M, N); returns out."""
    f = _native(a, b, out)
    if f is None:
        if accumulate:
            out += a @ b
        else:
            out[...] = a @ b
        return out
    _call(f, a, b, out, 1.0 if accumulate else 0.0)
    return out


def axpy(a, x, y):
    """y += a * x in place for a scalar a and arrays x, y of one shape; returns y."""
    f = _AXPY.get(y.dtype) if type(y) is np.ndarray and type(x) is np.ndarray else None
    if (f is None or x.dtype != y.dtype or x.shape != y.shape or y.size < AXPY_MIN
            or not (x.flags.c_contiguous and y.flags.c_contiguous and y.flags.writeable)
            or np.may_share_memory(x, y)):
        y += a * x
        return y
    f(y.size, a, x.ctypes.data, 1, y.ctypes.data, 1)
    return y
