"""CIFAR-10 and CIFAR-100 (DeZero's names), read from the archives the book downloads:
cifar-10-python.tar.gz and cifar-100-python.tar.gz, MD5-checked against the checksums published on
https://www.cs.toronto.edu/~kriz/cifar.html.

The batches in those archives are Python pickles, and unpickling runs whatever callables a file names.
So they are read by a restricted unpickler that knows only the three names a NumPy array's pickle uses
(`_reconstruct`, `ndarray`, `dtype`), and even those as stand-ins that record what the file asks for:
the shape, the dtype's name and the raw bytes.  The array is then built here with np.frombuffer
(uint8 only).  No callable named by the file runs and none of its bytes reach NumPy's own unpickling
code.  (CIFAR's binary-version archives need no pickle at all, but they are not the files the book and
DeZero download, nor those already in a DeZero user's ~/.dezero.)
"""
import io
import os
import pickle
import tarfile
import zlib

import numpy as np

from minigrad import files
from minigrad.datasets.base import Dataset, dataset_dirs, obtain, show_images
from minigrad.datasets.cache import cache_file_name, load_cache_npz, save_cache_npz
from minigrad.transforms import Compose, Normalize, ToFloat


# ----------------------------------------------------------------------------- reading pickled batches

class _Recorded:
    """What a pickle asked to build: the call's arguments and, after BUILD, its state.  Never run."""

    def __init__(self, what, args):
        self.what, self.args, self.state = what, args, None

    def __setstate__(self, state):
        self.state = state


def _recorder(what):
    return lambda *args: _Recorded(what, args)


_NDARRAY = object()  # stands for numpy.ndarray, which a pickle passes to _reconstruct
_ALLOWED = {("numpy.core.multiarray", "_reconstruct"): _recorder("array"),
            ("numpy._core.multiarray", "_reconstruct"): _recorder("array"),  # pickled by NumPy 2
            ("numpy", "ndarray"): _NDARRAY,
            ("numpy", "dtype"): _recorder("dtype")}


class _BatchUnpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if (module, name) in _ALLOWED:
            return _ALLOWED[(module, name)]
        raise pickle.UnpicklingError(f"refused {module}.{name}: a CIFAR batch holds only arrays, lists "
                                     "and strings")


def _text(v):
    return v.decode("latin-1") if isinstance(v, bytes) else v


def _uint8_array(obj, where):
    """The uint8 array a recorded `_reconstruct` call describes, built with np.frombuffer."""
    state = obj.state if isinstance(obj, _Recorded) and obj.what == "array" else None
    if not isinstance(state, tuple) or len(state) not in (4, 5):
        raise ValueError(f"{where}: 'data' is not a pickled array")
    shape, dtype, fortran, raw = state[-4:]
    if not (isinstance(dtype, _Recorded) and dtype.what == "dtype" and dtype.args
            and _text(dtype.args[0]) in ("u1", "|u1", "uint8")):
        raise ValueError(f"{where}: 'data' must be a uint8 array")
    if isinstance(raw, str):
        raw = raw.encode("latin-1")  # a Python 2 string read as text
    if (not isinstance(shape, tuple) or not all(isinstance(n, int) and n >= 0 for n in shape)
            or not isinstance(raw, (bytes, bytearray)) or len(raw) != int(np.prod(shape))):
        raise ValueError(f"{where}: 'data' has a bad shape or size")
    return np.frombuffer(bytes(raw), np.uint8).reshape(shape, order="F" if fortran else "C")


