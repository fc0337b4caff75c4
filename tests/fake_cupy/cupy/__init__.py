"""A NumPy-backed stand-in for CuPy, so that minigrad's GPU code path runs where no GPU is.

The directory above this package (tests/fake_cupy) goes first on sys.path, and `import cupy` /
`import cupyx` find this package and its sibling; tests/conftest.py does that for a session started with
MINIGRAD_FAKE_CUPY=1 (never where a real CuPy is installed).  Every array lives in host memory, inside
an object that behaves like a CuPy array where minigrad relies on CuPy's behaviour:

- `cupy.ndarray` is its own class, not a `numpy.ndarray`: code testing `isinstance(x, np.ndarray)`
  sees a device array, as it would on a GPU;
- no implicit conversion: `np.asarray(a)` raises TypeError (use `a.get()` or `cupy.asnumpy(a)`), as
  CuPy does;
- no host/device mixing: a NumPy array, a list or any other non-scalar operand of an elementwise
  operation or of a `cupy.*` function raises TypeError("Unsupported type <class 'numpy.ndarray'>"),
  CuPy's own message; Python and NumPy scalars are accepted, as CuPy accepts them;
- NumPy functions and ufuncs called on these arrays dispatch to `cupy` (NEP 13/18) and fail for names
  the stand-in does not provide, as they fail for names CuPy lacks;
- results are device arrays, 0-d arrays included (reductions never return a host scalar);
- `cupy.random` draws from its own stream, independent of `numpy.random`'s global one;
- `cupyx.scatter_add` adds at repeated indices and accepts only CuPy's dtypes for it;
- one device: `cupy.cuda.runtime.getDeviceCount()` is 1 and `a.device.id` is 0.

What it cannot model, so a GPU run still matters:
- kernels: no CUDA code is compiled or launched; an elementwise or reduction kernel's own bugs, launch
  limits, 32-bit indexing and memory errors never show;
- rounding: results are NumPy's, bit for bit; cuBLAS and CUDA reductions sum in another order (and may
  use TF32), so a GPU's last bits differ and tolerances tuned here may be too tight there;
- asynchrony: every operation completes before it returns; missing stream synchronisation, races and
  the cost of a host round trip (`float(a)`, `a.get()`) are invisible, and timings mean nothing;
- memory: no device memory limit, pool or peer access; one device only;
- coverage: only the parts of CuPy's API that minigrad and its tests use are provided.
"""
import builtins
import sys
import types

import numpy as np

__version__ = "0.0-standin"
_SCALARS = (bool, int, float, complex, np.generic)


# ----------------------------------------------------------------------------------- conversion
def _unsupported(x):
    return TypeError(f"Unsupported type {type(x)}")


def _operand(x):
    """The host array behind a device array; scalars pass; anything else is refused, as CuPy's
    kernels refuse it (a NumPy array would be an implicit host-to-device copy)."""
    if isinstance(x, ndarray):
        return x._a
    if isinstance(x, _SCALARS):
        return x
    raise _unsupported(x)


def _argument(x):
    """A function argument: device arrays unwrapped (inside lists and tuples too), host arrays refused,
    everything else (axis, dtype, shape, None ...) passed."""
    if isinstance(x, ndarray):
        return x._a
    if isinstance(x, np.ndarray):
        raise _unsupported(x)
    if isinstance(x, (list, tuple)):
        return type(x)(_argument(v) for v in x)
    return x


def _wrap(r):
    """Results come back as device arrays: NumPy arrays and NumPy scalars (0-d) alike."""
    if isinstance(r, np.ndarray):
        return ndarray._from(r)
    if isinstance(r, np.generic):
        return ndarray._from(np.asarray(r))
    if isinstance(r, tuple):
        return tuple(_wrap(v) for v in r)
    if isinstance(r, list):
        return [_wrap(v) for v in r]
    return r


def _index(key):
    """An index: device arrays unwrapped; host integer/boolean arrays and lists are accepted (CuPy
    copies them to the device)."""
    if isinstance(key, tuple):
        return tuple(_index(k) for k in key)
    if isinstance(key, ndarray):
        return key._a
    return key


def _is_advanced(key):
    keys = key if isinstance(key, tuple) else (key,)
    return builtins.any(isinstance(k, (ndarray, np.ndarray, list)) for k in keys)


