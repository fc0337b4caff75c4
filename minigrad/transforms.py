"""Data transforms (DeZero's names): callables applied to one example before batching.

Each transform takes a NumPy array (the image ones also a PIL image) and returns the transformed one.
Element-wise transforms also offer `apply_batch(xs)`, which does the same to a stacked batch at once:
the DataLoader uses it, when every transform in a dataset's pipeline has it, instead of a Python loop.
PIL is imported only by the transforms that need it, inside the call.
"""
import numpy as np

from minigrad.checks import pair


def _pil():
    """Import PIL.Image lazily, with a one-line hint when Pillow is missing."""
    try:
        from PIL import Image
    except ImportError:
        raise ImportError("minigrad.transforms: this transform needs Pillow; `pip install pillow`") from None
    return Image


def _is_pil(img):
    return hasattr(img, "getbands") and hasattr(img, "resize")  # PIL.Image.Image, without importing PIL


def _batchable(f):
    """True if `f` (a transform or None) can be applied to a whole batch with `apply_batch`.  A subclass
    that overrides `__call__` but not `apply_batch` goes item by item, so its own rule is applied."""
    if f is None:
        return True
    if not getattr(f, "batchable", False):
        return False
    for klass in type(f).__mro__:
        if "apply_batch" in vars(klass):
            return True
        if "__call__" in vars(klass):
            return False
    return False


class Compose:
    """Apply a list of transforms in order."""

    def __init__(self, transforms=()):
        if not isinstance(transforms, (list, tuple)):
            raise TypeError(f"Compose: transforms must be a list of callables, got "
                            f"{type(transforms).__name__}")
        for i, t in enumerate(transforms):
            if not callable(t):
                raise TypeError(f"Compose: transforms[{i}] must be callable, got {type(t).__name__}")
        self.transforms = list(transforms)

    @property
    def batchable(self):
        return all(_batchable(t) for t in self.transforms)

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img

    def apply_batch(self, xs):
        for t in self.transforms:
            xs = t.apply_batch(xs)
        return xs

    def __repr__(self):
        return f"Compose({self.transforms!r})"


class Normalize:
    """(x - mean) / std; mean/std are scalars or per-channel sequences (broadcast over (C, H, W)).

    Float input keeps its dtype; integer input becomes float32 (so uint8 images do not turn float64).
    """
    batchable = True

    def __init__(self, mean=0, std=1):
        for name, v in (("mean", mean), ("std", std)):
            try:
                values = np.asarray(v, dtype=np.float64)
            except (TypeError, ValueError):
                raise TypeError(f"Normalize: {name} must be a number or a sequence of numbers, "
                                f"got {v!r}") from None
            if values.ndim > 1 or not np.all(np.isfinite(values)):
                raise ValueError(f"Normalize: {name} must be finite numbers (a scalar or one per "
                                 f"channel), got {v!r}")
        if np.any(np.asarray(std, dtype=np.float64) == 0):
            raise ValueError(f"Normalize: std must be non-zero (it divides), got {std!r}")
        self.mean, self.std = mean, std

    def _stat(self, v, x, item_ndim):
        if np.isscalar(v) or np.ndim(v) == 0:
            return np.asarray(v, dtype=x.dtype)
        v = np.asarray(v, dtype=x.dtype).ravel()
        if item_ndim == 0:
            raise ValueError("Normalize: per-channel mean/std need an array of at least 1 dim, got a scalar")
        channels = x.shape[x.ndim - item_ndim]
        if v.size not in (1, channels):
            raise ValueError(f"Normalize: mean/std have {v.size} values but the input has {channels} channels "
                             f"(shape {x.shape[x.ndim - item_ndim:]})")
        return v.reshape((-1,) + (1,) * (item_ndim - 1))

    def _apply(self, x, item_ndim):
        x = np.asarray(x)
        if not np.issubdtype(x.dtype, np.floating):
            x = x.astype(np.float32)
        return (x - self._stat(self.mean, x, item_ndim)) / self._stat(self.std, x, item_ndim)

    def __call__(self, array):
        return self._apply(array, np.ndim(array))

    def apply_batch(self, xs):
        return self._apply(xs, np.ndim(xs) - 1)


class Flatten:
    """Flatten an example to 1-D (a batch to (N, -1))."""
    batchable = True

    def __call__(self, array):
        return np.asarray(array).flatten()

    def apply_batch(self, xs):
        return np.asarray(xs).reshape(len(xs), -1)


class AsType:
    """Cast to `dtype` (float32 by default)."""
    batchable = True

    def __init__(self, dtype=np.float32):
        try:
            np.dtype(dtype)
        except TypeError:
            raise TypeError(f"{type(self).__name__}: dtype {dtype!r} is not a NumPy dtype") from None
        self.dtype = dtype

    def __call__(self, array):
        return np.asarray(array).astype(self.dtype)

    apply_batch = __call__


ToFloat = AsType


class ToInt(AsType):
    """Cast to an integer dtype (Python int → int64 by default)."""

    def __init__(self, dtype=int):
        super().__init__(dtype)