def _read_batch(raw, where, label_key, num_classes):
    """(data uint8 (N, 3, 32, 32), label int64 (N,)) from the bytes of one pickled batch."""
    try:
        batch = _BatchUnpickler(io.BytesIO(raw), encoding="bytes").load()
    except (pickle.UnpicklingError, EOFError, TypeError, ValueError, AttributeError, IndexError,
            KeyError) as e:
        raise ValueError(f"{where}: not a CIFAR batch ({e})") from None
    if not isinstance(batch, dict):
        raise ValueError(f"{where}: not a CIFAR batch (a {type(batch).__name__}, not a dict)")
    batch = {_text(k): v for k, v in batch.items()}
    x = _uint8_array(batch.get("data"), where)
    labels = batch.get(label_key)
    if not isinstance(labels, list) or not all(type(v) is int for v in labels):
        raise ValueError(f"{where}: '{label_key}' must be a list of ints")
    t = np.array(labels, dtype=np.int64)
    if x.ndim != 2 or x.shape[1] != 3 * 32 * 32 or len(t) != len(x):
        raise ValueError(f"{where}: data of shape {x.shape} and {len(t)} labels; expected (N, 3072) and N")
    if t.size and (t.min() < 0 or t.max() >= num_classes):
        raise ValueError(f"{where}: label out of range 0..{num_classes - 1}")
    return x.reshape(-1, 3, 32, 32), t


def read_cifar_archive(path, batch_names, label_key="labels", num_classes=10):
    """(data uint8 (N, 3, 32, 32), label int64 (N,)) of the named batches of a CIFAR python archive
    (.tar.gz), concatenated in order.  Nothing is extracted to disk."""
    xs, ts = [], []
    try:
        with tarfile.open(path, "r:gz") as tar:
            members = {os.path.basename(m.name): m for m in tar.getmembers() if m.isfile()}
            for name in batch_names:
                if name not in members:
                    raise ValueError(f"{path}: no batch {name!r} in the archive (not a CIFAR python archive?)")
                raw = tar.extractfile(members[name]).read()
                x, t = _read_batch(raw, f"{path}:{name}", label_key, num_classes)
                xs.append(x)
                ts.append(t)
    except (tarfile.TarError, EOFError, zlib.error, OSError) as e:
        raise ValueError(f"{path}: damaged or not a CIFAR python archive ({e})") from None
    return np.concatenate(xs), np.concatenate(ts)


def _checked_cache(data, label, where, num_classes):
    """A cache's arrays as uint8 (N, 3, 32, 32) and int64 (N,): DeZero caches training data as float64."""
    if data.ndim != 4 or data.shape[1:] != (3, 32, 32) or label.shape != (len(data),):
        raise ValueError(f"{where}: cached arrays of shapes {data.shape} and {label.shape} are not CIFAR's")
    if data.dtype != np.uint8:
        if data.size and (data.min() < 0 or data.max() > 255 or not np.array_equal(data, np.round(data))):
            raise ValueError(f"{where}: cached pixels are not integers in 0..255")
        data = data.astype(np.uint8)
    if label.size and (label.min() < 0 or label.max() >= num_classes
                       or not np.array_equal(label, np.round(label))):
        raise ValueError(f"{where}: cached labels are not in 0..{num_classes - 1}")
    return data, label.astype(np.int64)


# ----------------------------------------------------------------------------- the datasets

class CIFAR10(Dataset):
    """CIFAR-10 (Krizhevsky, 2009): 50,000 training / 10,000 test colour images of 32x32 pixels in 10
    classes.  data uint8 (N, 3, 32, 32), label int64 (N,); the default transform gives float32 items in
    [-1, 1] (DeZero's default, Normalize(0.5, 0.5) on 0..255 pixels, gives [-1, 509]).

    Files are looked for in root=, $MINIGRAD_DATA/cifar-10, ~/.minigrad/cifar-10 and ~/.dezero: first a
    parsed cache (`cifar-10-python.tar.gz.train.npz`, DeZero's too), then the archive; else the archive is
    downloaded (MD5-checked).  The parsed arrays are cached next to the archive (not in ~/.dezero).
    """
    name = "cifar-10"
    url = "https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
    md5 = "c58f30108f718f92721af3b95e74349a"  # published on the CIFAR page
    num_classes = 10

    def __init__(self, train=True, transform=Compose([ToFloat(), Normalize(mean=127.5, std=127.5)]),
                 target_transform=None, root=None):
        self.root, self.source = root, None
        super().__init__(train, transform, target_transform)

    def _batches(self):
        return [f"data_batch_{i}" for i in range(1, 6)] if self.train else ["test_batch"]

    def _label_key(self):
        return "labels"

    def _cache_key(self):
        return self.url

    def prepare(self):
        archive = self.url[self.url.rfind("/") + 1:]
        path = None
        for d in dataset_dirs(self.name, self.root):
            data, label = load_cache_npz(self._cache_key(), self.train, dirs=[d])
            if data is not None:
                self.source = os.path.join(d, cache_file_name(self._cache_key(), self.train))
                self.data, self.label = _checked_cache(data, label, self.source, self.num_classes)
                return
            if os.path.isfile(os.path.join(d, archive)):
                path = os.path.join(d, archive)
                break
        if path is None:
            path = obtain(self.name, archive, self.url, self.root, md5=self.md5)
        self.data, self.label = read_cifar_archive(path, self._batches(), self._label_key(), self.num_classes)
        self.source = path
        directory = os.path.dirname(path)
        if os.path.abspath(directory) == os.path.abspath(files.dezero_cache_dir()):
            directory = files.cache_dir(self.name)  # ~/.dezero is DeZero's: read, never written
        try:
            save_cache_npz(self.data, self.label, self._cache_key(), self.train, directory=directory)
        except OSError:
            pass  # the cache only saves time: a read-only directory is no error

    def show(self, row=10, col=10):
        """Draw `row` x `col` random images (matplotlib)."""
        show_images(self.data, row, col)

    @staticmethod
    def labels():
        return dict(enumerate(["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse",
                               "ship", "truck"]))