def _defers_to(other):
    """True when `other` should handle a binary operator (CuPy's `_should_use_rop`): it opted out of
    ufuncs, or has no __array_ufunc__ and a higher __array_priority__ (a minigrad Variable)."""
    if isinstance(other, (ndarray, np.ndarray) + _SCALARS):
        return False
    ufunc = getattr(type(other), "__array_ufunc__", False)
    if ufunc is False:
        return getattr(other, "__array_priority__", 0) > ndarray.__array_priority__
    return ufunc is None


# --------------------------------------------------------------------------------------- device
class Device:
    """The one stand-in device (CuPy's `cupy.cuda.Device`)."""

    def __init__(self, device=None):
        self.id = 0 if device is None else int(device)
        if self.id != 0:
            raise ValueError(f"the CuPy stand-in has one device (0), not {self.id}")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def __eq__(self, other):
        return isinstance(other, Device) and other.id == self.id

    def __hash__(self):
        return hash(self.id)

    def __repr__(self):
        return f"<CUDA Device {self.id}>"

    def use(self):
        pass

    def synchronize(self):
        pass


class MemoryPointer:
    """What a CuPy array's `.data` is: a pointer, not an array."""

    def __init__(self, array):
        self.device = Device(0)
        self.ptr = array.__array_interface__["data"][0]

    def __repr__(self):
        return f"<MemoryPointer 0x{self.ptr:x} on {self.device!r}>"


