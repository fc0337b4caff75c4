"""MNIST and Fashion-MNIST, and the bundled MNIST sample.

MNIST-like data come from the standard IDX files, looked up locally first (see `find_data`), downloaded
with MD5 checks otherwise; a bundled 5,000-digit MNIST sample works with no files and no network.
"""
import gzip
import os
import zlib

import numpy as np

from minigrad import files
from minigrad.datasets.base import (DataNotFoundError, Dataset, dataset_dirs, download_dir, new_dirs,
                                    remove_new_dirs, show_images, ways_to_provide)
from minigrad.transforms import Compose, Flatten, Normalize, ToFloat


# ----------------------------------------------------------------------------- IDX files

def _read_idx(path, ndim):
    """Read one IDX file (gzip or plain) of unsigned bytes with `ndim` dims; validate header and length."""
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as e:
            raise ValueError(f"{path}: damaged or truncated gzip file ({e})") from None
    if len(raw) < 4 + 4 * ndim:
        raise ValueError(f"{path}: too short for an IDX header ({len(raw)} bytes)")
    magic = int.from_bytes(raw[:4], "big")
    if magic != 0x800 + ndim:
        raise ValueError(f"{path}: bad IDX magic number {magic} (expected {0x800 + ndim}: "
                         f"uint8 data with {ndim} dims)")
    dims = tuple(int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    offset, size = 4 + 4 * ndim, int(np.prod(dims))
    if len(raw) - offset != size:
        raise ValueError(f"{path}: header says {dims} = {size} bytes of data, file has {len(raw) - offset}")
    return np.frombuffer(raw, np.uint8, offset=offset).reshape(dims).copy()


def load_idx_pair(images_path, labels_path):
    """Read an IDX image file (N, 28, 28) and label file (N,) → (uint8 (N, 1, 28, 28), int64 (N,))."""
    x = _read_idx(images_path, 3)
    t = _read_idx(labels_path, 1)
    if x.shape[1:] != (28, 28):
        raise ValueError(f"{images_path}: images are {x.shape[1:]}, expected (28, 28)")
    if len(x) != len(t):
        raise ValueError(f"{images_path} has {len(x)} images but {labels_path} has {len(t)} labels")
    if t.size and t.max() > 9:
        raise ValueError(f"{labels_path}: label {t.max()} out of range 0..9")
    return x[:, None], t.astype(np.int64)


# ----------------------------------------------------------------------------- finding and downloading

_FILES = {True: ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
          False: ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")}
_MD5 = {  # published checksums of the .gz files
    "mnist": {"train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
              "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
              "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
              "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c"},
    "fashion-mnist": {"train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
                      "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
                      "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
                      "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310"}}
MIRRORS = {"mnist": ["https://ossci-datasets.s3.amazonaws.com/mnist/", "http://yann.lecun.com/exdb/mnist/"],
           "fashion-mnist": ["http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"]}
SYSTEM_DIRS = {"mnist": [], "fashion-mnist": ["/usr/share/datasets/fashion-mnist"]}  # Debian packages


def _candidate_dirs(name, root=None):
    """Where `name`'s files are looked for: dataset_dirs (~/.dezero for MNIST only: DeZero has no
    Fashion-MNIST, whose files have MNIST's names), then system dirs (Debian's dataset-fashion-mnist)."""
    return dataset_dirs(name, root, dezero=name == "mnist") + SYSTEM_DIRS.get(name, [])


def _local(directory, fname):
    """The file `fname` in `directory`, or its uncompressed twin, or None."""
    for p in (os.path.join(directory, fname), os.path.join(directory, fname[:-3])):
        if os.path.isfile(p):
            return p
    return None


def find_data(name, train=True, root=None):
    """Paths (images, labels) of a local copy of `name` ('mnist' or 'fashion-mnist'), or None."""
    for d in _candidate_dirs(name, root):
        paths = [_local(d, f) for f in _FILES[bool(train)]]
        if all(paths):
            return tuple(paths)
    return None


def mnist_available(root=None, train=None):
    """True if full MNIST IDX files are present locally (both splits unless `train` is given); no network."""
    splits = (True, False) if train is None else (bool(train),)
    return all(find_data("mnist", s, root) for s in splits)


def _download(name, fname, directory):
    """Fetch `fname` of dataset `name` into `directory`, trying each mirror; keep it only if its MD5
    matches (files.download: atomic, a corrupt download is deleted). Returns the path; raises OSError."""
    final, errors = os.path.join(directory, fname), []
    for mirror in MIRRORS[name]:
        try:
            return files.download(mirror + fname, final, md5=_MD5[name][fname])
        except OSError as e:  # URLError, timeouts, cut-off responses, a wrong MD5
            errors.append(f"{mirror}{fname}: {e!r}" if not str(e) else f"{mirror}{fname}: {e}")
    raise OSError("; ".join(errors))


def _howto(name, train, errors):
    ways = ways_to_provide(name, _FILES[bool(train)], dezero=name == "mnist")
    if name == "fashion-mnist":
        ways.append("apt-get install dataset-fashion-mnist (installs them in /usr/share/datasets/fashion-mnist)")
    if name == "mnist":
        ways.append("use the bundled 5,000-digit sample: MNIST(sample=True) (or sample='auto')")
    return (f"{name} files not found locally and the download failed ({errors}). Ways to provide them: "
            + "; ".join(ways))


def _load(name, train, root):
    """(x, t, images_path): a local copy if any, else downloaded and MD5-checked."""
    paths = find_data(name, train, root)
    if paths is None:
        target = download_dir(name, root)
        created = new_dirs(target)
        try:
            paths = tuple(_local(target, f) or _download(name, f, target) for f in _FILES[bool(train)])
        except OSError as e:
            remove_new_dirs(created)  # root=typo must not leave the typo behind
            raise DataNotFoundError(_howto(name, train, e)) from None
    return load_idx_pair(*paths) + (paths[0],)


def load_mnist_like(name, train=True, root=None):
    """(x uint8 (N, 1, 28, 28), t int64 (N,)) of 'mnist' or 'fashion-mnist' (see MNIST for the lookup)."""
    return _load(name, train, root)[:2]


SAMPLE_PATH = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "data",
                           "mnist_sample.npz")


def load_mnist_sample(train=True):
    """The bundled sample: 4,000 train / 1,000 test real MNIST digits (400 / 100 per class)."""
    with np.load(SAMPLE_PATH, allow_pickle=False) as z:
        x, t = (z["x_train"], z["t_train"]) if train else (z["x_test"], z["t_test"])
    return x, t.astype(np.int64)


# ----------------------------------------------------------------------------- MNIST-like datasets

class MNIST(Dataset):
    """MNIST handwritten digits: data uint8 (N, 1, 28, 28), label int64 (N,); items are flattened
    float32 in [0, 1] by the default transform.

    `sample` chooses the source:
      None/False  full MNIST (60,000 / 10,000): local files (root=, $MINIGRAD_DATA/mnist, ~/.minigrad/mnist,
                  DeZero's ~/.dezero),
                  else downloaded (MD5-checked) into the first of those; offline, DataNotFoundError.
      True        the bundled sample (4,000 / 1,000 real digits, 400 / 100 per class): no files, no network.
      'auto'      full MNIST if its files are present locally, else the bundled sample; never downloads.
    `self.source` tells which was used ('sample' or the images file's path).
    Data: Y. LeCun, C. Cortes, C. Burges, CC BY-SA 3.0.
    """
    name = "mnist"

    def __init__(self, train=True, transform=Compose([Flatten(), ToFloat(), Normalize(0., 255.)]),
                 target_transform=None, root=None, sample=None):
        if sample not in (None, False, True, "auto"):
            raise ValueError(f"MNIST: sample must be None, True, False or 'auto', got {sample!r}")
        self.root, self.sample, self.source = root, sample, None
        super().__init__(train, transform, target_transform)

    def prepare(self):
        # 'auto' decides for both splits at once: the sample's test digits are MNIST training digits,
        # so a full training set must never be evaluated on the sample.
        use_sample = self.sample is True or (
            self.sample == "auto" and not (find_data(self.name, True, self.root)
                                           and find_data(self.name, False, self.root)))
        if use_sample:
            self.data, self.label = load_mnist_sample(self.train)
            self.source = "sample"
        else:
            self.data, self.label, self.source = _load(self.name, self.train, self.root)

    def show(self, row=10, col=10):
        """Draw `row` x `col` random digits (matplotlib)."""
        show_images(self.data, row, col)

    @staticmethod
    def labels():
        return {i: str(i) for i in range(10)}


class FashionMNIST(Dataset):
    """Zalando's Fashion-MNIST: like MNIST (same shapes), clothing classes (see labels()).

    Files are looked up in root=, $MINIGRAD_DATA/fashion-mnist, ~/.minigrad/fashion-mnist, then Debian's
    /usr/share/datasets/fashion-mnist (apt-get install dataset-fashion-mnist), else downloaded.
    """
    name = "fashion-mnist"

    def __init__(self, train=True, transform=Compose([Flatten(), ToFloat(), Normalize(0., 255.)]),
                 target_transform=None, root=None):
        self.root, self.source = root, None
        super().__init__(train, transform, target_transform)

    def prepare(self):
        self.data, self.label, self.source = _load(self.name, self.train, self.root)

    def show(self, row=10, col=10):
        """Draw `row` x `col` random images (matplotlib)."""
        show_images(self.data, row, col)

    @staticmethod
    def labels():
        return {0: "T-shirt/top", 1: "Trouser", 2: "Pullover", 3: "Dress", 4: "Coat",
                5: "Sandal", 6: "Shirt", 7: "Sneaker", 8: "Bag", 9: "Ankle boot"}
