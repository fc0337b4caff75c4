"""Fully connected layers: Linear (x W + b) and EmbedID (a lookup table)."""
import numpy as np

from minigrad import checks, cuda
from minigrad.core import Parameter
from minigrad.functions import embed_id, linear
from minigrad.layers.base import Layer


class Linear(Layer):
    """y = x W + b with W of shape (in_size, out_size); in_size is inferred on the first call."""

    def __init__(self, out_size, nobias=False, dtype=np.float32, in_size=None):
        super().__init__()
        self.out_size = checks.positive_int(out_size, "Linear: out_size")
        checks.bool_arg(nobias, "Linear: nobias", "The arguments are Linear(out_size, nobias=False, "
                        "dtype=np.float32, in_size=None): PyTorch's nn.Linear(in_features, out_features) "
                        "is Linear(out_features, in_size=in_features)")
        self.in_size = None if in_size is None else checks.positive_int(in_size, "Linear: in_size")
        self.dtype = dtype
        self.W = Parameter(None, name="W")
        if in_size is not None:
            self._init_W()
        self.b = None if nobias else Parameter(np.zeros(out_size, dtype=dtype), name="b")

    def _init_W(self, xp=np):
        scale = np.sqrt(1 / self.in_size)
        self.W.data = (xp.random.randn(self.in_size, self.out_size) * scale).astype(self.dtype)

    def _lazy_spec(self, name):
        return (("in_size", self.out_size), self.dtype) if name == "W" else None

    def forward(self, x):
        if x.ndim == 0:
            raise ValueError("Linear: x must have at least one axis (..., in_size), got a 0-d array")
        if self.W.data is None:
            self.in_size = x.shape[-1]
            self._init_W(cuda.get_array_module(x))
        return linear(x, self.W, self.b)


class EmbedID(Layer):
    """A lookup table of `in_size` vectors of length `out_size`."""

    def __init__(self, in_size, out_size, dtype=np.float32):
        super().__init__()
        self.W = Parameter(np.random.randn(in_size, out_size).astype(dtype), name="W")

    def __call__(self, x):
        """Look up ids given as an integer array, a Variable of one, an int or a list of ints."""
        if isinstance(x, (int, np.integer, list, tuple)):
            x = cuda.get_array_module(self.W.data).asarray(x)
        return super().__call__(x)

    def forward(self, x):
        return embed_id(x, self.W)
