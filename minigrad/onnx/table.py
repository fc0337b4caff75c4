"""The table of mappings: every Function class export writes, with its converter, and the Functions it
refuses, with the reason.

A converter is called as converter(ctx, f, xs, ys): through the Context ctx (minigrad.onnx.context) it
appends the ONNX nodes computing Function f's outputs ys from its inputs xs, and records where the
batch axis of each output went.  The converters live by the kind of Function they map, as
minigrad.functions groups them: ops_math, ops_shape, ops_conv.
"""
import minigrad.functions as F
from minigrad.functions.conv import _PadConstant, _SumNHW
from minigrad.onnx import ops_conv, ops_math, ops_shape

CONVERTERS = {
    # arithmetic and elementwise
    F.Add: ops_math.binary("Add"),
    F.Sub: ops_math.binary("Sub"),
    F.Mul: ops_math.binary("Mul"),
    F.Div: ops_math.binary("Div"),
    F.PowVar: ops_math.binary("Pow"),
    F.AddConstant: ops_math.with_constant("Add"),
    F.DivConstant: ops_math.with_constant("Div"),
    F.Pow: ops_math.with_constant("Pow"),
    F.Scale: ops_math.scale,
    F.RPow: ops_math.rpow,
    F.Neg: ops_math.unary("Neg"),
    F.Copy: ops_math.unary("Identity"),
    F.BatchNorm: ops_math.batch_norm,
    F.Exp: ops_math.unary("Exp"),
    F.Log: ops_math.unary("Log"),
    F.Sin: ops_math.unary("Sin"),
    F.Cos: ops_math.unary("Cos"),
    F.Tanh: ops_math.unary("Tanh"),
    # activations and losses
    F.Sigmoid: ops_math.unary("Sigmoid"),
    F.ReLU: ops_math.unary("Relu"),
    F.LeakyReLU: ops_math.leaky_relu,
    F.Softmax: ops_math.softmax,
    F.LogSoftmax: ops_math.log_softmax,
    F.Clip: ops_math.clip,
    F.MeanSquaredError: ops_math.mean_squared_error,
    F.SoftmaxCrossEntropy: ops_math.softmax_cross_entropy,
    F.SigmoidCrossEntropy: ops_math.sigmoid_cross_entropy,
    # shapes, reductions, matrix products
    F.Reshape: ops_shape.reshape,
    F.Transpose: ops_shape.transpose,
    F.BroadcastTo: ops_shape.broadcast_to,
    F.GetItem: ops_shape.get_item,
    F.Sum: ops_shape.reduction("ReduceSum"),
    F.Max: ops_shape.reduction("ReduceMax"),
    F.Min: ops_shape.reduction("ReduceMin"),
    F.SumTo: ops_shape.sum_to,
    F.MatMul: ops_shape.matmul,
    F.Linear: ops_shape.linear,
    # convolution and pooling
    F.Conv2d: ops_conv.conv2d,
    F.Deconv2d: ops_conv.deconv2d,
    F.Pooling: ops_conv.max_pooling,
    F.AveragePooling: ops_conv.average_pooling,
    F.Im2col: ops_conv.im2col,
    F.Col2im: ops_conv.col2im,
    _PadConstant: ops_conv.pad_constant,  # pooling_simple's -inf padding
}

_BACKWARD = "it is part of a backward pass; export the forward computation"
UNMAPPED = {cls: _BACKWARD for cls in (F.TanhGrad, F.GetItemGrad, F.Conv2DGradW, F.Pooling2DGrad,
                                       F.Pooling2DWithIndexes, F.AveragePooling2DGrad, _SumNHW)}


def supported_functions():
    """The Function classes export maps, by name."""
    return sorted(cls.__name__ for cls in CONVERTERS)


def unsupported_functions():
    """{Function class name: why it has no mapping} for minigrad's Functions that export refuses."""
    return {cls.__name__: why for cls, why in UNMAPPED.items()}
