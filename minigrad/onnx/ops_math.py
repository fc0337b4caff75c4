"""Converters (see minigrad.onnx.table) of the arithmetic, elementwise, activation and loss
Functions (minigrad.functions.arithmetic, .elementwise, .activation, .loss)."""
import math

import numpy as np

import minigrad.functions as F
from minigrad.onnx.ops_shape import sum_axes


# =============================================================================
# Arithmetic and elementwise
# =============================================================================
def _elementwise(ctx, op, xs, y, consts=()):
    """Node `op` over Variables xs (then constants) with output y; batch info by broadcasting."""
    names = [ctx.inp(x, y.dtype) for x in xs]
    operands = [(x.shape, ctx.batch(x)) for x in xs]
    for c in consts:
        names.append(ctx.const(c, y.dtype))
        operands.append((np.shape(c), None))
    ctx.set_batch(y, ctx.broadcast_batch(operands, y.shape))
    ctx.node(op, names, ctx.out(y))


def binary(op):
    """Converter of a Function of two Variables that the broadcasting ONNX op `op` computes."""
    def convert(ctx, f, xs, ys):
        _elementwise(ctx, op, xs, ys[0])
    return convert


def with_constant(op):
    """Converter of a Function of one Variable x and its constant f.c that ONNX computes as op(x, c)."""
    def convert(ctx, f, xs, ys):
        _elementwise(ctx, op, xs, ys[0], [f.c])
    return convert


def _unary_node(ctx, op, x, y, **attrs):
    ctx.node(op, [ctx.inp(x, y.dtype)], ctx.out(y), **attrs)
    ctx.set_batch(y, ctx.batch(x))


def unary(op):
    """Converter of a Function of one Variable that the ONNX op `op` computes."""
    def convert(ctx, f, xs, ys):
        _unary_node(ctx, op, xs[0], ys[0])
    return convert


def scale(ctx, f, xs, ys):
    x, y = xs[0], ys[0]
    s = x.creator
    if np.ndim(f.c) == 0 and isinstance(s, F.Sum) and s.inputs[0].size and \
            math.isclose(float(f.c), x.size / s.inputs[0].size, rel_tol=1e-6):  # c may be a float32
        # F.average is sum(x) * (y.size / x.size): one ReduceMean, right for any batch size
        ctx.reduce("ReduceMean", ctx.inp(s.inputs[0], y.dtype), sum_axes(s), s.keepdims, ctx.out(y))
        ctx.set_batch(y, ctx.batch(x))
        return
    _elementwise(ctx, "Mul", xs, y, [f.c])


def rpow(ctx, f, xs, ys):
    x, y = xs[0], ys[0]
    ctx.set_batch(y, ctx.broadcast_batch([(np.shape(f.c), None), (x.shape, ctx.batch(x))], y.shape))
    ctx.node("Pow", [ctx.const(f.c, y.dtype), ctx.inp(x, y.dtype)], ctx.out(y))


# =============================================================================
# Activations
# =============================================================================
def leaky_relu(ctx, f, xs, ys):
    _unary_node(ctx, "LeakyRelu", xs[0], ys[0], alpha=float(f.slope))


def softmax(ctx, f, xs, ys):
    _unary_node(ctx, "Softmax", xs[0], ys[0], axis=int(f.axis))


def log_softmax(ctx, f, xs, ys):
    _unary_node(ctx, "LogSoftmax", xs[0], ys[0], axis=int(f.axis))


def clip(ctx, f, xs, ys):
    x, y = xs[0], ys[0]
    ctx.node("Clip", [ctx.inp(x, y.dtype), ctx.const(f.x_min, y.dtype), ctx.const(f.x_max, y.dtype)],
             ctx.out(y))
    ctx.set_batch(y, ctx.batch(x))


# =============================================================================
# Losses
# =============================================================================
def _length(ctx, info, n, value, dtype):
    """len(...) as a scalar of `dtype`: n, or read from `value`'s shape when axis 0 is the batch."""
    if info is None or info[0] != 0:
        return ctx.const(n, dtype)
    n = ctx.node("Gather", [ctx.node("Shape", [value]), ctx.ints(0)], axis=0)
    return ctx.node("Cast", [n], to=ctx.elem_type(dtype))


