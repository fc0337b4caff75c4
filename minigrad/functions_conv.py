"""The convolution family under DeZero's module name (`dezero.functions_conv`): a facade over
minigrad.functions.conv, the raw kernels being in minigrad.kernels."""
from minigrad.checks import pair  # noqa: F401
from minigrad.functions.conv import (  # noqa: F401
    AveragePooling, AveragePooling2DGrad, Col2im, Conv2d, Conv2DGradW, Deconv2d, Im2col, Pooling,
    Pooling2DGrad, Pooling2DWithIndexes, average_pooling, col2im, col2im_array, conv2d, conv2d_simple,
    deconv2d, im2col, im2col_array, pooling, pooling_simple)
from minigrad.functions.conv import MaxPooling  # noqa: F401  (Pooling is its DeZero name)
from minigrad.kernels.geometry import conv_outsize as get_conv_outsize  # noqa: F401
from minigrad.kernels.geometry import deconv_outsize as get_deconv_outsize  # noqa: F401
