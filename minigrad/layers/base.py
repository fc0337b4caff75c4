"""Layers: containers of Parameters and sub-Layers, with saving and loading of weights.

A Layer registers every Parameter and Layer assigned to it as an attribute, and every list or tuple
(whose Parameters and Layers count, also those appended later), in definition order, so `params()`
and saved files have a stable order.  An object reachable twice (`self.l0` and `self.layers[0]`) counts
once, under its first name.

PyTorch's habits work too: `parameters()` is `params()`, and `eval()` / `train()` flip a layer's own
`training` switch (see Layer.train).
"""
import os
import weakref
import zipfile
import zlib

import numpy as np

from minigrad import checks, cuda
from minigrad.core import Parameter, Variable, test_mode
from minigrad.files import atomic_path


class Layer:
    """Base class of layers and models: parameter registration, device moves, save/load."""

    _call_hooks = []  # callables (layer, inputs, outputs), used by Model.summary
    training = True   # False after eval(): forward runs in test mode (see train)

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
        if self.training:
            outputs = self.forward(*inputs)
        else:
            with test_mode():
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

    def _walk_params(self, prefix="", seen=None):
        """(key, owning layer, name in that layer, Parameter) of every Parameter below this layer, each
        once, in definition order."""
        seen = set() if seen is None else seen
        for name, obj in self.named_children():
            if id(obj) in seen:
                continue
            seen.add(id(obj))
            key = prefix + "/" + name if prefix else name
            if isinstance(obj, Layer):
                yield from obj._walk_params(key, seen)
            else:
                yield key, self, name, obj

    def _lazy_spec(self, name):
        """What the not yet initialised Parameter `name` will be: (shape, dtype), or None when unknown.

        load_weights checks a file against it.  An entry of shape that is a str is a size the first
        call would infer: any value is accepted, equal for every entry of the same str in this layer,
        and stored as the attribute of that name when the layer has one (Linear's in_size).  dtype None
        accepts any real dtype as it is."""
        return None

    def named_params(self, prefix=""):
        """('conv1/W', Parameter) for every Parameter below this layer, each once, in definition order,
        named as save_weights names them."""
        for key, _, _, param in self._walk_params(prefix):
            yield key, param

    def params(self):
        """Every Parameter of this layer and its sub-layers, each once, in definition order."""
        for _, _, _, param in self._walk_params():
            yield param

    def named_layers(self, prefix=""):
        """(path, Layer) of this layer (path `prefix`) and every Layer below it, each once, parents
        before children; paths use save_weights' `/` (`block/conv1`, `layers/0`)."""
        seen, stack = set(), [(prefix, self)]
        while stack:
            path, layer = stack.pop()
            if id(layer) in seen:
                continue
            seen.add(id(layer))
            yield path, layer
            children = [(f"{path}/{name}" if path else name, obj) for name, obj in layer.named_children()
                        if isinstance(obj, Layer)]
            stack.extend(reversed(children))

    def parameters(self):
        """PyTorch's name for params()."""
        return self.params()

    def train(self, mode=True):
        """Set the `training` switch of this layer and every sub-layer (PyTorch's Module.train); returns
        self.  A layer runs in training mode only when its switch and the global one (Config.train,
        which `test_mode()` turns off) both say so: eval() forces test mode for its calls, and train()
        only undoes eval(), so DeZero code using `test_mode()` keeps working next to it."""
        if not isinstance(mode, bool):
            raise TypeError(f"{type(self).__name__}.train: mode must be a bool, got {mode!r}")
        for _, layer in self.named_layers():
            layer.training = mode
        return self

    def eval(self):
        """train(False): dropout off, batch norm on its running statistics, for this layer's calls."""
        return self.train(False)

    def cleargrads(self):
        for param in self.params():
            param.cleargrad()

    _on_gpu = False  # set by to_gpu/to_cpu: where load_weights puts Parameters not yet initialised

    def to_cpu(self):
        for param in self.params():
            param.to_cpu()
        self._set_device(False)
        return self

    def to_gpu(self):
        for param in self.params():
            param.to_gpu()
        self._set_device(True)
        return self

    def _set_device(self, on_gpu):
        for _, layer in self.named_layers():
            object.__setattr__(layer, "_on_gpu", on_gpu)

    def _flatten_params(self, params_dict, parent_key=""):
        """Fill `params_dict` with key -> Parameter ('l1/W', 'layers/0/b' ...), as save_weights names them."""
        params_dict.update(self.named_params(parent_key))

    def save_weights(self, path):
        """Write every initialised Parameter to an .npz file (host arrays; the model stays where it
        is).  The file is written atomically.  '.npz' is appended when missing, as NumPy does."""
        path = _path_arg("save_weights", path)
        if not path.endswith(".npz"):
            path += ".npz"
        params_dict = {}
        self._flatten_params(params_dict)
        arrays = {key: cuda.as_numpy(p.data) for key, p in params_dict.items() if p.data is not None}
        with atomic_path(path) as tmp:
            np.savez_compressed(tmp, **arrays)

    def load_weights(self, path):
        """Load Parameters saved by `save_weights`, all or none.

        Every array's name, shape and dtype are checked against the model from the .npy headers before
        any array is decompressed; a layer whose weights are still lazy checks against what its first
        call would create (Conv2d(4, 3): W of shape (4, C, 3, 3)).  Real arrays are cast to the
        parameter's dtype; complex, bool, date and object arrays are refused.  Any problem raises a
        ValueError naming the file and the keys, and then no Parameter is changed."""
        path = _path_arg("load_weights", path)
        if not os.path.exists(path) and os.path.exists(path + ".npz"):
            path += ".npz"
        if not os.path.exists(path):
            raise FileNotFoundError(f"load_weights: no such file: {path}")
        if not os.path.isfile(path):
            raise ValueError(f"load_weights: path {path} is not a file")
        with open(path, "rb") as fh:
            if fh.read(6) == b"\x93NUMPY":
                raise ValueError(f"load_weights: path {path} is a .npy file (one array); load_weights "
                                 f"reads the .npz archives that save_weights writes")
        entries = list(self._walk_params())
        try:
            with zipfile.ZipFile(path) as zf:
                headers = _npz_headers(zf, path)
                plan = _match_model(entries, headers, path)
                loaded = {key: _read_member(zf, headers[key], path, key, dtype)
                          for key, (dtype, _) in plan.items()}
        except zipfile.BadZipFile as e:
            raise ValueError(f"load_weights: {path} is not a readable .npz weights file ({e})") from None
        # everything is read and checked: now assign, each Parameter on the device of its array, or
        # of its layer's last to_gpu()/to_cpu() while it is not yet initialised
        for key, owner, _, param in entries:
            if key not in loaded:
                continue
            data = loaded[key]
            if cuda.is_cupy_array(param.data) or (param.data is None and owner._on_gpu):
                data = cuda.as_cupy(data)
            param.data = data
            for attr, size in plan[key][1].items():
                setattr(owner, attr, size)


