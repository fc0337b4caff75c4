"""Arithmetic Functions: + - * / ** and negation, with NumPy broadcasting.

A Python or NumPy scalar operand becomes a one-input Function (Scale, AddConstant, DivConstant, Pow,
RPow) holding the constant, so no gradient is computed for it and `float32 * 2.0` stays float32."""
import numpy as np

from minigrad import cuda
from minigrad.core import Function, Variable, as_array
from minigrad.functions.elementwise import log
from minigrad.functions.shape import sum_to


def _scalar(x, like):
    """A Python/NumPy scalar operand of Variable `like` as a number that keeps like's dtype (float32
    stays float32), or None when `x` is not a scalar.  A Python number is weakly typed in NumPy, except
    against a 0-d array in NumPy 1.x, where it takes like's floating dtype explicitly."""
    if isinstance(x, np.generic):  # before float: np.float64 subclasses float
        if x.dtype.kind not in "iuf":
            return None
        x = x.item()
    elif not isinstance(x, (float, int)) or isinstance(x, bool):
        return None
    data = like.data
    if data.ndim == 0 and data.dtype.kind == "f":
        return data.dtype.type(x)
    return x


def _as_operand(x, like):
    """The other operand of an arithmetic op, as a Variable on `like`'s device.

    Python and NumPy scalars adopt the Variable's floating dtype, so `float32 * 2.0` stays float32.
    """
    if isinstance(x, Variable):
        return x
    data = like.data
    xp = cuda.get_array_module(data)
    if _scalar(x, like) is not None:  # a real scalar: adopt like's floating dtype
        return Variable(xp.asarray(x, dtype=data.dtype if data.dtype.kind in "fc" else None))
    return Variable(as_array(x, xp))




def _sum_to(gx, shape):
    """Sum a broadcast gradient back to `shape` (no-op when the shapes already match)."""
    if gx.shape == shape:
        return gx
    return sum_to(gx, shape)


# =============================================================================
# Arithmetic
# =============================================================================
class Scale(Function):
    """y = x * c for a constant c (a scalar, a mask, a dropout pattern): one input, one gradient."""

    def __init__(self, c):
        self.c = c

    def forward(self, x):
        return x * self.c

    def backward(self, gy):
        return Scale(self.c)(gy)


class DivConstant(Function):
    """y = x / c for a constant scalar c (exactly NumPy's x / c, unlike x * (1 / c))."""

    def __init__(self, c):
        self.c = c

    def forward(self, x):
        return x / self.c

    def backward(self, gy):
        return DivConstant(self.c)(gy)


class AddConstant(Function):
    """y = x + c for a constant scalar c."""

    def __init__(self, c):
        self.c = c

    def forward(self, x):
        return x + self.c

    def backward(self, gy):
        return gy


class Add(Function):
    def forward(self, x0, x1):
        self.x0_shape, self.x1_shape = x0.shape, x1.shape
        return x0 + x1

    def backward(self, gy):
        if self.x0_shape == self.x1_shape:
            return gy, gy
        return _sum_to(gy, self.x0_shape), _sum_to(gy, self.x1_shape)


def add(x0, x1):
    if isinstance(x1, Variable):
        return Add()(x0, x1)
    c = _scalar(x1, x0)
    if c is not None:
        return AddConstant(c)(x0)
    return Add()(x0, _as_operand(x1, x0))


class Mul(Function):
    def forward(self, x0, x1):
        return x0 * x1

    def backward(self, gy):
        x0, x1 = self.inputs
        gx0, gx1 = gy * x1, gy * x0
        if x0.data.shape == x1.data.shape:
            return gx0, gx1
        return _sum_to(gx0, x0.shape), _sum_to(gx1, x1.shape)


def mul(x0, x1):
    if isinstance(x1, Variable):
        return Mul()(x0, x1)
    c = _scalar(x1, x0)
    if c is not None:
        return Scale(c)(x0)
    return Mul()(x0, _as_operand(x1, x0))


class Neg(Function):
    def forward(self, x):
        return -x

    def backward(self, gy):
        return -gy


def neg(x):
    return Neg()(x)


class Sub(Function):
    def forward(self, x0, x1):
        self.x0_shape, self.x1_shape = x0.shape, x1.shape
        return x0 - x1

    def backward(self, gy):
        if self.x0_shape == self.x1_shape:
            return gy, -gy
        return _sum_to(gy, self.x0_shape), _sum_to(-gy, self.x1_shape)


def sub(x0, x1):
    if isinstance(x1, Variable):
        return Sub()(x0, x1)
    c = _scalar(x1, x0)
    if c is not None:
        return AddConstant(-c)(x0)
    return Sub()(x0, _as_operand(x1, x0))


def rsub(x0, x1):
    return Sub()(_as_operand(x1, x0), x0)


class Div(Function):
    def forward(self, x0, x1):
        return x0 / x1

    def backward(self, gy):
        x0, x1 = self.inputs
        gx0 = gy / x1
        gx1 = gy * (-x0 / (x1 * x1))
        return _sum_to(gx0, x0.shape), _sum_to(gx1, x1.shape)


def div(x0, x1):
    if isinstance(x1, Variable):
        return Div()(x0, x1)
    c = _scalar(x1, x0)
    if c is not None:
        return DivConstant(c)(x0)
    return Div()(x0, _as_operand(x1, x0))


def rdiv(x0, x1):
    return Div()(_as_operand(x1, x0), x0)


class Pow(Function):
    """x ** c for a constant exponent c (a scalar or an array broadcasting against x)."""

    def __init__(self, c):
        self.c = c

    def forward(self, x):
        return x ** self.c

    def backward(self, gy):
        x, = self.inputs
        c = self.c
        if isinstance(c, (int, float, np.generic)) and c == 0:  # x ** 0 is constant (also at x = 0)
            return Scale(0)(gy)
        return _sum_to(gy * (c * x ** (c - 1)), x.shape)


class PowVar(Function):
    """x0 ** x1 where both the base and the exponent are Variables."""

    def forward(self, x0, x1):
        return x0 ** x1

    def backward(self, gy):
        x0, x1 = self.inputs
        y = self.outputs[0]()
        if y is None:
            y = x0 ** x1
        gx0 = gy * x1 * x0 ** (x1 - 1)
        gx1 = gy * y * log(x0)
        return _sum_to(gx0, x0.shape), _sum_to(gx1, x1.shape)


def pow(x, c):
    if isinstance(c, Variable):
        return PowVar()(x, c)
    scalar = _scalar(c.item() if isinstance(c, np.ndarray) and c.ndim == 0 else c, x)
    if scalar is not None:
        return Pow(scalar)(x)
    return Pow(as_array(c, cuda.get_array_module(x.data)))(x)


class RPow(Function):
    """c ** x for a constant base c (a scalar or an array broadcasting against x)."""

    def __init__(self, c):
        self.c = c

    def forward(self, x):
        xp = cuda.get_array_module(x)
        self.log_c = xp.log(self.c)
        if np.ndim(self.c) == 0 and x.dtype.kind == "f":  # a scalar base keeps x's dtype
            self.log_c = self.log_c.astype(x.dtype)
        return self.c ** x

    def backward(self, gy):
        x, = self.inputs
        y = self.outputs[0]()
        return _sum_to(Scale(self.log_c)(gy * y), x.shape)


def rpow(x, c):
    """c ** x for a constant base c."""
    scalar = _scalar(c, x)
    return RPow(scalar if scalar is not None else as_array(c, cuda.get_array_module(x.data)))(x)