# -------------------------------------------------------------------------------------- ndarray
class ndarray:
    """A device array: a NumPy array held where only explicit transfers reach it."""
    __array_priority__ = 100  # CuPy's value
    __hash__ = None

    def __init__(self, shape, dtype=float, memptr=None, strides=None, order="C"):
        if memptr is not None or strides is not None:
            raise TypeError("the CuPy stand-in does not take memptr/strides")
        self._a = np.empty(shape, dtype=dtype, order=order)

    @classmethod
    def _from(cls, array):
        self = cls.__new__(cls)
        self._a = array
        return self

    # -- the array interface NumPy consults
    def __array__(self, dtype=None, copy=None):
        raise TypeError("Implicit conversion to a NumPy array is not allowed. "
                        "Please use `.get()` to construct a NumPy array explicitly.")

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method != "__call__" or not hasattr(_this, ufunc.__name__):
            return NotImplemented  # ufunc.at/reduce/... are not dispatched by CuPy either
        if ufunc.__name__ in _COMPARISONS:  # CuPy's workaround for numpy/numpy#12142
            inputs = tuple(x.item() if isinstance(x, np.ndarray) and x.ndim == 0 else x for x in inputs)
        args = [_operand(x) for x in inputs]
        out = kwargs.get("out")
        if out is not None:
            out = out if isinstance(out, tuple) else (out,)
            for o in out:
                if not isinstance(o, ndarray):
                    raise _unsupported(o)
            kwargs["out"] = tuple(o._a for o in out)
        r = ufunc(*args, **kwargs)
        if out is not None:
            return out[0] if len(out) == 1 else out
        return _wrap(r)

    def __array_function__(self, func, types, args, kwargs):
        impl = getattr(_this, func.__name__, None)
        if func.__module__ != "numpy" or impl is None or impl is func or not callable(impl):
            return NotImplemented  # numpy.linalg, numpy.fft ..., and NumPy's own functions: not provided
        if builtins.any(t not in (ndarray, np.ndarray) for t in types):
            return NotImplemented
        return impl(*args, **kwargs)

    # -- attributes
    shape = property(lambda self: self._a.shape)
    dtype = property(lambda self: self._a.dtype)
    size = property(lambda self: self._a.size)
    ndim = property(lambda self: self._a.ndim)
    strides = property(lambda self: self._a.strides)
    itemsize = property(lambda self: self._a.itemsize)
    nbytes = property(lambda self: self._a.nbytes)
    flags = property(lambda self: self._a.flags)
    T = property(lambda self: ndarray._from(self._a.T))
    data = property(lambda self: MemoryPointer(self._a))
    base = property(lambda self: ndarray._from(self._a.base) if isinstance(self._a.base, np.ndarray) else None)
    device = property(lambda self: Device(0))

    # -- explicit transfers and Python conversions (each a synchronising copy on a real GPU)
    def get(self, stream=None, order="C", out=None):
        if out is not None:
            if not isinstance(out, np.ndarray):
                raise TypeError("Only numpy.ndarray can be obtained from cupy.ndarray")
            out[...] = self._a
            return out
        return np.array(self._a, order=order)

    def set(self, arr, stream=None):
        if not isinstance(arr, np.ndarray):
            raise TypeError("Only numpy.ndarray can be set to cupy.ndarray")
        if arr.dtype != self.dtype or arr.shape != self.shape:
            raise ValueError(f"set: expected {self.shape} {self.dtype}, got {arr.shape} {arr.dtype}")
        self._a[...] = arr

    def item(self):
        return self._a.item()

    def tolist(self):
        return self._a.tolist()

    def __float__(self):
        return float(self._a)

    def __int__(self):
        return int(self._a)

    def __complex__(self):
        return complex(self._a)

    def __bool__(self):
        return bool(self._a)

    def __len__(self):
        return len(self._a)

    def __iter__(self):
        if self.ndim == 0:
            raise TypeError("iteration over a 0-d array")
        return (ndarray._from(self._a[i]) for i in range(len(self._a)))

    def __repr__(self):
        return repr(self._a)

    def __str__(self):
        return str(self._a)

    def __format__(self, spec):
        return format(self._a, spec)

    def __reduce__(self):
        return ndarray._from, (self._a,)

    # -- indexing
    def __getitem__(self, key):
        return _wrap(self._a[_index(key)])

    def __setitem__(self, key, value):
        if isinstance(value, np.ndarray) and value.ndim and not _is_advanced(key):
            full = isinstance(key, slice) and key == slice(None) and value.shape == self.shape
            if not (full and value.dtype == self.dtype):  # CuPy's one host-copy assignment
                raise ValueError("non-scalar numpy.ndarray cannot be used for fill")
        elif not isinstance(value, np.ndarray):
            value = _operand(value)
        self._a[_index(key)] = value

    def scatter_add(self, slices, value):
        """Add `value` at `slices`, accumulating at repeated indices (cupyx.scatter_add)."""
        value = value._a if isinstance(value, ndarray) else value  # host values are copied over
        if self.dtype.type not in _SCATTER_ADD_DTYPES:  # the dtypes CUDA's atomicAdd takes
            raise TypeError("scatter_add only supports int32, float16, float32, float64, uint32, uint64, "
                            "as data type")
        np.add.at(self._a, _index(slices), value)

    # -- methods forwarded to NumPy's (arguments unwrapped, results wrapped)
    def astype(self, dtype, order="K", casting=None, subok=None, copy=True):
        return ndarray._from(self._a.astype(dtype, order=order, copy=copy))

    def reshape(self, *shape, order="C"):
        return ndarray._from(self._a.reshape(*shape, order=order))

    def transpose(self, *axes):
        return ndarray._from(self._a.transpose(*axes))


def _method(name):
    def method(self, *args, **kwargs):
        if "out" in kwargs and kwargs["out"] is not None:
            out = kwargs["out"]
            kwargs["out"] = _operand(out) if isinstance(out, ndarray) else _argument(out)
        return _wrap(getattr(self._a, name)(*_argument(args), **{k: _argument(v) for k, v in kwargs.items()}))
    method.__name__ = name
    return method


for _name in ("copy", "ravel", "flatten", "squeeze", "swapaxes", "repeat", "take", "fill", "view", "clip",
              "dot", "nonzero", "sum", "prod", "mean", "var", "std", "max", "min", "argmax", "argmin", "all",
              "any", "cumsum", "round", "conj", "sort", "argsort"):
    setattr(ndarray, _name, _method(_name))


def _binary(ufunc, reflected=False):
    def op(self, other):
        if _defers_to(other):
            return NotImplemented
        return ufunc(other, self) if reflected else ufunc(self, other)
    return op


def _inplace(ufunc):
    def op(self, other):
        ufunc(self, other, out=self)
        return self
    return op