# ----------------------------------------------------------------------------- reading weights files
# Deflate cannot compress by more than 1032:1 (zlib's technical notes): a zip member declaring more
# data than that per compressed byte is forged, and is refused before it is decompressed.
_MAX_DEFLATE_RATIO = 1032
_REAL_KINDS = "fiu"  # float, signed and unsigned int: cast to the parameter's dtype


def _path_arg(fname, path):
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"{fname}: path must be a str or os.PathLike, got {type(path).__name__}")
    path = os.fspath(path)
    if not isinstance(path, str):
        raise TypeError(f"{fname}: path must be a str or os.PathLike of str, got bytes")
    return path


def _npz_headers(zf, path):
    """key -> (ZipInfo, shape, dtype, data bytes) of every member, from the .npy headers alone."""
    headers = {}
    for info in zf.infolist():
        if not info.filename.endswith(".npy"):
            raise ValueError(f"load_weights: {path}: member {info.filename!r} is not an array (.npy); "
                             f"not a weights file written by save_weights")
        key = info.filename[:-4]
        if key in headers:
            raise ValueError(f"load_weights: {path}: key {key!r} appears twice")
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise ValueError(f"load_weights: {path}: {key} uses zip compression {info.compress_type}; "
                             f"save_weights writes deflate or stored members")
        limit = info.compress_size * (1 if info.compress_type == zipfile.ZIP_STORED else _MAX_DEFLATE_RATIO)
        if info.file_size > limit + 1024:
            raise ValueError(f"load_weights: {path}: {key} declares {info.file_size} bytes from "
                             f"{info.compress_size} compressed bytes: a damaged or forged file")
        with zf.open(info) as fp:
            try:
                version = np.lib.format.read_magic(fp)
                if version == (1, 0):
                    shape, fortran, dtype = np.lib.format.read_array_header_1_0(fp)
                elif version == (2, 0):
                    shape, fortran, dtype = np.lib.format.read_array_header_2_0(fp)
                else:
                    raise ValueError(f".npy format version {version} is not supported")
            except (ValueError, EOFError, OSError, zlib.error, zipfile.BadZipFile) as e:
                raise ValueError(f"load_weights: {path}: cannot read {key} ({e})") from None
            header_size = fp.tell()
        nbytes = int(np.prod(shape, dtype=object)) * dtype.itemsize
        # an object array is pickled (no fixed size); _match_model refuses it by its dtype
        if not dtype.hasobject and info.file_size != header_size + nbytes:
            raise ValueError(f"load_weights: {path}: {key}'s header says {shape} {dtype} ({nbytes} "
                             f"bytes) but the member holds {info.file_size - header_size} bytes")
        headers[key] = (info, tuple(shape), dtype, nbytes)
    return headers


