"""Differentiable operations, one module per concept; `import minigrad.functions as F` sees them all.

Each Function's backward is written with Functions, so every op here can be differentiated again.
Modules, lowest first (each imports only those before it): shape, elementwise, arithmetic, reduction,
matrix, activation, loss, normalization, conv.
"""
from minigrad.core import Config, Copy, Function, Variable, as_array, as_variable  # noqa: F401  (DeZero's F.*)
from minigrad.functions.shape import (  # noqa: F401
    BroadcastTo, GetItem, GetItemGrad, Reshape, Sum, SumTo, Transpose, average, broadcast_to, expand_dims,
    flatten, get_item, mean, reshape, sum, sum_to, transpose)
from minigrad.functions.elementwise import Cos, Exp, Log, Sin, Tanh, TanhGrad, cos, exp, log, sin, tanh  # noqa: F401
from minigrad.functions.arithmetic import (  # noqa: F401
    Add, AddConstant, Div, DivConstant, Mul, Neg, Pow, PowVar, RPow, Scale, Sub, add, div, mul, neg, pow,
    rdiv, rpow, rsub, sub)
from minigrad.functions.reduction import Max, Min, max, min  # noqa: F401
from minigrad.functions.matrix import Linear, MatMul, linear, linear_simple, matmul  # noqa: F401
from minigrad.functions.activation import (  # noqa: F401
    Clip, LeakyReLU, LogSoftmax, ReLU, Sigmoid, Softmax, clip, leaky_relu, log_softmax, relu, sigmoid,
    sigmoid_simple, softmax, softmax_simple)
from minigrad.functions.loss import (  # noqa: F401
    MeanSquaredError, SigmoidCrossEntropy, SoftmaxCrossEntropy, accuracy, binary_cross_entropy,
    mean_squared_error, mean_squared_error_simple, sigmoid_cross_entropy, softmax_cross_entropy,
    softmax_cross_entropy_simple)
from minigrad.functions.loss import softmax_cross_entropy as cross_entropy  # noqa: F401  (PyTorch's name)
from minigrad.functions.normalization import BatchNorm, batch_norm, batch_nrom, dropout, embed_id  # noqa: F401
from minigrad.functions.conv import (  # noqa: F401
    AveragePooling, AveragePooling2DGrad, Col2im, Conv2d, Conv2DGradW, Deconv2d, Im2col, Pooling,
    Pooling2DGrad, Pooling2DWithIndexes, average_pooling, col2im, col2im_array, conv2d, conv2d_simple,
    deconv2d, im2col, im2col_array, pooling, pooling_simple)
from minigrad.functions.conv import MaxPooling  # noqa: F401  (Pooling is its DeZero name)