for _name, _ufunc in (("add", np.add), ("sub", np.subtract), ("mul", np.multiply), ("truediv", np.true_divide),
                      ("floordiv", np.floor_divide), ("mod", np.remainder), ("pow", np.power),
                      ("matmul", np.matmul), ("and", np.bitwise_and), ("or", np.bitwise_or),
                      ("xor", np.bitwise_xor)):
    setattr(ndarray, f"__{_name}__", _binary(_ufunc))
    setattr(ndarray, f"__r{_name}__", _binary(_ufunc, reflected=True))
    setattr(ndarray, f"__i{_name}__", _inplace(_ufunc))
for _name, _ufunc in (("lt", np.less), ("le", np.less_equal), ("gt", np.greater), ("ge", np.greater_equal),
                      ("eq", np.equal), ("ne", np.not_equal)):
    setattr(ndarray, f"__{_name}__", _binary(_ufunc))
ndarray.__neg__ = lambda self: np.negative(self)
ndarray.__pos__ = lambda self: np.positive(self)
ndarray.__abs__ = lambda self: np.absolute(self)
ndarray.__invert__ = lambda self: np.invert(self)

_COMPARISONS = {"greater", "greater_equal", "less", "less_equal", "equal", "not_equal"}
_SCATTER_ADD_DTYPES = {np.int32, np.float16, np.float32, np.float64, np.uint32, np.uint64}


# ------------------------------------------------------------------------------- module functions
def _function(name, numpy_func):
    """A `cupy.<name>` that takes device arrays only and returns device arrays."""
    def func(*args, **kwargs):
        if "out" in kwargs and kwargs["out"] is not None and not isinstance(kwargs["out"], ndarray):
            raise _unsupported(kwargs["out"])
        return _wrap(numpy_func(*_argument(args), **{k: _argument(v) for k, v in kwargs.items()}))
    func.__name__ = func.__qualname__ = name
    return func


def _creation(name, numpy_func):
    """A `cupy.<name>` building a new device array from shapes and scalars."""
    def func(*args, **kwargs):
        return ndarray._from(numpy_func(*_argument(args), **{k: _argument(v) for k, v in kwargs.items()}))
    func.__name__ = func.__qualname__ = name
    return func


def array(obj, dtype=None, copy=True, order="K", subok=False, ndmin=0):
    """Copy host data (or a device array) to the device."""
    if isinstance(obj, ndarray):
        obj = obj._a
    return ndarray._from(np.array(obj, dtype=dtype, copy=copy, order=order, ndmin=ndmin))


def asarray(a, dtype=None, order=None):
    """A device array of `a`: device arrays pass (cast if asked); host data is copied over."""
    if isinstance(a, ndarray):
        return a if dtype is None or a.dtype == dtype else a.astype(dtype)
    return ndarray._from(np.array(a, dtype=dtype, order=order or "K"))


asanyarray = asarray


def asnumpy(a, stream=None, order="C", out=None):
    """A host copy of a device array; host data passes through `numpy.asarray`."""
    if isinstance(a, ndarray):
        return a.get(order=order, out=out)
    return np.asarray(a, order=order)


def get_array_module(*args):
    return _this if builtins.any(isinstance(a, ndarray) for a in args) else np


def ndim(a):
    return a.ndim if isinstance(a, ndarray) else np.ndim(a)


def shape(a):
    return a.shape if isinstance(a, ndarray) else np.shape(a)


def size(a, axis=None):
    if isinstance(a, ndarray):
        return a.size if axis is None else a.shape[axis]
    return np.size(a, axis)


def scatter_add(a, slices, value):
    a.scatter_add(slices, value)


# ufuncs, array functions and creation routines that CuPy has, under their CuPy names
_UFUNCS = ("add subtract multiply divide true_divide floor_divide remainder mod power negative positive "
           "absolute abs sign exp exp2 expm1 log log2 log10 log1p sqrt square cbrt reciprocal sin cos tan "
           "arcsin arccos arctan arctan2 sinh cosh tanh arcsinh arccosh arctanh hypot maximum minimum fmax "
           "fmin floor ceil trunc rint isnan isinf isfinite signbit copysign logical_and logical_or "
           "logical_not logical_xor greater greater_equal less less_equal equal not_equal bitwise_and "
           "bitwise_or bitwise_xor invert left_shift right_shift matmul fabs fmod deg2rad rad2deg "
           "logaddexp logaddexp2").split()
