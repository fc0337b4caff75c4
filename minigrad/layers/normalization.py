"""Batch normalisation layer."""
from minigrad import cuda
from minigrad.core import Parameter
from minigrad.functions import batch_norm
from minigrad.layers.base import Layer


class BatchNorm(Layer):
    """Batch normalisation over the channel axis of (N, C) or (N, C, H, W) inputs.  The running
    statistics avg_mean/avg_var are Parameters (so they are saved) that never receive a gradient."""
    buffers = ("avg_mean", "avg_var")  # Parameters that are state, not trained (Model.summary)

    def __init__(self):
        super().__init__()
        self.avg_mean = Parameter(None, name="avg_mean")
        self.avg_var = Parameter(None, name="avg_var")
        self.gamma = Parameter(None, name="gamma")
        self.beta = Parameter(None, name="beta")

    def _lazy_spec(self, name):
        # the four vectors share the channel count; their dtype follows the first input's
        return (("channels",), None) if name in ("avg_mean", "avg_var", "gamma", "beta") else None

    def _init_params(self, x):
        xp = cuda.get_array_module(x)
        channels = x.shape[1]
        if self.avg_mean.data is None:
            self.avg_mean.data = xp.zeros(channels, dtype=x.dtype)
        if self.avg_var.data is None:
            self.avg_var.data = xp.ones(channels, dtype=x.dtype)
        if self.gamma.data is None:
            self.gamma.data = xp.ones(channels, dtype=x.dtype)
        if self.beta.data is None:
            self.beta.data = xp.zeros(channels, dtype=x.dtype)

    def forward(self, x):
        if self.avg_mean.data is None:
            self._init_params(x)
        return batch_norm(x, self.gamma, self.beta, self.avg_mean.data, self.avg_var.data)
