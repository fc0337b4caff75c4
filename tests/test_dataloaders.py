
import numpy as np
import pytest

from minigrad.dataloaders import DataLoader, SeqDataLoader
from minigrad.datasets import MNIST, Dataset, SinCurve, Spiral
from minigrad import transforms as T


class Range(Dataset):
    """x = [i, 10 i], t = i % 3 for i < n."""

    def __init__(self, n=10, **kw):
        self.n = n
        super().__init__(**kw)

    def prepare(self):
        i = np.arange(self.n)
        self.data = np.stack([i, 10 * i], axis=1).astype(np.float32)
        self.label = i % 3


class Items(Dataset):
    """Same values, but served by a custom __getitem__ (no fast path)."""

    def __len__(self):
        return 10

    def __getitem__(self, i):
        return np.array([i, 10 * i], np.float32), i % 3


def epoch(loader):
    return [(x.copy(), None if t is None else t.copy()) for x, t in loader]


@pytest.mark.parametrize("ds", [Range(), Items()])
def test_batches_in_order_with_partial_last(ds):
    loader = DataLoader(ds, batch_size=4, shuffle=False)
    assert loader.data_size == 10 and loader.max_iter == 3 and len(loader) == 3
    batches = epoch(loader)
    assert [x.shape for x, _ in batches] == [(4, 2), (4, 2), (2, 2)]
    np.testing.assert_array_equal(batches[2][0], [[8, 80], [9, 90]])
    np.testing.assert_array_equal(batches[0][1], [0, 1, 2, 0])
    assert batches[0][0].dtype == np.float32 and batches[0][1].dtype.kind == "i"
    assert loader.iteration == 0  # reset after the epoch
    assert len(epoch(loader)) == 3  # and a second epoch runs


def test_epoch_end_raises_stop_iteration_and_resets():
    loader = DataLoader(Range(5), batch_size=2, shuffle=False)
    assert [len(next(loader)[0]) for _ in range(3)] == [2, 2, 1]
    assert loader.iteration == 3
    with pytest.raises(StopIteration):
        next(loader)
    assert loader.iteration == 0
    np.testing.assert_array_equal(loader.next()[0][:, 0], [0, 1])


def test_shuffle_covers_everything_once_and_reshuffles():
    np.random.seed(0)
    loader = DataLoader(Range(10), batch_size=3)
    orders = []
    for _ in range(3):
        xs = np.concatenate([x[:, 0] for x, _ in epoch(loader)])
        assert sorted(xs.tolist()) == list(range(10))
        orders.append(xs.tolist())
    assert orders[0] != list(range(10)) and len({tuple(o) for o in orders}) == 3
    for x, t in DataLoader(Range(10), batch_size=4):  # labels stay with their examples
        np.testing.assert_array_equal(t, x[:, 0].astype(int) % 3)
    np.random.seed(5)
    a = epoch(DataLoader(Range(10), 4))
    np.random.seed(5)
    b = epoch(DataLoader(Range(10), 4))
    assert all(np.array_equal(p[0], q[0]) for p, q in zip(a, b))


def test_fast_path_equals_item_loop():
    np.random.seed(1)
    tr = T.Compose([T.Flatten(), T.ToFloat(), T.Normalize(0., 255.)])
    ds = MNIST(sample=True, transform=tr)  # batchable transform: vectorised gather
    slow = MNIST(sample=True, transform=T.Compose([tr, lambda v: v]))  # not batchable: item loop
    np.random.seed(2)
    xf, tf = next(DataLoader(ds, 100))
    np.random.seed(2)
    xs, ts = next(DataLoader(slow, 100))
    assert xf.shape == (100, 784) and xf.dtype == np.float32 and tf.dtype == np.int64
    np.testing.assert_array_equal(xf, xs)
    np.testing.assert_array_equal(tf, ts)
    ds_raw = Spiral(target_transform=T.ToInt(np.int32))
    x, t = next(DataLoader(ds_raw, 7, shuffle=False))
    np.testing.assert_array_equal(x, ds_raw.data[:7])
    assert t.dtype == np.int32 and t.tolist() == ds_raw.label[:7].tolist()


def test_unlabelled_dataset_gives_t_none():
    class U(Dataset):
        def prepare(self):
            self.data = np.arange(6).reshape(3, 2)
    x, t = next(DataLoader(U(), 2, shuffle=False))
    assert t is None and x.tolist() == [[0, 1], [2, 3]]
    x, t = next(DataLoader(U(transform=lambda v: v + 1), 2, shuffle=False))
    assert t is None and x.tolist() == [[1, 2], [3, 4]]