_FUNCTIONS = ("ascontiguousarray asfortranarray broadcast_to broadcast_arrays expand_dims squeeze reshape "
              "ravel transpose swapaxes moveaxis rollaxis concatenate stack vstack hstack split array_split "
              "tile repeat flip pad where clip sum prod mean var std max min amax amin argmax argmin all any "
              "cumsum dot tensordot einsum outer inner vdot take take_along_axis put_along_axis nonzero "
              "argwhere count_nonzero sort argsort unique isclose allclose array_equal copy diag diagonal "
              "tril triu trace round around zeros_like ones_like empty_like full_like roll atleast_1d "
              "atleast_2d atleast_3d average bincount searchsorted").split()
_CREATION = {"zeros": np.zeros, "ones": np.ones, "empty": np.empty, "full": np.full, "arange": np.arange,
             "linspace": np.linspace, "eye": np.eye, "identity": np.identity}
_PASSED = ("dtype float16 float32 float64 int8 int16 int32 int64 uint8 uint16 uint32 uint64 bool_ intp "
           "complex64 complex128 newaxis pi e inf nan finfo iinfo result_type can_cast promote_types "
           "isscalar integer floating number generic").split()

# (The module's own sum/any/max/abs/round ... shadow the builtins below: code here uses `builtins.`.)
_this = sys.modules[__name__]
for _name in _UFUNCS + _FUNCTIONS:
    setattr(_this, _name, _function(_name, getattr(np, _name)))
for _name, _f in _CREATION.items():
    setattr(_this, _name, _creation(_name, _f))
for _name in _PASSED:
    setattr(_this, _name, getattr(np, _name))
float_ = np.float64
int_ = np.int64


# --------------------------------------------------------------------------------------- random
class RandomState:
    """A random stream of the device: NumPy's generator underneath, separate from `numpy.random`'s."""

    def __init__(self, seed=None):
        self._rs = np.random.RandomState(seed)

    def seed(self, seed=None):
        self._rs.seed(seed)

    def _draw(self, name, size, dtype, *args):
        values = getattr(self._rs, name)(*args, size=size)
        return ndarray._from(np.asarray(values, dtype=dtype))

    def rand(self, *size, dtype=float):
        return self._draw("random_sample", size or None, dtype)

    def randn(self, *size, dtype=float):
        return self._draw("standard_normal", size or None, dtype)

    def random_sample(self, size=None, dtype=float):
        return self._draw("random_sample", size, dtype)

    random = random_sample

    def standard_normal(self, size=None, dtype=float):
        return self._draw("standard_normal", size, dtype)

    def normal(self, loc=0.0, scale=1.0, size=None, dtype=float):
        return self._draw("normal", size, dtype, _operand(loc), _operand(scale))

    def uniform(self, low=0.0, high=1.0, size=None, dtype=float):
        return self._draw("uniform", size, dtype, _operand(low), _operand(high))

    def randint(self, low, high=None, size=None, dtype=int):
        return self._draw("randint", size, dtype, low, high)

    def permutation(self, n):
        return ndarray._from(self._rs.permutation(_argument(n)))

    def shuffle(self, a):
        if not isinstance(a, ndarray):
            raise TypeError("The array must be cupy.ndarray")
        self._rs.shuffle(a._a)


_stream = RandomState(0)
random = types.ModuleType("cupy.random")
random.RandomState = RandomState
random.get_random_state = lambda: _stream
random.seed = _stream.seed
for _name in ("rand", "randn", "random_sample", "random", "standard_normal", "normal", "uniform", "randint",
              "permutation", "shuffle"):
    setattr(random, _name, getattr(_stream, _name))


# ----------------------------------------------------------------------------------------- cuda
cuda = types.ModuleType("cupy.cuda")
cuda.Device = Device
cuda.MemoryPointer = MemoryPointer
cuda.runtime = types.SimpleNamespace(getDeviceCount=lambda: 1, deviceSynchronize=lambda: None,
                                     CUDARuntimeError=RuntimeError)
cuda.get_device_id = lambda: 0
cuda.is_available = lambda: True

sys.modules[__name__ + ".random"] = random
sys.modules[__name__ + ".cuda"] = cuda
del _name, _f, _ufunc
