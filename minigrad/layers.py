"""Layers: containers of Parameters and sub-Layers, with saving and loading of weights.

A Layer registers every Parameter and Layer assigned to it as an attribute, and every list or tuple
(whose Parameters and Layers count, also those appended later), in definition order, so `params()`
and saved files have a stable order.  An object reachable twice (`self.l0` and `self.layers[0]`) counts
once, under its first name.
"""
import os
import weakref
import zipfile

import numpy as np

from minigrad import cuda
from minigrad import functions as F
from minigrad.core import Parameter
from minigrad.files import atomic_path


class Layer:
    """Base class of layers and models: parameter registration, device moves, save/load."""

    _call_hooks = []  # callables (layer, inputs, outputs), used by Model.summary

    def __init__(self):
        object.__setattr__(self, "_params", [])

    def __setattr__(self, name, value):
        if "_params" not in self.__dict__:
            object.__setattr__(self, "_params", [])
        registered = self._params
        if isinstance(value, (Parameter, Layer, list, tuple)):
            if name not in registered:
                registered.append(name)
        elif name in registered:
            registered.remove(name)
        object.__setattr__(self, name, value)

    def __delattr__(self, name):
        if name in self._params:
            self._params.remove(name)
        object.__delattr__(self, name)

    def __call__(self, *inputs):
        outputs = self.forward(*inputs)
        if not isinstance(outputs, tuple):
            outputs = (outputs,)
        self.inputs = [weakref.ref(x) for x in inputs]
        self.outputs = [weakref.ref(y) for y in outputs]
        for hook in Layer._call_hooks:
            hook(self, inputs, outputs)
        return outputs if len(outputs) > 1 else outputs[0]

    def forward(self, *inputs):
        raise NotImplementedError()

    def named_children(self):
        """(name, item) pairs of the registered Parameters and Layers, those in lists named
        name/0, name/1 ... (other items of such lists, like activation functions, are skipped)."""
        for name in self._params:
            value = self.__dict__[name]
            if isinstance(value, (list, tuple)):
                for i, item in enumerate(value):
                    if isinstance(item, (Parameter, Layer)):
                        yield f"{name}/{i}", item
            else:
                yield name, value

    def _named_params(self, prefix="", seen=None):
        """(key, Parameter) of every Parameter below this layer, each once, in definition order."""
        seen = set() if seen is None else seen
        for name, obj in self.named_children():
            if id(obj) in seen:
                continue
            seen.add(id(obj))
            key = prefix + "/" + name if prefix else name
            if isinstance(obj, Layer):
                yield from obj._named_params(key, seen)
            else:
                yield key, obj

    def params(self):
        """Every Parameter of this layer and its sub-layers, each once, in definition order."""
        for _, param in self._named_params():
            yield param

    def cleargrads(self):
        for param in self.params():
            param.cleargrad()

    def to_cpu(self):
        for param in self.params():
            param.to_cpu()
        return self

    def to_gpu(self):
        for param in self.params():
            param.to_gpu()
        return self

    def _flatten_params(self, params_dict, parent_key=""):
        """Fill `params_dict` with key -> Parameter ('l1/W', 'layers/0/b' ...), as save_weights names them."""
        params_dict.update(self._named_params(parent_key))

    def save_weights(self, path):
        """Write every initialised Parameter to an .npz file (host arrays; the model stays where it
        is).  The file is written atomically.  '.npz' is appended when missing, as NumPy does."""
        path = os.fspath(path)
        if not path.endswith(".npz"):
            path += ".npz"
        params_dict = {}
        self._flatten_params(params_dict)
        arrays = {key: cuda.as_numpy(p.data) for key, p in params_dict.items() if p.data is not None}
        with atomic_path(path) as tmp:
            np.savez_compressed(tmp, **arrays)

    def load_weights(self, path):
        """Load Parameters saved by `save_weights`.  Missing keys, extra keys and wrong shapes raise a
        ValueError naming them, and then no Parameter is changed."""
        path = os.fspath(path)
        if not os.path.exists(path) and os.path.exists(path + ".npz"):
            path += ".npz"
        if not os.path.exists(path):
            raise FileNotFoundError(f"load_weights: no such file: {path}")
        try:
            with np.load(path, allow_pickle=False) as npz:
                arrays = {key: npz[key] for key in npz.files}
        except (zipfile.BadZipFile, ValueError, OSError, EOFError) as e:
            raise ValueError(f"load_weights: {path} is not a readable .npz weights file ({e})") from None

        params_dict = {}
        self._flatten_params(params_dict)
        missing = [k for k, p in params_dict.items() if k not in arrays and p.data is not None]
        extra = [k for k in arrays if k not in params_dict]
        wrong = [f"{k}: file {arrays[k].shape}, model {p.data.shape}" for k, p in params_dict.items()
                 if k in arrays and p.data is not None and arrays[k].shape != p.data.shape]
        problems = []
        if missing:
            problems.append("missing keys " + ", ".join(missing))
        if extra:
            problems.append("unexpected keys " + ", ".join(extra))
        if wrong:
            problems.append("wrong shapes " + "; ".join(wrong))
        if problems:
            raise ValueError(f"load_weights: {path} does not match the model: " + "; ".join(problems))

        for key, param in params_dict.items():
            if key not in arrays:
                continue
            data = arrays[key]
            if param.data is not None:
                data = data.astype(param.data.dtype, copy=False)
                if cuda.is_cupy_array(param.data):
                    data = cuda.as_cupy(data)
            param.data = data