def _match_model(entries, headers, path):
    """Check names, shapes and dtypes of the file against the model.  Returns key -> (dtype to cast
    to or None, {attribute: size} the load sets) for every key in the file; raises ValueError listing
    every problem."""
    params = {key: (owner, name, param) for key, owner, name, param in entries}
    missing = [k for k, (_, _, p) in params.items() if k not in headers and p.data is not None]
    extra = [k for k in headers if k not in params]
    wrong, dtypes, plan, bound = [], [], {}, {}
    for key, (owner, name, param) in params.items():
        if key not in headers:
            continue
        _, shape, dtype, _ = headers[key]
        if param.data is not None:
            want, target = tuple(param.data.shape), param.data.dtype
        else:
            spec = owner._lazy_spec(name)
            want, target = (None, None) if spec is None else (tuple(spec[0]), spec[1])
        sizes = {}
        if want is not None:
            layer_sizes = bound.setdefault(id(owner), {})
            shown = tuple(layer_sizes.get(w, "*") if isinstance(w, str) else w for w in want)
            ok = len(shape) == len(want)
            for got, w in zip(shape, want) if ok else ():
                if isinstance(w, str):
                    ok = ok and layer_sizes.setdefault(w, got) == got
                    sizes[w] = got
                else:
                    ok = ok and got == w
            if not ok:
                model = str(shown).replace("'*'", "*")
                free = " (* is any size, set by the file)" if "*" in model else ""
                wrong.append(f"{key}: file {shape}, model {model}{free}")
        if dtype.kind not in _REAL_KINDS or dtype.hasobject or dtype.fields is not None:
            into = f" into a {np.dtype(target)} parameter" if target is not None else ""
            dtypes.append(f"{key}: file {dtype} cannot be loaded{into} (only real numbers are cast)")
        plan[key] = (None if target is None else np.dtype(target),
                     {attr: size for attr, size in sizes.items() if hasattr(owner, attr)})
    problems = checks.mismatch(missing, extra, wrong, dtypes)
    if problems:
        raise ValueError(f"load_weights: {path} does not match the model: {problems}")
    return {key: plan[key] for key in headers}


def _read_member(zf, header, path, key, dtype):
    """Decompress one checked array and cast it to `dtype` (None: as it is)."""
    info, shape, _, nbytes = header
    try:
        with zf.open(info) as fp:
            data = np.lib.format.read_array(fp, allow_pickle=False)
    except MemoryError:
        raise MemoryError(f"load_weights: {path}: {key} ({nbytes} bytes) does not fit in memory") from None
    except (ValueError, EOFError, OSError, zlib.error, zipfile.BadZipFile) as e:
        raise ValueError(f"load_weights: {path}: cannot read {key} ({e})") from None
    return data if dtype is None else data.astype(dtype, copy=False)
