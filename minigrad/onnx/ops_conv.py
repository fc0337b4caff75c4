"""Converters (see minigrad.onnx.table) of the convolution and pooling Functions
(minigrad.functions.conv): Conv2d, Deconv2d, max and average pooling, Im2col, Col2im and
pooling_simple's constant padding."""
import numpy as np

from minigrad.kernels.geometry import conv_outsize, deconv_outsize


def _nchw_batch(ctx, x, what):
    """x's batch info, which must be None or on axis 0 (N of NCHW)."""
    info = ctx.batch(x)
    if info is not None and info[0] != 0:
        ctx.need_static(f"{what} needs the batch on axis 0, but it is on axis {info[0]}")
    return info


def _pads(pad):
    return [int(pad[0]), int(pad[1]), int(pad[0]), int(pad[1])]


def _conv_transpose(ctx, inputs, output, in_hw, out_hw, kernel, stride, pad):
    """A ConvTranspose node from (H, W) `in_hw` to `out_hw`, which may exceed deconv_outsize's
    default: the rest is ONNX's output_padding."""
    extra = [int(out - deconv_outsize(size, k, s, p))
             for out, size, k, s, p in zip(out_hw, in_hw, kernel, stride, pad)]
    attrs = dict(kernel_shape=list(kernel), strides=list(stride), pads=_pads(pad))
    if any(extra):
        attrs["output_padding"] = extra
    return ctx.node("ConvTranspose", inputs, output, **attrs)


def conv2d(ctx, f, xs, ys):
    x, W = xs[0], xs[1]
    y = ys[0]
    info = _nchw_batch(ctx, x, "conv2d")
    names = [ctx.inp(v, y.dtype) for v in xs]
    ctx.node("Conv", names, ctx.out(y), kernel_shape=list(W.shape[2:]), strides=list(f.stride),
             pads=_pads(f.pad))
    ctx.set_batch(y, info)


def deconv2d(ctx, f, xs, ys):
    x, W = xs[0], xs[1]
    y = ys[0]
    info = _nchw_batch(ctx, x, "deconv2d")
    _conv_transpose(ctx, [ctx.inp(v, y.dtype) for v in xs], ctx.out(y), x.shape[2:], y.shape[2:],
                    W.shape[2:], f.stride, f.pad)
    ctx.set_batch(y, info)


def _pooling(op, what, **attrs):
    def convert(ctx, f, xs, ys):
        x, y = xs[0], ys[0]
        info = _nchw_batch(ctx, x, what)
        ctx.node(op, [ctx.inp(x)], ctx.out(y), kernel_shape=list(f.kernel_size),
                 strides=list(f.stride), pads=_pads(f.pad), **attrs)
        ctx.set_batch(y, info)
    return convert


# ONNX MaxPool ignores padding (as minigrad's -inf padding does); floor output sizes in both
max_pooling = _pooling("MaxPool", "pooling")
average_pooling = _pooling("AveragePool", "average_pooling", count_include_pad=1)  # padding counts as zeros


def _scaled(info, divisor, ctx):
    if info is None:
        return None
    if info[1] % divisor:
        ctx.need_static("the batch axis does not hold whole samples here")
    return (info[0], info[1] // divisor)


def _out_hw(f, H, W):
    (KH, KW), (SH, SW), (PH, PW) = f.kernel_size, f.stride, f.pad
    return conv_outsize(H, KH, SH, PH), conv_outsize(W, KW, SW, PW)


def im2col(ctx, f, xs, ys):
    """One strided Slice per kernel offset, stacked: exact for any values (-inf padding included)."""
    x, y = xs[0], ys[0]
    info = _nchw_batch(ctx, x, "im2col")
    (KH, KW), (SH, SW), (PH, PW) = f.kernel_size, f.stride, f.pad
    N, C, H, W = x.shape
    OH, OW = _out_hw(f, H, W)
    cur = ctx.inp(x)
    if PH or PW:
        cur = ctx.node("Pad", [cur, ctx.ints([0, 0, PH, PW, 0, 0, PH, PW])])
    parts = []
    for i in range(KH):
        for j in range(KW):
            stops = [i + SH * (OH - 1) + 1, j + SW * (OW - 1) + 1]
            part = ctx.node("Slice", [cur, ctx.ints([i, j]), ctx.ints(stops), ctx.ints([2, 3]),
                                      ctx.ints([SH, SW])])
            parts.append(ctx.node("Unsqueeze", [part, ctx.ints([2])]))
    col = ctx.node("Concat", parts, axis=2) if len(parts) > 1 else parts[0]   # (N, C, KH*KW, OH, OW)
    col = ctx.node("Reshape", [col, ctx.ints([0, C, KH, KW, OH, OW])])
    if f.to_matrix:
        col = ctx.node("Transpose", [col], perm=[0, 4, 5, 1, 2, 3])
        col = ctx.node("Reshape", [col, ctx.ints([-1, C * KH * KW])])
        info = None if info is None else (0, info[1] * OH * OW)
    ctx.node("Identity", [col], ctx.out(y))
    ctx.set_batch(y, info)


def col2im(ctx, f, xs, ys):
    """The adjoint of im2col: a ConvTranspose of each (sample, channel) with a one-hot kernel per offset."""
    x, y = xs[0], ys[0]
    KH, KW = f.kernel_size
    N, C, H, W = f.input_shape
    OH, OW = _out_hw(f, H, W)
    info = _nchw_batch(ctx, x, "col2im")
    cur = ctx.inp(x)
    if f.to_matrix:
        info = _scaled(info, OH * OW, ctx)
        cur = ctx.node("Reshape", [cur, ctx.ints([-1, OH, OW, C, KH, KW])])
        cur = ctx.node("Transpose", [cur], perm=[0, 3, 4, 5, 1, 2])
    cur = ctx.node("Reshape", [cur, ctx.ints([-1, KH * KW, OH, OW])])  # (N*C, KH*KW, OH, OW)
    onehot = np.zeros((KH * KW, 1, KH, KW), dtype=y.dtype)
    for k in range(KH * KW):
        onehot[k, 0, k // KW, k % KW] = 1
    cur = _conv_transpose(ctx, [cur, ctx.const(onehot)], None, (OH, OW), (H, W), (KH, KW), f.stride,
                          f.pad)
    ctx.node("Reshape", [cur, ctx.ints([-1, C, H, W])], ctx.out(y))
    ctx.set_batch(y, info)


def pad_constant(ctx, f, xs, ys):
    x, y = xs[0], ys[0]
    info = _nchw_batch(ctx, x, "padding")
    PH, PW = f.pad
    ctx.node("Pad", [ctx.inp(x), ctx.ints([0, 0, PH, PW, 0, 0, PH, PW]), ctx.const(f.value, y.dtype)],
             ctx.out(y), mode="constant")
    ctx.set_batch(y, info)
