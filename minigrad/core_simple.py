"""The simple engine: the whole of autograd in one file, as the DeZero book builds it in steps 23-29.

A `Function` runs `forward` on NumPy arrays and, while backprop is enabled, remembers its inputs and
(weakly) its outputs, so every result knows the Function that made it.  `Variable.backward()` walks
those links from the output back to the inputs, newest Function first, and applies each Function's
`backward`: the chain rule.  Here gradients are plain ndarrays, so they cannot be differentiated again;
minigrad.core is the full engine, whose gradients are Variables (higher derivatives) and whose arithmetic
broadcasts.  `import minigrad` never loads this module: import `minigrad.core_simple` to use it.
"""
import contextlib
import weakref

import numpy as np


# =============================================================================
# Config
# =============================================================================
class Config:
    """enable_backprop: whether Functions record the graph (off when only the values are needed)."""
    enable_backprop = True


@contextlib.contextmanager
def using_config(name, value):
    """Set `Config.<name>` to `value` inside a `with` block, restoring it afterwards."""
    old_value = getattr(Config, name)
    setattr(Config, name, value)
    try:
        yield
    finally:
        setattr(Config, name, old_value)


def no_grad():
    """Run without recording a graph: saves the memory that backward would need."""
    return using_config("enable_backprop", False)


# =============================================================================
# Variable
# =============================================================================
class Variable:
    """A node of the graph: an ndarray `data`, its gradient `grad` (an ndarray) and its `creator`."""
    __array_priority__ = 200  # ndarray + Variable calls Variable.__radd__, not NumPy's elementwise add

    def __init__(self, data, name=None):
        if data is not None and not isinstance(data, np.ndarray):
            raise TypeError(f"Variable: data must be a numpy.ndarray or None, got {type(data).__name__}")
        self.data = data
        self.name = name
        self.grad = None
        self.creator = None
        self.generation = 0  # one more than its creator's: backward's processing order

    @property
    def shape(self):
        return self.data.shape

    @property
    def ndim(self):
        return self.data.ndim

    @property
    def size(self):
        return self.data.size

    @property
    def dtype(self):
        return self.data.dtype

    def __len__(self):
        return len(self.data)

    def __repr__(self):
        if self.data is None:
            return "variable(None)"
        return "variable(" + str(self.data).replace("\n", "\n" + " " * 9) + ")"

    def set_creator(self, func):
        self.creator = func
        self.generation = func.generation + 1

    def cleargrad(self):
        self.grad = None

    def backward(self, retain_grad=False):
        """Fill in `.grad` of every Variable this one was computed from, by the chain rule.

        Functions are processed newest generation first, so each sees the complete gradient of its
        output before passing it on.  A leaf adds to its `.grad` across calls (cleargrad() starts it
        again); an intermediate's gradient starts afresh on each pass and is dropped after use unless
        `retain_grad`.
        """
        if self.grad is None:
            self.grad = np.ones_like(self.data)
        funcs, seen, fresh = [], set(), set()  # fresh: intermediates given a gradient in this pass

        def add_func(f):
            if f not in seen:
                seen.add(f)
                funcs.append(f)
                funcs.sort(key=lambda func: func.generation)

        if self.creator is not None:
            add_func(self.creator)
        while funcs:
            f = funcs.pop()
            gys = [output().grad for output in f.outputs]
            gxs = f.backward(*gys)
            if not isinstance(gxs, tuple):
                gxs = (gxs,)
            for x, gx in zip(f.inputs, gxs):
                if x.grad is not None and (x.creator is None or x in fresh):
                    # Used more than once: the gradients add up.  A new array, never +=: x.grad may
                    # be the very array another Variable holds (Add passes gy on to both inputs).
                    gx = x.grad + gx
                x.grad = as_array(gx)
                if x.creator is not None:
                    fresh.add(x)
                    add_func(x.creator)
            if not retain_grad:
                for output in f.outputs:
                    if output() is not self:
                        output().grad = None


def as_array(x):
    """`x` as an ndarray: NumPy returns a scalar, not a 0-d array, from arithmetic on 0-d arrays."""
    if np.isscalar(x):
        return np.array(x)
    return x


