"""The define-by-run autograd engine: Config, Variable, Parameter, Function, arithmetic and operators.

Every `Function.__call__` runs `forward` on raw arrays and, while backprop is enabled, links its outputs
to itself.  `Variable.backward()` walks that graph from the output back to the leaves in generation order.
`Function.backward` takes and returns Variables and is written with Functions, so with
`create_graph=True` the backward pass is itself a graph and gradients of any order come for free.
"""
import contextlib
import heapq
import sys
import weakref

import numpy as np

from minigrad import cuda


# =============================================================================
# Config
# =============================================================================
class Config:
    """Global switches: `enable_backprop` (build graphs) and `train` (training-mode behaviour)."""
    enable_backprop = True
    train = True


@contextlib.contextmanager
def using_config(name, value):
    """Temporarily set `Config.<name>` to `value`."""
    old_value = getattr(Config, name)
    setattr(Config, name, value)
    try:
        yield
    finally:
        setattr(Config, name, old_value)


def no_grad():
    """Context manager: run without recording a graph."""
    return using_config("enable_backprop", False)


def test_mode():
    """Context manager: evaluation behaviour (dropout off, batch norm uses running statistics)."""
    return using_config("train", False)


# =============================================================================
# Variable / Parameter
# =============================================================================
class Variable:
    """A node of the graph: an array `data`, its gradient `grad` (a Variable) and its `creator`."""
    __slots__ = ("data", "name", "grad", "creator", "generation", "__weakref__")
    __array_priority__ = 200

    def __init__(self, data, name=None):
        if data is not None and not isinstance(data, np.ndarray) and not cuda.is_cupy_array(data):
            raise TypeError(f"Variable: data must be a numpy or cupy ndarray (or None), "
                            f"got {type(data).__name__}")
        self.data = data
        self.name = name
        self.grad = None
        self.creator = None
        self.generation = 0

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
        body = str(self.data).replace("\n", "\n" + " " * 9)
        return f"variable({body})"

    def set_creator(self, func):
        self.creator = func
        self.generation = func.generation + 1

    def unchain(self):
        """Forget the creator: this Variable becomes a leaf."""
        self.creator = None

    def cleargrad(self):
        self.grad = None

    def backward(self, retain_grad=False, create_graph=False):
        """Backpropagate from this Variable, accumulating `.grad` on the leaves.

        The seed gradient is `self.grad` if set, else ones.  Intermediate gradients are recomputed on
        every call (a stale one from an earlier `retain_grad=True` pass is replaced, not added to) and
        released afterwards unless `retain_grad`.  With `create_graph=True` the backward computation is
        recorded, so the gradients can be differentiated again.
        """
        if self.grad is None:
            xp = cuda.get_array_module(self.data)
            self.grad = Variable(xp.ones_like(self.data))
        if self.creator is None:
            return

        fresh = {id(self)}  # non-leaf Variables whose grad was set during this pass
        seen = {self.creator}
        heap = [(-self.creator.generation, 0, self.creator)]
        push, pop = heapq.heappush, heapq.heappop
        old_backprop = Config.enable_backprop
        Config.enable_backprop = create_graph
        try:
            while heap:
                f = pop(heap)[2]
                refs = f.outputs
                if len(refs) == 1:
                    y = refs[0]()
                    outputs = (y,)
                    gxs = f.backward(y.grad)
                else:
                    outputs = [ref() for ref in refs]  # an output not reached in this pass has no gradient
                    gxs = f.backward(*[y.grad if y is not None and id(y) in fresh else None
                                       for y in outputs])
                if type(gxs) is not tuple:
                    gxs = (gxs,)
                for x, gx in zip(f.inputs, gxs):
                    if gx is None:
                        continue
                    creator = x.creator
                    if creator is None:  # a leaf: accumulate across calls
                        if x.grad is not None:
                            x.grad = x.grad + gx
                        elif create_graph:
                            x.grad = gx
                        else:  # its own Variable (one gy may reach several leaves; the array is
                            x.grad = Variable(gx.data)  # shared, so never change .data in place)
                    elif id(x) in fresh:
                        x.grad = x.grad + gx
                    else:
                        fresh.add(id(x))
                        x.grad = gx
                        if creator not in seen:
                            seen.add(creator)
                            push(heap, (-creator.generation, len(seen), creator))
                if not retain_grad:
                    for y in outputs:
                        if y is not None and y is not self:
                            y.grad = None
        finally:
            Config.enable_backprop = old_backprop

    def unchain_backward(self):
        """Cut the graph behind this Variable (truncated backprop for RNNs)."""
        if self.creator is None:
            return
        funcs = [self.creator]
        while funcs:
            f = funcs.pop()
            for x in f.inputs:
                if x.creator is not None:
                    funcs.append(x.creator)
                    x.unchain()

    # --- tensor methods (implemented by Functions in minigrad.functions) ---
    def reshape(self, *shape):
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = shape[0]
        return _functions().reshape(self, shape)

    def transpose(self, *axes):
        if len(axes) == 0:
            axes = None
        elif len(axes) == 1 and (isinstance(axes[0], (tuple, list)) or axes[0] is None):
            axes = axes[0]
        return _functions().transpose(self, axes)

    @property
    def T(self):
        return _functions().transpose(self)

    def sum(self, axis=None, keepdims=False):
        return _functions().sum(self, axis, keepdims)

    def max(self, axis=None, keepdims=False):
        return _functions().max(self, axis, keepdims)

    def min(self, axis=None, keepdims=False):
        return _functions().min(self, axis, keepdims)

    def to_cpu(self):
        if self.data is not None:
            self.data = cuda.as_numpy(self.data)
        if self.grad is not None:
            self.grad.to_cpu()

    def to_gpu(self):
        if self.data is not None:
            self.data = cuda.as_cupy(self.data)
        if self.grad is not None:
            self.grad.to_gpu()


