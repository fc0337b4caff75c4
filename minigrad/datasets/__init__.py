"""Datasets (DeZero's names): `import minigrad.datasets` sees them all.

A Dataset holds `data` and `label` arrays made by `prepare()`; `ds[i]` returns
`(transform(x), target_transform(t))`.  Files are looked up locally first (root=, $MINIGRAD_DATA/<name>,
~/.minigrad/<name>, DeZero's ~/.dezero), downloaded with checksums otherwise; offline, DataNotFoundError
lists the ways to provide them.  Modules, lowest first: base (Dataset, file lookup, show), cache
(DeZero's parsed-dataset .npz cache), then toy (Spiral, SinCurve), mnist (MNIST, FashionMNIST, the
bundled sample), cifar (CIFAR10, CIFAR100), imagenet (ImageNet and its labels), text (Shakespear).
"""
from minigrad.datasets.base import ArrayDataset, DataNotFoundError, Dataset  # noqa: F401
from minigrad.datasets.cache import load_cache_npz, save_cache_npz  # noqa: F401
from minigrad.datasets.toy import SinCurve, Spiral, get_spiral  # noqa: F401
from minigrad.datasets.mnist import (  # noqa: F401
    _FILES, _MD5, MIRRORS, SAMPLE_PATH, SYSTEM_DIRS, FashionMNIST, MNIST, _read_idx, find_data,
    load_idx_pair, load_mnist_like, load_mnist_sample, mnist_available)
from minigrad.datasets.cifar import CIFAR10, CIFAR100  # noqa: F401
from minigrad.datasets.imagenet import ImageNet  # noqa: F401
from minigrad.datasets.text import Shakespear  # noqa: F401
