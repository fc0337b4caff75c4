"""Exchange with other frameworks: PyTorch state dicts and DLPack.

    state = interop.to_torch_state_dict(model)            # torch_model.load_state_dict(state)
    interop.load_torch_state_dict(model, torch_model.state_dict())
    v = interop.from_dlpack(tensor)                        # a Variable sharing the tensor's memory

State-dict keys follow PyTorch's module naming: the layer path with dots (`conv1.weight`,
`layers.0.bias`).  Layouts: Conv2d and Deconv2d weights match PyTorch's Conv2d and ConvTranspose2d;
Linear's W is (in, out), the transpose of PyTorch's weight (out, in); BatchNorm's gamma/beta/avg_mean/
avg_var are weight/bias/running_mean/running_var (PyTorch's default eps is 1e-5, minigrad's 2e-5);
EmbedID's W is Embedding's weight.  Other Parameters keep their attribute names.  torch is imported
only by to_torch_state_dict.
"""
import collections

import numpy as np

from minigrad import checks, cuda
from minigrad import layers as L
from minigrad.core import Variable

_KDL_CPU, _KDL_CUDA, _KDL_CUDA_HOST, _KDL_CUDA_MANAGED = 1, 2, 3, 13  # DLPack device types


def _torch_names(layer):
    """{minigrad attribute: (PyTorch name, transposed)} for a layer's Parameters."""
    if isinstance(layer, L.Linear):
        return {"W": ("weight", True), "b": ("bias", False)}
    if isinstance(layer, (L.Conv2d, L.Deconv2d, L.EmbedID)):
        return {"W": ("weight", False), "b": ("bias", False)}
    if isinstance(layer, L.BatchNorm):
        return {"gamma": ("weight", False), "beta": ("bias", False),
                "avg_mean": ("running_mean", False), "avg_var": ("running_var", False)}
    return {}


class _Entry:
    """One Parameter: its minigrad key ('conv1/W'), PyTorch key ('conv1.weight'), owner and layout."""

    def __init__(self, key, torch_key, param, layer, attr, transposed):
        self.key, self.torch_key, self.param = key, torch_key, param
        self.layer, self.attr, self.transposed = layer, attr, transposed

    def torch_shape(self):
        shape = self.param.data.shape
        return shape[::-1] if self.transposed else shape


def _owner(model, key):
    """The Layer holding the Parameter named `key` ('conv1/W', 'layers/0/b', 'ps/1') and the
    Parameter's name in it ('W', 'b', 'ps/1')."""
    layer, parts = model, key.split("/")
    while True:
        name = parts.pop(0)
        value = vars(layer)[name]
        if isinstance(value, (list, tuple)):
            index = parts.pop(0)
            name, value = f"{name}/{index}", value[int(index)]
        if not isinstance(value, L.Layer):
            return layer, name
        layer = value


def _entries(model, mapping=None):
    """The _Entry of every Parameter of `model` (each once, in definition order)."""
    if not isinstance(model, L.Layer):
        raise TypeError(f"expected a minigrad Layer or Model, got {type(model).__name__}")
    mapping = dict(mapping or {})
    entries = []
    for key, param in model.named_params():
        layer, attr = _owner(model, key)
        torch_name, transposed = _torch_names(layer).get(attr, (attr.rpartition("/")[2], False))
        default = key.rpartition("/")[0].replace("/", ".")
        default = f"{default}.{torch_name}" if default else torch_name
        entries.append(_Entry(key, mapping.pop(key, default), param, layer, attr, transposed))
    if mapping:
        raise ValueError(f"mapping names keys the model does not have: {sorted(mapping)} (its keys: "
                         f"{[e.key for e in entries]})")
    return entries


def _batch_norm_layers(entries):
    """Dotted paths of the BatchNorm layers holding `entries` (PyTorch keeps a num_batches_tracked
    there)."""
    paths = (e.key.rpartition("/")[0].replace("/", ".") for e in entries if isinstance(e.layer, L.BatchNorm))
    return list(dict.fromkeys(paths))


