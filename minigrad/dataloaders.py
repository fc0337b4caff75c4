"""Mini-batch iterators (DeZero's names): DataLoader for i.i.d. examples, SeqDataLoader for time series.

`next(loader)` returns `(x, t)`: the examples stacked along a new first axis (NumPy, or CuPy with gpu=True).
An epoch ends with StopIteration, after which the loader has reset itself (reshuffled), so
`for x, t in loader:` can be written once per epoch.  A `for` always starts a new epoch, also after
an earlier loop left with `break`; `next(loader)` goes on where the last batch left off, as in DeZero.
When the dataset's items are plain rows of its `data`/`label` arrays, a batch is gathered with one
fancy-indexing copy instead of a loop over items.
"""
import importlib.util
import math

import numpy as np

from minigrad import cuda
from minigrad.datasets import ArrayDataset, Dataset
from minigrad.transforms import _batchable
from minigrad.checks import bool_arg, positive_int

# DeZero's flag: whether Pillow (the image transforms' backend) is installed.  Found, not imported:
# optional packages load where they are used.
pil_available = importlib.util.find_spec("PIL") is not None


class DataLoader:
    """Iterate over `dataset` in batches of `batch_size` (the last one may be smaller).  `dataset` may
    also be a tuple of arrays `(X, y)` or `(X,)`, as for ArrayDataset.

    shuffle=True draws a new order from NumPy's global random state at every reset (seed it with
    np.random.seed for reproducible runs). Attributes: data_size, max_iter (batches per epoch), iteration.
    """

    def __init__(self, dataset, batch_size, shuffle=True, gpu=False):
        name = type(self).__name__
        self.batch_size = positive_int(batch_size, f"{name}: batch_size")
        if isinstance(dataset, tuple) and 1 <= len(dataset) <= 2 and all(
                isinstance(a, np.ndarray) for a in dataset):
            dataset = ArrayDataset(*dataset)  # (X, y): read as two arrays, not as two examples
        if not (hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")):
            raise TypeError(f"{name}: dataset must be a Dataset (or any object with len() and "
                            f"indexing), got {type(dataset).__name__}")
        self.shuffle = bool_arg(shuffle, f"{name}: shuffle")
        self.gpu = bool_arg(gpu, f"{name}: gpu")
        self.dataset = dataset
        self.data_size = len(dataset)
        self.max_iter = math.ceil(self.data_size / self.batch_size)
        self.reset()

    def reset(self):
        self.iteration = 0
        self.index = np.random.permutation(self.data_size) if self.shuffle else np.arange(self.data_size)

    def __iter__(self):
        if self.iteration:  # a loop left mid-epoch: start afresh (a fresh loader needs no new order)
            self.reset()
        return self

    def __len__(self):
        return self.max_iter

    def _batch_indices(self):
        i, bs = self.iteration, self.batch_size
        return self.index[i * bs:(i + 1) * bs]

    def __next__(self):
        if self.iteration >= self.max_iter:
            self.reset()
            raise StopIteration
        x, t = self._gather(self._batch_indices())
        self.iteration += 1
        if self.gpu:
            x = cuda.as_cupy(x)
            t = None if t is None else cuda.as_cupy(t)
        return x, t

    next = __next__

    def _gather(self, idx):
        ds = self.dataset
        data, label = getattr(ds, "data", None), getattr(ds, "label", None)
        fast = (isinstance(ds, Dataset) and type(ds).__getitem__ is Dataset.__getitem__
                and isinstance(data, np.ndarray) and (label is None or isinstance(label, np.ndarray))
                and _batchable(ds.transform) and _batchable(ds.target_transform))
        if fast:  # one gather per array, transforms applied to the whole batch
            x = data[idx]
            if ds.transform is not None:
                x = ds.transform.apply_batch(x)
            if label is None:
                return x, None
            t = label[idx]
            return x, (t if ds.target_transform is None else ds.target_transform.apply_batch(t))
        batch = [ds[int(i)] for i in idx]
        x = np.stack([np.asarray(ex[0]) for ex in batch])
        ts = [ex[1] for ex in batch]
        t = None if all(v is None for v in ts) else np.array(ts)
        return x, t

    def to_cpu(self):
        self.gpu = False

    def to_gpu(self):
        self.gpu = True


class SeqDataLoader(DataLoader):
    """Batches for truncated BPTT: row k of batch i is example (k * jump + i) % data_size, where
    jump = data_size // batch_size, so each row walks its own stretch of the series in order."""

    def __init__(self, dataset, batch_size, gpu=False):
        super().__init__(dataset, batch_size, shuffle=False, gpu=gpu)
        if self.batch_size > self.data_size:
            raise ValueError(f"SeqDataLoader: batch_size {self.batch_size} exceeds the dataset's "
                             f"{self.data_size} examples")

    def _batch_indices(self):
        jump = self.data_size // self.batch_size
        return (np.arange(self.batch_size) * jump + self.iteration) % self.data_size
