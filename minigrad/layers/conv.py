"""Convolution and pooling layers: Conv2d, Deconv2d, MaxPool2D, AveragePool2D, Flatten.

They follow DeZero's signatures (`Conv2d(out_channels, kernel_size, stride=1, pad=0, nobias=False,
dtype=np.float32, in_channels=None)`); keywords give PyTorch's order in any order
(`Conv2d(in_channels=1, out_channels=16, kernel_size=3)`).  Weights are float32 by default
and use He initialisation (normal with std sqrt(2 / fan_in)), suited to ReLU networks.  When
in_channels is None the weight is created on the first call, on the input's device.
"""
import warnings

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


# A same-channel conv with a kernel this large and a smaller stride > 1 is, in practice, PyTorch's
# positional order (in_channels, out_channels, kernel_size) read as DeZero's: the smallest common first
# out_channels (LeNet's 6) becomes the kernel.  Legitimate DeZero layers of that shape are rare, so
# this warns rather than raises.
_PYTORCH_ORDER_MIN_KERNEL = 6


class Conv2d(_ConvBase):
    """2-D convolution layer: W (out_channels, in_channels, KH, KW), b (out_channels,).

    Positional arguments follow DeZero's order (out_channels, kernel_size, stride, pad); PyTorch's
    order is written with keywords, in any order: `Conv2d(in_channels=1, out_channels=16,
    kernel_size=3)`.  On the first call, a positional PyTorch-order call is caught where the input shows
    it: the kernel larger than the padded input raises, a suspicious geometry warns."""
    _torch_name = "Conv2d"

    def _w_shape(self, in_channels):
        return (self.out_channels, in_channels) + self.kernel_size

    def _lazy_init(self, x):
        shape = getattr(x, "shape", ())
        if self.W.data is None and len(shape) == 4:
            self._check_order(tuple(shape))
        super()._lazy_init(x)

    def _check_order(self, shape):
        C, H, W = shape[1:]
        (KH, KW), (SH, SW), (PH, PW) = self.kernel_size, self.stride, self.pad
        if self.out_channels != C or KH != KW or SH != SW:
            return
        reading = (f"Conv2d reads its positional arguments in DeZero's order (out_channels, "
                   f"kernel_size, stride, pad): out_channels={self.out_channels}, kernel_size={KH}, "
                   f"stride={SH}, pad={PH}.  For PyTorch's order write the keywords: "
                   f"Conv2d(in_channels={C}, out_channels={KH}, kernel_size={SH}"
                   + (f", stride={PH})" if PH else ")"))
        if KH > H + 2 * PH or KW > W + 2 * PW:
            raise ValueError(f"Conv2d: kernel {KH}x{KW} is larger than the padded input "
                             f"{H + 2 * PH}x{W + 2 * PW}.  {reading}")
        if 1 < SH < KH and KH >= _PYTORCH_ORDER_MIN_KERNEL:
            warnings.warn(f"Conv2d: a {KH}x{KH} kernel with stride {SH} and as many output channels as "
                          f"the input has ({C}) looks like PyTorch's argument order.  {reading}; pass "
                          "in_channels= to silence this.", UserWarning, stacklevel=5)  # the caller of the layer

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

