"""Convolution and pooling layers: Conv2d, Deconv2d, MaxPool2D, AveragePool2D, Flatten.

They follow DeZero's signatures (`Conv2d(out_channels, kernel_size, stride=1, pad=0, nobias=False,
dtype=np.float32, in_channels=None)`).  Weights are float32 by default
and use He initialisation (normal with std sqrt(2 / fan_in)), suited to ReLU networks.  When
in_channels is None the weight is created on the first call, on the input's device.
"""
import numpy as np

from minigrad import checks, cuda
from minigrad.core import Parameter
from minigrad.functions import average_pooling, conv2d, deconv2d, pooling, reshape
from minigrad.layers.base import Layer


class _ConvBase(Layer):
    _fname = None
    _w_layout = None

    def __init__(self, out_channels, kernel_size, stride=1, pad=0, nobias=False, dtype=np.float32,
                 in_channels=None):
        super().__init__()
        lname = type(self).__name__
        self.out_channels = checks.positive_int(out_channels, f"{lname}: out_channels")
        self.in_channels = None if in_channels is None else checks.positive_int(in_channels,
                                                                               f"{lname}: in_channels")
        self.kernel_size = checks.kernel_arg(lname, kernel_size)
        self.stride = checks.stride_arg(lname, stride)
        self.pad = checks.pad_arg(lname, pad)
        checks.bool_arg(nobias, f"{lname}: nobias", f"The arguments are {lname}(out_channels, "
                        f"kernel_size, stride=1, pad=0, nobias=False, dtype=np.float32, in_channels=None): "
                        f"PyTorch's nn.{self._torch_name}(in_channels, out_channels, kernel_size, stride, "
                        f"padding) is {lname}(out_channels, kernel_size, stride, pad, "
                        f"in_channels=in_channels)")
        self.dtype = np.dtype(dtype)
        self.W = Parameter(None, name="W")
        if self.in_channels is not None:
            self._init_W()
        self.b = None if nobias else Parameter(np.zeros(self.out_channels, dtype=self.dtype), name="b")

    def _w_shape(self, in_channels):
        raise NotImplementedError()

    def _lazy_spec(self, name):
        return (self._w_shape("in_channels"), self.dtype) if name == "W" else None

    def _init_W(self, xp=np):
        KH, KW = self.kernel_size
        fan_in = self.in_channels * KH * KW
        scale = np.sqrt(2.0 / fan_in)  # He initialisation
        W = xp.random.randn(*self._w_shape(self.in_channels)) * scale
        self.W.data = W.astype(self.dtype)

    def _lazy_init(self, x):
        if self.W.data is not None:
            return
        shape = getattr(x, "shape", ())
        if len(shape) != 4:
            raise ValueError(f"{type(self).__name__}: x must be a 4-D array (N, C, H, W), got shape "
                             f"{tuple(shape)}")
        self.in_channels = int(shape[1])
        self._init_W(cuda.get_array_module(x))


class Conv2d(_ConvBase):
    """2-D convolution layer: W (out_channels, in_channels, KH, KW), b (out_channels,)."""
    _torch_name = "Conv2d"

    def _w_shape(self, in_channels):
        return (self.out_channels, in_channels) + self.kernel_size

    def forward(self, x):
        self._lazy_init(x)
        return conv2d(x, self.W, self.b, self.stride, self.pad)


class Deconv2d(_ConvBase):
    """2-D transposed convolution layer: W (in_channels, out_channels, KH, KW), b (out_channels,).
    Output size SH*(H-1) + KH - 2*PH (and likewise for the width)."""
    _torch_name = "ConvTranspose2d"

    def _w_shape(self, in_channels):
        return (in_channels, self.out_channels) + self.kernel_size

    def forward(self, x):
        self._lazy_init(x)
        return deconv2d(x, self.W, self.b, self.stride, self.pad)


class _Pool2D(Layer):
    """A pooling layer: `pool(x, kernel_size, stride, pad)`, stride defaulting to kernel_size."""
    pool = None

    def __init__(self, kernel_size, stride=None, pad=0):
        super().__init__()
        name = type(self).__name__
        self.kernel_size = checks.kernel_arg(name, kernel_size)
        self.stride = self.kernel_size if stride is None else checks.stride_arg(name, stride)
        self.pad = checks.pad_arg(name, pad)

    def forward(self, x):
        return type(self).pool(x, self.kernel_size, self.stride, self.pad)


class MaxPool2D(_Pool2D):
    """Max pooling; stride defaults to kernel_size (non-overlapping windows); padding is -inf."""
    pool = pooling


class AveragePool2D(_Pool2D):
    """Average pooling; stride defaults to kernel_size; padding counts as zeros."""
    pool = average_pooling


class Flatten(Layer):
    """(N, C, H, W) (or any (N, ...)) -> (N, C*H*W); differentiable, the gradient gets the input shape."""

    def forward(self, x):
        shape = getattr(x, "shape", ())
        if len(shape) < 1:
            raise ValueError(f"Flatten: x must have a batch axis, got shape {tuple(shape)}")
        return reshape(x, (shape[0], -1))