def as_variable(obj):
    if isinstance(obj, Variable):
        return obj
    return Variable(obj)


def _operand(x, like):
    """The other operand of an arithmetic op as an ndarray.  A Python or NumPy number takes the
    floating dtype of Variable `like`, so float32 * 2.0 stays float32 (as in minigrad.core)."""
    if isinstance(x, (int, float, np.integer, np.floating)) and like.dtype.kind == "f":
        return np.array(x, dtype=like.dtype)
    return as_array(x)


# =============================================================================
# Function
# =============================================================================
class Function:
    """An operation: `forward` maps ndarrays to ndarrays, `backward` maps the output gradient to one
    gradient per input (ndarrays too).  Calling it links the outputs to it for backward."""

    def __call__(self, *inputs):
        inputs = [as_variable(x) for x in inputs]
        xs = [x.data for x in inputs]
        ys = self.forward(*xs)
        if not isinstance(ys, tuple):
            ys = (ys,)
        outputs = [Variable(as_array(y)) for y in ys]
        if Config.enable_backprop:
            self.generation = max([x.generation for x in inputs])
            for output in outputs:
                output.set_creator(self)
            self.inputs = inputs
            # Weak references: output -> creator -> output would be a cycle only the GC can free.
            self.outputs = [weakref.ref(output) for output in outputs]
        return outputs if len(outputs) > 1 else outputs[0]

    def forward(self, *xs):
        raise NotImplementedError()

    def backward(self, *gys):
        raise NotImplementedError()


# =============================================================================
# Arithmetic (operands of the same shape: no gradient is summed back over broadcast axes)
# =============================================================================
class Add(Function):
    def forward(self, x0, x1):
        return x0 + x1

    def backward(self, gy):
        return gy, gy


def add(x0, x1):
    return Add()(x0, _operand(x1, x0))


class Mul(Function):
    def forward(self, x0, x1):
        return x0 * x1

    def backward(self, gy):
        x0, x1 = self.inputs[0].data, self.inputs[1].data
        return gy * x1, gy * x0


def mul(x0, x1):
    return Mul()(x0, _operand(x1, x0))


class Neg(Function):
    def forward(self, x):
        return -x

    def backward(self, gy):
        return -gy


def neg(x):
    return Neg()(x)


class Sub(Function):
    def forward(self, x0, x1):
        return x0 - x1

    def backward(self, gy):
        return gy, -gy


def sub(x0, x1):
    return Sub()(x0, _operand(x1, x0))


def rsub(x0, x1):
    """x1 - x0: Python calls x0.__rsub__(x1) for `x1 - x0`, so the operands swap back."""
    return Sub()(_operand(x1, x0), x0)


class Div(Function):
    def forward(self, x0, x1):
        return x0 / x1

    def backward(self, gy):
        x0, x1 = self.inputs[0].data, self.inputs[1].data
        return gy / x1, gy * (-x0 / x1 ** 2)


def div(x0, x1):
    return Div()(x0, _operand(x1, x0))


def rdiv(x0, x1):
    """x1 / x0, for `x1 / x0` with a non-Variable x1."""
    return Div()(_operand(x1, x0), x0)


class Pow(Function):
    """x ** c for a constant exponent c."""

    def __init__(self, c):
        self.c = c

    def forward(self, x):
        return x ** self.c

    def backward(self, gy):
        x, c = self.inputs[0].data, self.c
        return c * x ** (c - 1) * gy


def pow(x, c):
    return Pow(c)(x)


def setup_variable():
    """Install the arithmetic operators on this module's Variable (never on minigrad.core's)."""
    Variable.__add__ = add
    Variable.__radd__ = add
    Variable.__mul__ = mul
    Variable.__rmul__ = mul
    Variable.__neg__ = neg
    Variable.__sub__ = sub
    Variable.__rsub__ = rsub
    Variable.__truediv__ = div
    Variable.__rtruediv__ = rdiv
    Variable.__pow__ = pow


setup_variable()
