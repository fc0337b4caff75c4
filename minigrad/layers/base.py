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
from minigrad.core import Parameter, Variable
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
        for i, x in enumerate(inputs):
            if not isinstance(x, (Variable, np.ndarray)) and not cuda.is_cupy_array(x):
                raise TypeError(f"{type(self).__name__}: takes Variables or arrays (NumPy or CuPy), got "
                                f"{type(x).__name__} as input {i}")
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