class Parameter(Variable):
    """A Variable that a Layer registers and an Optimizer updates."""
    __slots__ = ()


def _functions():
    from minigrad import functions
    return functions


def as_variable(obj):
    """Wrap an array in a Variable (Variables pass through)."""
    if isinstance(obj, Variable):
        return obj
    return Variable(obj)


def as_array(x, array_module=np, dtype=None):
    """Turn a Python/NumPy scalar (or array) into an array of `array_module` (arrays of that module
    pass through when no dtype is asked)."""
    if isinstance(x, np.ndarray) and dtype is None and array_module is np:
        return x
    if cuda.is_cupy_array(x) and dtype is None:
        return x
    return array_module.asarray(x, dtype=dtype)


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


# =============================================================================
# Function
# =============================================================================
class Function:
    """An operation of the graph: `forward` maps arrays to arrays; `backward` maps output-gradient
    Variables to input-gradient Variables, written with Functions so it is differentiable again."""

    generation = 0

    def __call__(self, *inputs):
        for x in inputs:
            if not isinstance(x, Variable):
                inputs = tuple([as_variable(x) for x in inputs])
                break
        n_inputs = len(inputs)
        if n_inputs == 1:
            x = inputs[0]
            ys = self.forward(x.data)
            generation = x.generation
        elif n_inputs == 2:
            x0, x1 = inputs
            if "cupy" in sys.modules:
                cuda.check_same_device(type(self).__name__, (x0.data, x1.data))
            ys = self.forward(x0.data, x1.data)
            generation = x0.generation if x0.generation > x1.generation else x1.generation
        else:
            xs = [x.data for x in inputs]
            if "cupy" in sys.modules:
                cuda.check_same_device(type(self).__name__, xs)
            ys = self.forward(*xs)
            generation = max([x.generation for x in inputs])

        if type(ys) is not tuple:  # the common single-output case, kept lean
            y = Variable(ys if type(ys) is np.ndarray else as_array(ys))
            if Config.enable_backprop:
                self.generation = generation
                y.creator = self
                y.generation = generation + 1
                self.inputs = inputs
                self.outputs = (weakref.ref(y),)
            return y

        outputs = [Variable(as_array(y)) for y in ys]
        if Config.enable_backprop:
            self.generation = generation
            for y in outputs:
                y.creator = self
                y.generation = generation + 1
            self.inputs = inputs
            self.outputs = tuple([weakref.ref(y) for y in outputs])
        return outputs if len(outputs) > 1 else outputs[0]

    def forward(self, *xs):
        raise NotImplementedError()

    def backward(self, *gys):
        raise NotImplementedError()


def _sum_to(gx, shape):
    """Sum a broadcast gradient back to `shape` (no-op when the shapes already match)."""
    if gx.shape == shape:
        return gx
    return _functions().sum_to(gx, shape)


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
        gx1 = gy * y * _functions().log(x0)
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


def matmul_operator(x, W):
    return _functions().matmul(x, W)


def rmatmul_operator(x, W):
    return _functions().matmul(W, x)


def get_item_operator(x, slices):
    return _functions().get_item(x, slices)


def setup_variable():
    """Install the arithmetic operators on Variable."""
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
    Variable.__rpow__ = rpow
    Variable.__matmul__ = matmul_operator
    Variable.__rmatmul__ = rmatmul_operator
    Variable.__getitem__ = get_item_operator


setup_variable()
