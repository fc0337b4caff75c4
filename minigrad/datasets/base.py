"""The Dataset base class and what every file-backed dataset shares: where its files are looked for,
how a missing one is downloaded (checked) or explained, and showing a grid of its images."""
import os

import numpy as np

from minigrad import files
from minigrad.checks import bool_arg


class Dataset:
    """Base class: subclasses fill `self.data` and `self.label` (may stay None) in `prepare()`."""

    def __init__(self, train=True, transform=None, target_transform=None):
        name = type(self).__name__
        self.train = bool_arg(train, f"{name}: train", "Pass train=False for the test split")
        for arg, value in (("transform", transform), ("target_transform", target_transform)):
            if value is not None and not callable(value):
                raise TypeError(f"{name}: {arg} must be callable or None, got {type(value).__name__}")
        self.transform = transform
        self.target_transform = target_transform
        self.data = None
        self.label = None
        self.prepare()

    def prepare(self):
        pass

    def __getitem__(self, index):
        if not isinstance(index, (int, np.integer)) or isinstance(index, bool):
            raise TypeError(f"{type(self).__name__}: index must be an int, got {type(index).__name__}")
        x = self.data[index]
        if self.transform is not None:
            x = self.transform(x)
        if self.label is None:
            return x, None
        t = self.label[index]
        if self.target_transform is not None:
            t = self.target_transform(t)
        return x, t

    def __len__(self):
        return 0 if self.data is None else len(self.data)


class ArrayDataset(Dataset):
    """Examples given as arrays (PyTorch's TensorDataset): `ArrayDataset(X, y)` serves `(X[i], y[i])`,
    `ArrayDataset(X)` serves `(X[i], None)`.  `DataLoader((X, y), batch_size)` wraps its tuple in one.
    The arrays are kept as given (no copy), so DataLoader batches them with one gather each."""

    def __init__(self, X, y=None, transform=None, target_transform=None):
        super().__init__(train=True, transform=transform, target_transform=target_transform)
        self.data = self._array(X, "X")
        self.label = None if y is None else self._array(y, "y")
        if self.label is not None and len(self.label) != len(self.data):
            raise ValueError(f"ArrayDataset: X and y have different lengths: X has {len(self.data)} "
                             f"examples, y has {len(self.label)}")

    @staticmethod
    def _array(a, name):
        a = np.asarray(a)
        if a.ndim == 0 or a.dtype.kind not in "biuf":
            raise TypeError(f"ArrayDataset: {name} must be a numeric array with a first (example) axis, "
                            f"got {'dtype ' + str(a.dtype) if a.ndim else 'a scalar'}")
        return a


class DataNotFoundError(FileNotFoundError):
    """The dataset's files are neither present locally nor downloadable."""


def dataset_dirs(name, root=None, dezero=True):
    """Where the files of dataset `name` are looked for, in order: root and root/name, $MINIGRAD_DATA/name,
    ~/.minigrad/name, then (with `dezero`) DeZero's ~/.dezero itself (DeZero's get_file keeps every
    file there, flat)."""
    dirs = [os.fspath(root), os.path.join(os.fspath(root), name)] if root else []
    dezero_dir = files.dezero_cache_dir()
    dirs += [os.path.join(d, name) for d in files.cache_dirs() if d != dezero_dir]
    return dirs + [dezero_dir] if dezero else dirs


def download_dir(name, root=None):
    """Where downloads of `name` go: root/name, else $MINIGRAD_DATA/name, else ~/.minigrad/name (one
    directory per dataset, never ~/.dezero)."""
    return os.path.join(os.fspath(root), name) if root else files.cache_dir(name)


def find_file(name, file_name, root=None):
    """The path of a local copy of `file_name` of dataset `name` (see dataset_dirs), or None."""
    for d in dataset_dirs(name, root):
        path = os.path.join(d, file_name)
        if os.path.isfile(path):
            return path
    return None


def ways_to_provide(name, file_names, dezero=True):
    """The ways to put `file_names` of dataset `name` where the loaders look (for error messages)."""
    listed = " and ".join(file_names)
    ways = [f"pass root=DIR (a directory holding {listed})",
            f"set MINIGRAD_DATA=DIR and put the files in DIR/{name}",
            f"put the files in ~/.minigrad/{name}"]
    return ways + ["or in ~/.dezero (where DeZero's downloads are kept)"] if dezero else ways


def obtain(name, file_name, url, root=None, md5=None, sha256=None):
    """The path of `file_name` of dataset `name`: a local copy (see dataset_dirs; the loader validates
    its contents), else downloaded from `url` into download_dir and kept only if its checksums match.
    Offline, DataNotFoundError says where the file can be put."""
    path = find_file(name, file_name, root)
    if path is not None:
        return path
    target = os.path.join(download_dir(name, root), file_name)
    created = new_dirs(os.path.dirname(target))
    try:
        return files.download(url, target, md5=md5, sha256=sha256)
    except OSError as e:  # URLError, timeouts, cut-off responses, a wrong checksum
        remove_new_dirs(created)
        raise DataNotFoundError(
            f"{name}: {file_name} not found locally and the download from {url} failed ({e}). "
            "Ways to provide it: " + "; ".join(ways_to_provide(name, [file_name]))) from None


def new_dirs(directory):
    """`directory` and those of its ancestors that do not exist yet, deepest first."""
    missing, d = [], os.path.abspath(directory)
    while not os.path.exists(d):
        missing.append(d)
        parent = os.path.dirname(d)
        if parent == d:
            break
        d = parent
    return missing


def remove_new_dirs(created):
    """Remove the directories new_dirs listed that are still empty (a failed download leaves no tree
    behind; a directory holding a checked file is kept)."""
    for d in created:
        try:
            os.rmdir(d)
        except OSError:  # not empty, or already gone
            break


def tile_images(images, row, col, rng=None):
    """A (row*H, col*W) or (row*H, col*W, 3) grid of `row * col` images drawn at random from `images`
    ((N, H, W), (N, 1, H, W) or (N, 3, H, W))."""
    images = np.asarray(images)
    if images.ndim == 4:
        images = images[:, 0] if images.shape[1] == 1 else images.transpose(0, 2, 3, 1)
    if images.ndim not in (3, 4) or len(images) == 0:
        raise ValueError(f"show: expected a non-empty stack of images, got shape {images.shape}")
    rng = np.random if rng is None else rng
    picks = images[rng.randint(0, len(images), size=row * col)]
    h, w = picks.shape[1:3]
    grid = picks.reshape((row, col) + picks.shape[1:]).swapaxes(1, 2)
    return grid.reshape((row * h, col * w) + picks.shape[3:])


def show_images(images, row=10, col=10):
    """Draw a grid of random images with matplotlib (DeZero's Dataset.show)."""
    try:
        import matplotlib.pyplot as plt
    except ImportError:
        raise ImportError("show needs matplotlib: pip install matplotlib") from None
    grid = tile_images(images, row, col)
    if grid.ndim == 3 and grid.dtype == np.uint8:
        grid = grid / 255.0
    plt.imshow(grid, cmap="gray" if grid.ndim == 2 else None, interpolation="nearest")
    plt.axis("off")
    plt.show()
