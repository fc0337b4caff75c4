"""NumPy/CuPy interchange: pick the array module of an array and move arrays between devices.

CuPy is imported only when a GPU feature is first used, so `import minigrad` never needs it.
`gpu_enable` (a module attribute, computed on first access) tells whether CuPy and a GPU are usable.
"""
import sys

import numpy as np

_gpu_enable = None


def _cupy():
    """Import CuPy, or raise a one-line error saying how to get it."""
    try:
        import cupy
    except ImportError:
        raise ImportError("minigrad: CuPy is not installed; install it with `pip install minigrad[gpu]` "
                          "(or the cupy-cudaXXx wheel matching your CUDA)") from None
    return cupy


def _probe_gpu():
    try:
        import cupy
        return cupy.cuda.runtime.getDeviceCount() > 0
    except Exception:
        return False


def __getattr__(name):
    # `cuda.gpu_enable` is computed lazily so that importing minigrad never imports CuPy.
    global _gpu_enable
    if name == "gpu_enable":
        if _gpu_enable is None:
            _gpu_enable = _probe_gpu()
        return _gpu_enable
    raise AttributeError(f"module 'minigrad.cuda' has no attribute {name!r}")


def is_cupy_array(x):
    """True if `x` is a CuPy ndarray (False without importing CuPy when it was never loaded)."""
    cupy = sys.modules.get("cupy")
    return cupy is not None and isinstance(x, cupy.ndarray)


def _unwrap(x):
    """The array of a Variable; arrays (NumPy or CuPy, whose `.data` is a memory pointer) pass."""
    if isinstance(x, np.ndarray) or is_cupy_array(x):
        return x
    return getattr(x, "data", x)


def get_array_module(x):
    """Return `cupy` for CuPy arrays (or Variables holding them), else `numpy`."""
    if type(x) is np.ndarray:  # the common case, kept fast
        return np
    cupy = sys.modules.get("cupy")
    if cupy is not None and isinstance(_unwrap(x), cupy.ndarray):
        return cupy
    return np


def as_numpy(x):
    """Return `x` (array, scalar or Variable) as a NumPy array on the host."""
    data = _unwrap(x)
    if isinstance(data, np.ndarray):
        return data
    if is_cupy_array(data):
        return data.get()
    return np.asarray(data)


def as_cupy(x):
    """Return `x` (array, scalar or Variable) as a CuPy array on the current GPU."""
    data = _unwrap(x)
    cupy = _cupy()
    if not __getattr__("gpu_enable"):
        raise RuntimeError("minigrad: CuPy is installed but no CUDA GPU is available")
    return cupy.asarray(data)


def device_name(x):
    """A short name of the device an array lives on: 'cpu' or 'gpu:N'."""
    if is_cupy_array(x):
        return f"gpu:{x.device.id}"
    return "cpu"


def check_same_device(func_name, arrays):
    """Raise a clear error when `arrays` mix host and GPU memory (or two GPUs)."""
    devices = [device_name(a) for a in arrays if a is not None]  # None: an absent optional input
    if len(set(devices)) > 1:
        raise TypeError(f"{func_name}: inputs live on different devices ({', '.join(devices)}); "
                        "move them with to_gpu()/to_cpu() first")