class Convert:
    """Convert colour mode: 'RGB', 'BGR', 'L' (PIL image, or NumPy array of shape (C, H, W))."""

    def __init__(self, mode="RGB"):
        self.mode = mode

    def __call__(self, img):
        if _is_pil(img):
            if self.mode == "BGR":
                r, g, b = img.convert("RGB").split()
                return _pil().merge("RGB", (b, g, r))
            return img.convert(self.mode)
        x = np.asarray(img)
        if x.ndim != 3 or x.shape[0] not in (1, 3):
            raise ValueError(f"Convert: expected an array of shape (C, H, W) with C 1 or 3, got {x.shape}")
        if self.mode in ("RGB", "BGR"):
            x = np.repeat(x, 3, axis=0) if x.shape[0] == 1 else x
            return x[::-1].copy() if self.mode == "BGR" else x
        if self.mode == "L":
            if x.shape[0] == 1:
                return x
            if x.dtype.kind in "iu":  # ITU-R 601-2 luma in PIL's fixed point, rounded as PIL does
                r, g, b = x.astype(np.uint32)
                return ((r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16).astype(x.dtype)[None]
            w = np.array([0.299, 0.587, 0.114], dtype=x.dtype).reshape(3, 1, 1)
            return (x * w).sum(axis=0, keepdims=True)
        raise ValueError(f"Convert: mode {self.mode!r} is not supported on arrays (use 'RGB', 'BGR' or 'L')")


def _size(name, size):
    """A crop/resize size (an int, or a (W, H) pair) as two positive ints."""
    w, h = pair(size, f"{name}: size")
    if w < 1 or h < 1:
        raise ValueError(f"{name}: size must be positive, got {size!r}")
    return w, h


class Resize:
    """Resize to `size` ((W, H) or an int), bilinear by default. NumPy (C, H, W) arrays go through PIL."""

    def __init__(self, size, mode=None):
        self.size, self.mode = _size("Resize", size), mode

    def __call__(self, img):
        Image = _pil()
        mode = getattr(Image, "Resampling", Image).BILINEAR if self.mode is None else self.mode
        if _is_pil(img):
            return img.resize(self.size, mode)
        x = np.asarray(img)
        if x.ndim != 3:
            raise ValueError(f"Resize: expected an array of shape (C, H, W), got {x.shape}")
        chans = [np.asarray(Image.fromarray(c.astype(np.float32), mode="F").resize(self.size, mode)) for c in x]
        out = np.stack(chans)
        return out.round().clip(0, 255).astype(x.dtype) if x.dtype == np.uint8 else out.astype(
            x.dtype if np.issubdtype(x.dtype, np.floating) else np.float32)


class CenterCrop:
    """Crop the centre `size` ((W, H) or an int) of a PIL image or a (..., H, W) array."""

    def __init__(self, size):
        self.size = _size("CenterCrop", size)

    def __call__(self, img):
        ow, oh = self.size
        if _is_pil(img):
            w, h = img.size
            left, up = (w - ow) // 2, (h - oh) // 2
            return img.crop((left, up, left + ow, up + oh))
        x = np.asarray(img)
        h, w = x.shape[-2:]
        if oh > h or ow > w:
            raise ValueError(f"CenterCrop: crop size (W, H)={self.size} exceeds the image (W, H)=({w}, {h})")
        left, up = (w - ow) // 2, (h - oh) // 2
        return x[..., up:up + oh, left:left + ow]


class ToArray:
    """PIL image → (C, H, W) array of `dtype`; a NumPy array passes through unchanged."""

    def __init__(self, dtype=np.float32):
        self.dtype = dtype

    def __call__(self, img):
        if isinstance(img, np.ndarray):
            return img
        if _is_pil(img):
            x = np.asarray(img)
            x = x[None] if x.ndim == 2 else x.transpose(2, 0, 1)
            return x.astype(self.dtype)
        raise TypeError(f"ToArray: expected a PIL image or a NumPy array, got {type(img).__name__}")


class ToPIL:
    """(C, H, W) array → PIL image."""

    def __call__(self, array):
        Image = _pil()
        x = np.asarray(array)
        return Image.fromarray(x[0] if x.shape[0] == 1 else x.transpose(1, 2, 0))


class RandomHorizontalFlip:
    """Flip left-right with probability `p` (uses NumPy's global random state)."""

    def __init__(self, p=0.5):
        if isinstance(p, bool) or not isinstance(p, (int, float, np.integer, np.floating)):
            raise TypeError(f"RandomHorizontalFlip: p must be a probability (a number), got "
                            f"{type(p).__name__}")
        if not 0 <= p <= 1:
            raise ValueError(f"RandomHorizontalFlip: p must be in [0, 1], got {p!r}")
        self.p = p

    def __call__(self, img):
        if np.random.rand() >= self.p:
            return img
        if _is_pil(img):
            Image = _pil()
            return img.transpose(getattr(Image, "Transpose", Image).FLIP_LEFT_RIGHT)
        return np.asarray(img)[..., ::-1].copy()
