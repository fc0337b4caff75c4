"""Variable's operators and tensor methods, installed on the class from the Functions that implement
them: `+ - * / ** @ []` (with their reflected forms) and `reshape`, `transpose`, `T`, `sum`, `max`,
`min`; and PyTorch's `item`, `argmax`, `view`, so those habits work too.  The engine (minigrad.core)
knows none of them; `import minigrad` calls setup_variable()."""
from minigrad.core import Variable
from minigrad.functions import arithmetic, reduction, shape
from minigrad.functions.matrix import matmul


def _reshape(self, *shape_):
    if len(shape_) == 1 and isinstance(shape_[0], (tuple, list)):
        shape_ = shape_[0]
    return shape.reshape(self, shape_)


def _transpose(self, *axes):
    if len(axes) == 0:
        axes = None
    elif len(axes) == 1 and (isinstance(axes[0], (tuple, list)) or axes[0] is None):
        axes = axes[0]
    return shape.transpose(self, axes)


def _sum(self, axis=None, keepdims=False):
    return shape.sum(self, axis, keepdims)


def _max(self, axis=None, keepdims=False):
    return reduction.max(self, axis, keepdims)


def _min(self, axis=None, keepdims=False):
    return reduction.min(self, axis, keepdims)


def _item(self):
    """The one element as a Python number (PyTorch's Tensor.item)."""
    if self.data is None or self.data.size != 1:
        shape = None if self.data is None else self.data.shape
        raise ValueError(f"Variable.item: only a Variable of one element converts to a Python number, "
                         f"got shape {shape}")
    return self.data.item()


def _argmax(self, axis=None, keepdims=False):
    """Indices of the maxima as a plain int array (NumPy or CuPy, as `data`), not a Variable: an index
    has no gradient, and an array compares with label arrays elementwise (`(y.argmax(1) == t).mean()`),
    where a Variable would not."""
    return self.data.argmax(axis=axis, keepdims=keepdims)


def _rmatmul(x, W):
    return matmul(W, x)


def setup_variable():
    """Install the operators and tensor methods on Variable."""
    Variable.__add__ = arithmetic.add
    Variable.__radd__ = arithmetic.add
    Variable.__mul__ = arithmetic.mul
    Variable.__rmul__ = arithmetic.mul
    Variable.__neg__ = arithmetic.neg
    Variable.__sub__ = arithmetic.sub
    Variable.__rsub__ = arithmetic.rsub
    Variable.__truediv__ = arithmetic.div
    Variable.__rtruediv__ = arithmetic.rdiv
    Variable.__pow__ = arithmetic.pow
    Variable.__rpow__ = arithmetic.rpow
    Variable.__matmul__ = matmul
    Variable.__rmatmul__ = _rmatmul
    Variable.dot = matmul      # DeZero's Variable.dot and Variable.matmaul (sic), and NumPy's matmul
    Variable.matmul = matmul
    Variable.matmaul = matmul
    Variable.__getitem__ = shape.get_item
    Variable.reshape = _reshape
    Variable.transpose = _transpose
    Variable.T = property(shape.transpose)
    Variable.sum = _sum
    Variable.max = _max
    Variable.min = _min
    Variable.item = _item
    Variable.argmax = _argmax
    Variable.view = _reshape  # PyTorch's name; a reshape, so it also works on non-contiguous data
