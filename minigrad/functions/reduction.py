"""Max and min over axes (ties share the gradient)."""
from minigrad.core import Function
from minigrad.functions.arithmetic import Scale
from minigrad.functions.shape import broadcast_to
from minigrad.kernels.reduction import reshape_sum_backward


class Max(Function):
    def __init__(self, axis=None, keepdims=False):
        self.axis = axis
        self.keepdims = keepdims

    def forward(self, x):
        y = self._reduce(x)
        y_kept = reshape_sum_backward(y, x.shape, self.axis, self.keepdims)
        # Ties share the gradient equally, so it still sums to gy.
        mask = (x == y_kept).astype(x.dtype)
        mask /= mask.sum(axis=self.axis, keepdims=True)
        self.mask = mask
        return y

    def _reduce(self, x):
        return x.max(axis=self.axis, keepdims=self.keepdims)

    def backward(self, gy):
        x, = self.inputs
        gy = reshape_sum_backward(gy, x.shape, self.axis, self.keepdims)
        return Scale(self.mask)(broadcast_to(gy, x.shape))


class Min(Max):
    def _reduce(self, x):
        return x.min(axis=self.axis, keepdims=self.keepdims)


def max(x, axis=None, keepdims=False):
    return Max(tuple(axis) if isinstance(axis, list) else axis, keepdims)(x)


def min(x, axis=None, keepdims=False):
    return Min(tuple(axis) if isinstance(axis, list) else axis, keepdims)(x)