@pytest.mark.parametrize("bad, error", [(0, ValueError), (-1, ValueError), (2.0, TypeError),
                                        ("4", TypeError), (None, TypeError), (True, TypeError)])
def test_bad_batch_size(bad, error):
    with pytest.raises(error, match="DataLoader: batch_size must be a positive int"):
        DataLoader(Range(), bad)
    with pytest.raises(error, match="SeqDataLoader: batch_size must be a positive int"):
        SeqDataLoader(Range(), bad)


def test_numpy_int_batch_size_ok():
    assert DataLoader(Range(), np.int64(5)).max_iter == 2


def test_seq_dataloader_jumps():
    ds = SinCurve()
    loader = SeqDataLoader(ds, batch_size=3)
    assert loader.max_iter == 333
    jump = 999 // 3
    x0, t0 = next(loader)
    x1, t1 = next(loader)
    np.testing.assert_array_equal(x0[:, 0], ds.data[[0, jump, 2 * jump], 0])
    np.testing.assert_array_equal(x1[:, 0], ds.data[[1, jump + 1, 2 * jump + 1], 0])
    np.testing.assert_array_equal(t0, x1)  # each row's label is that row's next input
    r = SeqDataLoader(Range(10), batch_size=4)  # jump 2, 3 batches, wraps modulo 10
    got = [x[:, 0].astype(int).tolist() for x, _ in r]
    assert got == [[0, 2, 4, 6], [1, 3, 5, 7], [2, 4, 6, 8]]
    with pytest.raises(ValueError, match="exceeds"):
        SeqDataLoader(Range(3), batch_size=4)


def test_gpu_flag_uses_minigrad_cuda(monkeypatch):
    """gpu=True moves the batch with minigrad.cuda.as_cupy (a stand-in here, so no GPU is needed)."""
    moved = []
    from minigrad import cuda
    monkeypatch.setattr(cuda, "as_cupy", lambda a: moved.append(a) or ("on-gpu", a.shape))
    loader = DataLoader(Range(4), 2, shuffle=False, gpu=True)
    x, t = next(loader)
    assert x == ("on-gpu", (2, 2)) and t == ("on-gpu", (2,)) and len(moved) == 2
    loader.to_cpu()
    x, t = next(loader)
    assert isinstance(x, np.ndarray) and x[0, 0] == 2
    loader.to_gpu()
    assert loader.gpu is True


@pytest.mark.gpu
def test_gpu_real_cupy():
    cupy = pytest.importorskip("cupy")
    try:
        if cupy.cuda.runtime.getDeviceCount() == 0:
            pytest.skip("no GPU")
    except Exception:
        pytest.skip("no usable GPU")
    x, t = next(DataLoader(Range(4), 3, shuffle=False, gpu=True))
    assert isinstance(x, cupy.ndarray) and isinstance(t, cupy.ndarray)
    assert cupy.asnumpy(x)[2, 1] == 20 and cupy.asnumpy(t).tolist() == [0, 1, 2]


def test_a_new_for_loop_starts_a_new_epoch_after_break():
    loader = DataLoader(Range(10), batch_size=3, shuffle=False)
    for i, (x, t) in enumerate(loader):
        if i == 1:
            break
    seen = np.concatenate([x[:, 0] for x, t in loader])
    np.testing.assert_array_equal(seen, np.arange(10))  # all 10 examples, not the 4 left


def test_next_goes_on_mid_epoch_as_in_dezero():
    loader = DataLoader(Range(10), batch_size=3, shuffle=False)
    next(loader)
    np.testing.assert_array_equal(next(loader)[0][:, 0], [3, 4, 5])


def test_for_over_a_fresh_loader_keeps_its_first_order():
    np.random.seed(3)
    loader = DataLoader(Range(10), batch_size=10)
    order = loader.index.copy()
    (x, t), = list(loader)
    np.testing.assert_array_equal(x[:, 0], order)  # no second shuffle: seeded runs match DeZero's


@pytest.mark.parametrize("kwargs, error, message", [
    (dict(dataset=3, batch_size=2), TypeError, r"DataLoader: dataset must be a Dataset .*got int"),
    (dict(dataset=Range(), batch_size=2, shuffle="yes"), TypeError, r"DataLoader: shuffle must be a bool"),
    (dict(dataset=Range(), batch_size=2, gpu=1), TypeError, r"DataLoader: gpu must be a bool, got 1"),
])
def test_bad_loader_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        DataLoader(**kwargs)
