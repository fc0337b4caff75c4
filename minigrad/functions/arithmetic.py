"""Arithmetic Functions: + - * / ** and negation, with NumPy broadcasting.

A Python or NumPy scalar operand becomes a one-input Function (Scale, AddConstant, DivConstant, Pow,
RPow) holding the constant, so no gradient is computed for it and `float32 * 2.0` stays float32."""
import numpy as np

from minigrad import cuda
from minigrad.core import Function, Variable, as_array, require_data
from minigrad.functions.elementwise import log
from minigrad.functions.shape import broadcast_to, sum_to


def _scalar(x, like, fname):
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
    try:
        zero_d = data.ndim == 0
    except AttributeError:  # like is Variable(None)
        require_data(fname, (like,))
        raise
    if zero_d and data.dtype.kind == "f":
        return data.dtype.type(x)
    return x


def _as_operand(x, like, fname):
    """The other operand of an arithmetic op, as a Variable on `like`'s device.

    Python and NumPy scalars adopt the Variable's floating dtype, so `float32 * 2.0` stays float32.
    """
    if isinstance(x, Variable):
        return x
    data = like.data
    xp = cuda.get_array_module(data)
    if _scalar(x, like, fname) is not None:  # a real scalar: adopt like's floating dtype
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
    c = _scalar(x1, x0, "add")
    if c is not None:
        return AddConstant(c)(x0)
    return Add()(x0, _as_operand(x1, x0, "add"))


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
    c = _scalar(x1, x0, "mul")
    if c is not None:
        return Scale(c)(x0)
    return Mul()(x0, _as_operand(x1, x0, "mul"))


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
    c = _scalar(x1, x0, "sub")
    if c is not None:
        return AddConstant(-c)(x0)
    return Sub()(x0, _as_operand(x1, x0, "sub"))


def rsub(x0, x1):
    return Sub()(_as_operand(x1, x0, "rsub"), x0)


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
    c = _scalar(x1, x0, "div")
    if c is not None:
        return DivConstant(c)(x0)
    return Div()(x0, _as_operand(x1, x0, "div"))


def rdiv(x0, x1):
    return Div()(_as_operand(x1, x0, "rdiv"), x0)


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
        xp = cuda.get_array_module(x0.data)
        zero_base = x0.data == 0
        if xp.any(zero_base):
            # at a zero base, y * log(x0) is 0 * -inf = nan, and for a zero exponent x1 * x0 ** -1 is
            # 0 * inf: both gradients are 0 there (0 ** b is flat in b for b > 0), as in PyTorch.  log
            # reads 1 and the exponent x1 - 1 reads 0 at those points; the shifts are constants
            # (AddConstant), so every order of derivative stays finite.
            shift = zero_base.astype(x0.dtype)
            log_x0 = log(AddConstant(shift)(x0))
            exponent = x1 - 1
            if exponent.shape != y.shape:
                exponent = broadcast_to(exponent, y.shape)
            zero_exp = zero_base & (x1.data == 0)  # broadcasts to y's shape
            gx0 = gy * x1 * x0 ** AddConstant(zero_exp.astype(x1.dtype))(exponent)
        else:
            log_x0 = log(x0)
            gx0 = gy * x1 * x0 ** (x1 - 1)
        gx1 = gy * y * log_x0
        return _sum_to(gx0, x0.shape), _sum_to(gx1, x1.shape)


def pow(x, c):
    if isinstance(c, Variable):
        return PowVar()(x, c)
    scalar = _scalar(c.item() if isinstance(c, np.ndarray) and c.ndim == 0 else c, x, "pow")
    if scalar is not None:
        return Pow(scalar)(x)
    return Pow(as_array(c, cuda.get_array_module(x.data)))(x)


class RPow(Function):
    """c ** x for a constant base c (a scalar or an array broadcasting against x)."""

    def __init__(self, c):
        self.c = c

    def forward(self, x):
        xp = cuda.get_array_module(x)
        # log c for the gradient c ** x * log c, read as 0 where c == 0: 0 ** x is flat in x (0 for
        # x > 0), where log 0 = -inf would make the gradient 0 * -inf = nan (PyTorch gives 0 too)
        c = xp.asarray(self.c)
        self.log_c = xp.log(xp.where(c == 0, 1, c))
        if np.ndim(self.c) == 0 and x.dtype.kind == "f":  # a scalar base keeps x's dtype
            self.log_c = self.log_c.astype(x.dtype)
        return self.c ** x

    def backward(self, gy):
        x, = self.inputs
        y = self.outputs[0]()
        return _sum_to(Scale(self.log_c)(gy * y), x.shape)


def rpow(x, c):
    """c ** x for a constant base c."""
    scalar = _scalar(c, x, "rpow")
    return RPow(scalar if scalar is not None else as_array(c, cuda.get_array_module(x.data)))(x)