def mean_squared_error(ctx, f, xs, ys):
    x0, x1 = xs
    y = ys[0]
    shape = np.broadcast_shapes(x0.shape, x1.shape)
    info = ctx.broadcast_batch([(x0.shape, ctx.batch(x0)), (x1.shape, ctx.batch(x1))], shape)
    diff = ctx.node("Sub", [ctx.inp(x0, y.dtype), ctx.inp(x1, y.dtype)])
    total = ctx.reduce("ReduceSum", ctx.node("Mul", [diff, diff]), None, False)
    ctx.node("Div", [total, _length(ctx, info, shape[0], diff, y.dtype)], ctx.out(y))
    ctx.set_batch(y, None)


def softmax_cross_entropy(ctx, f, xs, ys):
    x, t = xs
    y = ys[0]
    if ctx.batch(x) is not None and ctx.batch(t) is None:
        ctx.need_static("the labels are a constant of the example's batch size")
    log_p = ctx.node("LogSoftmax", [ctx.inp(x, y.dtype)], axis=1)
    labels = ctx.node("Unsqueeze", [ctx.inp(t, np.int64), ctx.ints([1])])
    picked = ctx.node("GatherElements", [log_p, labels], axis=1)
    ctx.node("Neg", [ctx.reduce("ReduceMean", picked, None, False)], ctx.out(y))
    ctx.set_batch(y, None)


def sigmoid_cross_entropy(ctx, f, xs, ys):
    x, t = xs
    y = ys[0]
    ctx.broadcast_batch([(x.shape, ctx.batch(x)), (t.shape, ctx.batch(t))], x.shape)
    xv, tv = ctx.inp(x, y.dtype), ctx.inp(t, y.dtype)
    # max(x, 0) - x t + log(1 + exp(-|x|)), summed, over len(x)
    loss = ctx.node("Add", [ctx.node("Sub", [ctx.node("Relu", [xv]), ctx.node("Mul", [xv, tv])]),
                            ctx.node("Softplus", [ctx.node("Neg", [ctx.node("Abs", [xv])])])])
    total = ctx.reduce("ReduceSum", loss, None, False)
    ctx.node("Div", [total, _length(ctx, ctx.batch(x), x.shape[0], xv, y.dtype)], ctx.out(y))
    ctx.set_batch(y, None)


# =============================================================================
# Normalisation
# =============================================================================
def batch_norm(ctx, f, xs, ys):
    """F.BatchNorm.  In test mode (the mode export runs in) ONNX's BatchNormalization with the running
    statistics as initializers; run in training mode, the batch statistics as ReduceMean nodes.  Both
    compute (x - mean) / sqrt(var + eps) * gamma + beta, as the forward does."""
    x, gamma, beta = xs
    y = ys[0]
    xv = ctx.inp(x, y.dtype)
    if not f.train:
        mean = ctx.const(f.mean_used.reshape(-1), y.dtype, f"{ctx.node_name}/mean")
        var = ctx.const(f.avg_var.reshape(-1), y.dtype, f"{ctx.node_name}/var")
        ctx.node("BatchNormalization", [xv, ctx.inp(gamma, y.dtype), ctx.inp(beta, y.dtype), mean, var],
                 ctx.out(y), epsilon=float(f.eps))
    else:
        axes = [0] + list(range(2, x.ndim))
        param_shape = ctx.ints([1, x.shape[1]] + [1] * (x.ndim - 2))
        xc = ctx.node("Sub", [xv, ctx.reduce("ReduceMean", xv, axes, True)])
        var = ctx.reduce("ReduceMean", ctx.node("Mul", [xc, xc]), axes, True)
        inv_std = ctx.node("Reciprocal", [ctx.node("Sqrt", [ctx.node("Add", [var, ctx.const(f.eps, y.dtype)])])])
        g = ctx.node("Reshape", [ctx.inp(gamma, y.dtype), param_shape])
        b = ctx.node("Reshape", [ctx.inp(beta, y.dtype), param_shape])
        ctx.node("Add", [ctx.node("Mul", [xc, ctx.node("Mul", [inv_std, g])]), b], ctx.out(y))
    ctx.set_batch(y, ctx.batch(x))