def to_torch_state_dict(model, mapping=None):
    """The Parameters of `model` as a PyTorch state dict (an OrderedDict of CPU tensors, copies),
    ready for `torch_model.load_state_dict`.  `mapping` ({'conv1/W': 'features.0.weight', ...})
    overrides the default key of any Parameter.  BatchNorm layers also get the `num_batches_tracked`
    PyTorch keeps (0)."""
    try:
        import torch
    except ImportError:
        raise ImportError("to_torch_state_dict needs PyTorch: pip install torch") from None
    state = collections.OrderedDict()
    entries = _entries(model, mapping)
    for e in entries:
        if e.param.data is None:
            raise ValueError(f"to_torch_state_dict: {e.key} is not initialised yet (run the model once, "
                             "or give the layer its input size)")
        array = cuda.as_numpy(e.param.data)
        state[e.torch_key] = torch.from_numpy(np.array(array.T if e.transposed else array, order="C"))
    for path in _batch_norm_layers(entries):
        state[f"{path}.num_batches_tracked" if path else "num_batches_tracked"] = torch.tensor(0)
    return state


def _to_numpy(value):
    if hasattr(value, "detach"):  # a torch.Tensor
        value = value.detach().cpu().numpy()
    return np.asarray(cuda.as_numpy(value) if cuda.is_cupy_array(value) else value)


def load_torch_state_dict(model, state_dict, mapping=None):
    """Load a PyTorch state dict (tensors or arrays) into `model`'s Parameters, converting layouts
    (Linear's weight is transposed).  `mapping` ({'conv1/W': 'features.0.weight', ...}) overrides
    the default key of any Parameter.  Missing keys, unexpected keys and wrong shapes raise a
    ValueError naming them, and then no Parameter is changed; `num_batches_tracked` entries are
    ignored.  Parameters not initialised yet (a lazily sized Linear) take the state dict's shape."""
    entries = _entries(model, mapping)
    wanted = {e.torch_key for e in entries}
    missing = [e.torch_key for e in entries if e.torch_key not in state_dict]
    extra = [k for k in state_dict if k not in wanted and not k.endswith("num_batches_tracked")]
    arrays, wrong = {}, []
    for e in entries:
        if e.torch_key not in state_dict:
            continue
        a = _to_numpy(state_dict[e.torch_key])
        if e.param.data is not None and a.shape != e.torch_shape():
            wrong.append(f"{e.torch_key}: state dict {a.shape}, model {e.torch_shape()} (for {e.key})")
        arrays[e.key] = a
    problems = checks.mismatch(missing, extra, wrong)
    if problems:
        raise ValueError(f"load_torch_state_dict: the state dict does not match the model: {problems}")

    for e in entries:
        a = arrays[e.key]
        if e.transposed:
            a = a.T
        old = e.param.data
        dtype = old.dtype if old is not None else (np.float32 if a.dtype.kind == "f" else a.dtype)
        data = np.array(a, dtype=dtype, order="C")  # a copy: the model never aliases torch memory
        if old is not None and cuda.is_cupy_array(old):
            data = cuda.as_cupy(data)
        e.param.data = data
        if old is None:
            _sized_from_weight(e.layer, e.attr, data)


def _sized_from_weight(layer, attr, W):
    """Record the input size a lazily created weight implies (Linear.in_size, Conv2d.in_channels)."""
    if attr != "W":
        return
    if isinstance(layer, L.Linear):
        layer.in_size = W.shape[0]
    elif isinstance(layer, L.Conv2d):
        layer.in_channels = W.shape[1]
    elif isinstance(layer, L.Deconv2d):
        layer.in_channels = W.shape[0]


def from_dlpack(obj):
    """A Variable sharing memory with `obj`, any object with the DLPack protocol (a PyTorch tensor,
    a JAX array, a CuPy or NumPy array, a Variable): no copy.  CPU tensors become NumPy arrays, CUDA
    tensors CuPy arrays (CuPy needed).  A PyTorch tensor that requires grad must be detached first."""
    if isinstance(obj, Variable):
        return Variable(obj.data)
    if not hasattr(obj, "__dlpack__") or not hasattr(obj, "__dlpack_device__"):
        raise TypeError(f"from_dlpack: expected an object with __dlpack__ and __dlpack_device__ (a "
                        f"PyTorch tensor, JAX array, CuPy or NumPy array), got {type(obj).__name__}")
    device_type = int(obj.__dlpack_device__()[0])
    if device_type == _KDL_CPU:
        return Variable(np.from_dlpack(obj))
    if device_type in (_KDL_CUDA, _KDL_CUDA_HOST, _KDL_CUDA_MANAGED):
        try:
            import cupy
        except ImportError:
            raise ImportError("from_dlpack: a CUDA tensor needs CuPy: pip install 'minigrad[gpu]'") from None
        return Variable(cupy.from_dlpack(obj))
    raise ValueError(f"from_dlpack: DLPack device type {device_type} is neither the CPU (1) nor CUDA (2)")


__all__ = ["to_torch_state_dict", "load_torch_state_dict", "from_dlpack"]