_CIFAR100_FINE = (
    "apple aquarium_fish baby bear beaver bed bee beetle bicycle bottle bowl boy bridge bus butterfly "
    "camel can castle caterpillar cattle chair chimpanzee clock cloud cockroach couch crab crocodile cup "
    "dinosaur dolphin elephant flatfish forest fox girl hamster house kangaroo keyboard lamp lawn_mower "
    "leopard lion lizard lobster man maple_tree motorcycle mountain mouse mushroom oak_tree orange orchid "
    "otter palm_tree pear pickup_truck pine_tree plain plate poppy porcupine possum rabbit raccoon ray "
    "road rocket rose sea seal shark shrew skunk skyscraper snail snake spider squirrel streetcar "
    "sunflower sweet_pepper table tank telephone television tiger tractor train trout tulip turtle "
    "wardrobe whale willow_tree wolf woman worm").split()
_CIFAR100_COARSE = [  # DeZero's wording of the 20 superclasses
    "aquatic mammals", "fish", "flowers", "food containers", "fruit and vegetables",
    "household electrical device", "household furniture", "insects", "large carnivores",
    "large man-made outdoor things", "large natural outdoor scenes", "large omnivores and herbivores",
    "medium-sized mammals", "non-insect invertebrates", "people", "reptiles", "small mammals", "trees",
    "vehicles 1", "vehicles 2"]


class CIFAR100(CIFAR10):
    """CIFAR-100: like CIFAR10 with 100 classes (label_type='fine') grouped in 20 superclasses
    (label_type='coarse').  Its cache files name the label type (DeZero's do not, and may hold either)."""
    name = "cifar-100"
    url = "https://www.cs.toronto.edu/~kriz/cifar-100-python.tar.gz"
    md5 = "eb9058c3a382ffc7106e4002c42a8d85"  # published on the CIFAR page

    def __init__(self, train=True, transform=Compose([ToFloat(), Normalize(mean=127.5, std=127.5)]),
                 target_transform=None, label_type="fine", root=None):
        if label_type not in ("fine", "coarse"):
            raise ValueError(f"CIFAR100: label_type must be 'fine' or 'coarse', got {label_type!r}")
        self.label_type = label_type
        self.num_classes = 100 if label_type == "fine" else 20
        super().__init__(train, transform, target_transform, root)

    def _batches(self):
        return ["train" if self.train else "test"]

    def _label_key(self):
        return f"{self.label_type}_labels"

    def _cache_key(self):
        return f"{self.url}.{self.label_type}"

    @staticmethod
    def labels(label_type="fine"):
        if label_type not in ("fine", "coarse"):
            raise ValueError(f"CIFAR100.labels: label_type must be 'fine' or 'coarse', got {label_type!r}")
        names = _CIFAR100_FINE if label_type == "fine" else _CIFAR100_COARSE
        return {i: n.replace("_", " ") for i, n in enumerate(names)}