class Linear(Layer):
    """y = x W + b with W of shape (in_size, out_size); in_size is inferred on the first call."""

    def __init__(self, out_size, nobias=False, dtype=np.float32, in_size=None):
        super().__init__()
        self.in_size = in_size
        self.out_size = out_size
        self.dtype = dtype
        self.W = Parameter(None, name="W")
        if in_size is not None:
            self._init_W()
        self.b = None if nobias else Parameter(np.zeros(out_size, dtype=dtype), name="b")

    def _init_W(self, xp=np):
        scale = np.sqrt(1 / self.in_size)
        self.W.data = (xp.random.randn(self.in_size, self.out_size) * scale).astype(self.dtype)

    def forward(self, x):
        if self.W.data is None:
            self.in_size = x.shape[-1]
            self._init_W(cuda.get_array_module(x))
        return F.linear(x, self.W, self.b)


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
        return F.batch_norm(x, self.gamma, self.beta, self.avg_mean.data, self.avg_var.data)


class EmbedID(Layer):
    """A lookup table of `in_size` vectors of length `out_size`."""

    def __init__(self, in_size, out_size, dtype=np.float32):
        super().__init__()
        self.W = Parameter(np.random.randn(in_size, out_size).astype(dtype), name="W")

    def forward(self, x):
        return F.embed_id(x, self.W)


class RNN(Layer):
    """Elman RNN cell: h = tanh(x Wx + h Wh + b); call reset_state() between sequences."""

    def __init__(self, hidden_size, in_size=None):
        super().__init__()
        self.x2h = Linear(hidden_size, in_size=in_size)
        self.h2h = Linear(hidden_size, in_size=hidden_size, nobias=True)
        self.h = None

    def reset_state(self):
        self.h = None

    def forward(self, x):
        if self.h is None:
            h_new = F.tanh(self.x2h(x))
        else:
            h_new = F.tanh(self.x2h(x) + self.h2h(self.h))
        self.h = h_new
        return h_new


class LSTM(Layer):
    """LSTM cell with forget, input and output gates; call reset_state() between sequences."""

    def __init__(self, hidden_size, in_size=None):
        super().__init__()
        H, I = hidden_size, in_size
        self.x2f = Linear(H, in_size=I)
        self.x2i = Linear(H, in_size=I)
        self.x2o = Linear(H, in_size=I)
        self.x2u = Linear(H, in_size=I)
        self.h2f = Linear(H, in_size=H, nobias=True)
        self.h2i = Linear(H, in_size=H, nobias=True)
        self.h2o = Linear(H, in_size=H, nobias=True)
        self.h2u = Linear(H, in_size=H, nobias=True)
        self.reset_state()

    def reset_state(self):
        self.h = None
        self.c = None

    def forward(self, x):
        if self.h is None:
            f = F.sigmoid(self.x2f(x))
            i = F.sigmoid(self.x2i(x))
            o = F.sigmoid(self.x2o(x))
            u = F.tanh(self.x2u(x))
        else:
            f = F.sigmoid(self.x2f(x) + self.h2f(self.h))
            i = F.sigmoid(self.x2i(x) + self.h2i(self.h))
            o = F.sigmoid(self.x2o(x) + self.h2o(self.h))
            u = F.tanh(self.x2u(x) + self.h2u(self.h))
        c_new = i * u if self.c is None else f * self.c + i * u
        h_new = o * F.tanh(c_new)
        self.h, self.c = h_new, c_new
        return h_new


# The convolutional layers live in layers_conv; DeZero code finds them here.
from minigrad.layers_conv import AveragePool2D, Conv2d, Deconv2d, Flatten, MaxPool2D  # noqa: E402,F401
