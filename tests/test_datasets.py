import gzip
import hashlib
import os
import urllib.error

import numpy as np
import pytest

from minigrad import datasets as D
from minigrad import files
from minigrad.datasets import mnist as mnist_module
from minigrad.transforms import Normalize

FILES = ["train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz",
         "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"]


@pytest.fixture(autouse=True)
def offline_and_isolated(tmp_path, monkeypatch):
    """No test reads the real ~/.minigrad or $MINIGRAD_DATA, and none reaches the network."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.delenv("MINIGRAD_DATA", raising=False)

    def no_network(url, path):
        raise urllib.error.URLError("network disabled in tests")
    monkeypatch.setattr(files, "fetch", no_network)


def idx_bytes(arr, magic=None):
    arr = np.asarray(arr, np.uint8)
    magic = 0x800 + arr.ndim if magic is None else magic
    head = magic.to_bytes(4, "big") + b"".join(int(d).to_bytes(4, "big") for d in arr.shape)
    return head + arr.tobytes()


def fake_mnist(n=6, seed=0):
    rs = np.random.RandomState(seed)
    return rs.randint(0, 256, size=(n, 28, 28)).astype(np.uint8), (np.arange(n) * 7 % 10).astype(np.uint8)


def write_split(d, train=True, n=6, seed=0, compress=True):
    """Write a small IDX image/label pair into directory d; return the arrays."""
    os.makedirs(d, exist_ok=True)
    x, t = fake_mnist(n, seed)
    img, lab = (FILES[0], FILES[1]) if train else (FILES[2], FILES[3])
    for name, arr in ((img, x), (lab, t)):
        data = idx_bytes(arr)
        if compress:
            open(os.path.join(d, name), "wb").write(gzip.compress(data))
        else:
            open(os.path.join(d, name[:-3]), "wb").write(data)
    return x, t


# ---------------------------------------------------------------- toy datasets

def dezero_spiral(train, restore=True):
    """DeZero's get_spiral written as in the book (loop, global seed), as the reference."""
    state = np.random.get_state()
    np.random.seed(1984 if train else 2020)
    x, t = np.zeros((300, 2), np.float32), np.zeros(300, int)
    for j in range(3):
        for i in range(100):
            rate = i / 100
            theta = j * 4.0 + 4.0 * rate + np.random.randn() * 0.2
            x[100 * j + i] = [rate * np.sin(theta), rate * np.cos(theta)]
            t[100 * j + i] = j
    perm = np.random.permutation(300)
    if restore:
        np.random.set_state(state)
    return x[perm], t[perm]


@pytest.mark.parametrize("train", [True, False])
def test_spiral_matches_dezero(train):
    x, t = D.get_spiral(train)
    rx, rt = dezero_spiral(train)
    assert x.shape == (300, 2) and x.dtype == np.float32 and t.shape == (300,)
    np.testing.assert_array_equal(x, rx)
    np.testing.assert_array_equal(t, rt)
    assert np.bincount(t).tolist() == [100, 100, 100]
    assert np.abs(x).max() <= 1.0


@pytest.mark.parametrize("train", [True, False])
def test_spiral_seeds_global_rng_as_dezero(train):
    """DeZero's get_spiral seeds NumPy's global random state and draws from it; the book's steps 48-50
    (model initialisation, shuffling) then give the same numbers on every run.  The state it leaves
    must be DeZero's."""
    np.random.seed(123)
    D.get_spiral(train)
    after = np.random.rand(5)
    np.random.seed(456)
    dezero_spiral(train, restore=False)
    np.testing.assert_array_equal(after, np.random.rand(5))
    np.random.seed(789)
    D.get_spiral(train)
    np.testing.assert_array_equal(after, np.random.rand(5))  # whatever the state before


def test_spiral_deterministic():
    a, b = D.Spiral(), D.Spiral()
    np.testing.assert_array_equal(a.data, b.data)
    assert not np.array_equal(D.Spiral(train=False).data, a.data)
    x, t = a[3]
    assert x.shape == (2,) and t == a.label[3] and len(a) == 300
    s = D.Spiral(transform=lambda v: v * 2, target_transform=lambda v: v + 10)
    x2, t2 = s[3]
    np.testing.assert_array_equal(x2, 2 * a.data[3])
    assert t2 == a.label[3] + 10


def test_sincurve():
    tr, te = D.SinCurve(), D.SinCurve(train=False)
    assert tr.data.shape == (999, 1) and tr.label.shape == (999, 1) and len(tr) == 999
    np.testing.assert_array_equal(tr.label[:-1], tr.data[1:])  # label is the next value
    x = np.linspace(0, 2 * np.pi, 1000)
    noise = tr.data[:, 0] - np.sin(x[:-1])
    assert np.abs(noise).max() <= 0.05 and noise.std() > 0.02
    np.testing.assert_allclose(te.data[:, 0], np.cos(x[:-1]))
    np.testing.assert_array_equal(D.SinCurve().data, tr.data)


def test_dataset_base_label_none_and_index_type():
    class Unlabelled(D.Dataset):
        def prepare(self):
            self.data = np.arange(5) * 3
    ds = Unlabelled()
    assert len(ds) == 5 and ds[2] == (6, None) and ds[np.int64(4)] == (12, None)
    with pytest.raises(TypeError, match="index must be an int"):
        ds[1.0]
    assert len(D.Dataset()) == 0


# ---------------------------------------------------------------- IDX files

def test_idx_reader_reads_values(tmp_path):
    x, t = write_split(tmp_path, n=5)
    xx, tt = D.load_idx_pair(tmp_path / FILES[0], tmp_path / FILES[1])
    assert xx.shape == (5, 1, 28, 28) and xx.dtype == np.uint8 and xx.flags.writeable
    np.testing.assert_array_equal(xx[:, 0], x)
    assert tt.dtype == np.int64 and tt.tolist() == [0, 7, 4, 1, 8]


def test_idx_truncated_gzip_names_file(tmp_path):
    write_split(tmp_path)
    p = tmp_path / FILES[0]
    p.write_bytes(p.read_bytes()[:-200])
    with pytest.raises(ValueError, match=FILES[0]):
        D.load_idx_pair(p, tmp_path / FILES[1])


def test_idx_short_payload_names_file(tmp_path):
    x, _ = fake_mnist(3)
    p = tmp_path / "imgs.gz"
    p.write_bytes(gzip.compress(idx_bytes(x)[:-10]))  # valid gzip, data 10 bytes short
    with pytest.raises(ValueError, match=r"imgs\.gz.*2352 bytes of data, file has 2342"):
        D._read_idx(p, 3)
    p.write_bytes(gzip.compress(idx_bytes(x) + b"\0"))  # one byte too many
    with pytest.raises(ValueError, match="imgs.gz"):
        D._read_idx(p, 3)


def test_idx_wrong_magic(tmp_path):
    x, t = fake_mnist(3)
    p = tmp_path / "labels.gz"
    p.write_bytes(gzip.compress(idx_bytes(x)))  # an image file where labels are expected
    with pytest.raises(ValueError, match=r"labels\.gz: bad IDX magic number 2051"):
        D._read_idx(p, 1)
    p.write_bytes(gzip.compress(idx_bytes(t, magic=0x0D01)))  # float32 type code
    with pytest.raises(ValueError, match="magic"):
        D._read_idx(p, 1)
    p.write_bytes(b"\0\0")
    with pytest.raises(ValueError, match="too short"):
        D._read_idx(p, 1)


def test_idx_mismatched_counts_and_bad_labels(tmp_path):
    x, t = fake_mnist(4)
    (tmp_path / "i.gz").write_bytes(gzip.compress(idx_bytes(x)))
    (tmp_path / "l.gz").write_bytes(gzip.compress(idx_bytes(t[:3])))
    with pytest.raises(ValueError, match="4 images but .* 3 labels"):
        D.load_idx_pair(tmp_path / "i.gz", tmp_path / "l.gz")
    (tmp_path / "l.gz").write_bytes(gzip.compress(idx_bytes(np.array([0, 1, 2, 11]))))
    with pytest.raises(ValueError, match="label 11 out of range"):
        D.load_idx_pair(tmp_path / "i.gz", tmp_path / "l.gz")
    (tmp_path / "i.gz").write_bytes(gzip.compress(idx_bytes(np.zeros((4, 14, 14)))))
    with pytest.raises(ValueError, match=r"\(14, 14\), expected \(28, 28\)"):
        D.load_idx_pair(tmp_path / "i.gz", tmp_path / "l.gz")


# ---------------------------------------------------------------- lookup order

def test_mnist_from_root_with_default_transform(tmp_path):
    x, t = write_split(tmp_path / "r", train=False, n=4)
    ds = D.MNIST(train=False, root=tmp_path / "r")
    assert len(ds) == 4 and ds.data.shape == (4, 1, 28, 28) and ds.data.dtype == np.uint8
    assert ds.source.endswith(FILES[2])
    xi, ti = ds[1]
    assert xi.shape == (784,) and xi.dtype == np.float32
    np.testing.assert_allclose(xi, x[1].ravel() / 255.0, rtol=1e-6)
    assert ti == t[1] == 7
    raw = D.MNIST(train=False, root=tmp_path / "r", transform=None)[1][0]
    assert raw.shape == (1, 28, 28) and raw.dtype == np.uint8


def test_root_then_env_then_home(tmp_path, monkeypatch):
    home = tmp_path / "home" / ".minigrad" / "mnist"
    env = tmp_path / "env"
    write_split(home, n=3, seed=1)
    assert len(D.MNIST()) == 3 and D.mnist_available(train=True) and not D.mnist_available()
    write_split(env / "mnist", n=4, seed=2)
    monkeypatch.setenv("MINIGRAD_DATA", str(env))
    assert len(D.MNIST()) == 4
    write_split(tmp_path / "root" / "mnist", n=5, seed=3)  # root/<name> is accepted too
    ds = D.MNIST(root=tmp_path / "root")
    assert len(ds) == 5 and ds.source == str(tmp_path / "root" / "mnist" / FILES[0])


def test_uncompressed_files_accepted(tmp_path):
    x, t = write_split(tmp_path, n=3, compress=False)
    ds = D.MNIST(root=tmp_path, transform=None)
    np.testing.assert_array_equal(ds.data[:, 0], x)
    assert ds.source == str(tmp_path / "train-images-idx3-ubyte")


def test_download_bad_checksum_is_deleted(tmp_path, monkeypatch):
    calls = []

    def bad_fetch(url, path):
        calls.append(url)
        open(path, "wb").write(b"not the real file")
    monkeypatch.setattr(files, "fetch", bad_fetch)
    d = tmp_path / "dl"
    with pytest.raises(D.DataNotFoundError, match="MD5") as e:
        D.MNIST(root=d)
    assert isinstance(e.value, FileNotFoundError)
    assert calls == [m + FILES[0] for m in D.MIRRORS["mnist"]]  # every mirror tried, first file fails
    assert list(d.rglob("*")) == []  # nothing left behind, under the real name or a temporary one
    with pytest.raises(D.DataNotFoundError, match="MD5"):
        D.MNIST(root=d)
    assert list(d.rglob("*")) == []


def test_download_good_checksum_is_kept(tmp_path, monkeypatch):
    x, t = fake_mnist(4)
    blobs = {FILES[0]: gzip.compress(idx_bytes(x)), FILES[1]: gzip.compress(idx_bytes(t))}
    md5 = dict(D._MD5["mnist"], **{k: hashlib.md5(v).hexdigest() for k, v in blobs.items()})
    monkeypatch.setitem(D._MD5, "mnist", md5)
    monkeypatch.setattr(files, "fetch", lambda url, path: open(path, "wb").write(blobs[url.rsplit("/", 1)[1]]))
    monkeypatch.setenv("MINIGRAD_DATA", str(tmp_path / "env"))
    ds = D.MNIST(transform=None)
    np.testing.assert_array_equal(ds.data[:, 0], x)
    assert sorted(os.listdir(tmp_path / "env" / "mnist")) == sorted(blobs)
    monkeypatch.setattr(files, "fetch", None)  # second time: found locally, no download
    assert len(D.MNIST()) == 4


def test_offline_error_lists_the_ways(monkeypatch):
    with pytest.raises(D.DataNotFoundError) as e:
        D.MNIST()
    msg = str(e.value)
    for way in ("root=", "MINIGRAD_DATA", "~/.minigrad/mnist", "sample=True", "network disabled"):
        assert way in msg
    monkeypatch.setattr(mnist_module, "SYSTEM_DIRS", {"mnist": [], "fashion-mnist": []})
    with pytest.raises(FileNotFoundError, match="apt-get install dataset-fashion-mnist"):
        D.FashionMNIST(train=False)


def test_corrupt_local_file_is_an_error_not_a_fallback(tmp_path):
    write_split(tmp_path)
    (tmp_path / FILES[1]).write_bytes(gzip.compress(idx_bytes(np.zeros(5))))  # 5 labels for 6 images
    with pytest.raises(ValueError, match="6 images but"):
        D.MNIST(root=tmp_path)


# ---------------------------------------------------------------- bundled sample

def test_bundled_sample():
    tr, te = D.MNIST(sample=True, transform=None), D.MNIST(train=False, sample=True, transform=None)
    assert tr.source == "sample" and len(tr) == 4000 and len(te) == 1000
    for ds, n in ((tr, 400), (te, 100)):
        assert ds.data.dtype == np.uint8 and ds.data.shape[1:] == (1, 28, 28)
        assert np.bincount(ds.label).tolist() == [n] * 10 and ds.label.dtype == np.int64
    assert tr.data.max() == 255 and tr.data.min() == 0
    ink = (tr.data > 0).mean()
    assert 0.1 < ink < 0.3  # MNIST digits cover about a fifth of the image
    assert len(np.unique(tr.label[:20])) > 3  # classes interleaved, not sorted
    rows = {r.tobytes() for r in tr.data}
    assert len(rows) == 4000 and not rows & {r.tobytes() for r in te.data}
    # nearest class mean on raw pixels: ~80% on real MNIST, 10% if images and labels were mismatched
    X, Xt = tr.data.reshape(4000, -1) / 255.0, te.data.reshape(1000, -1) / 255.0
    means = np.stack([X[tr.label == c].mean(0) for c in range(10)])
    pred = ((Xt[:, None, :] - means[None]) ** 2).sum(-1).argmin(1)
    assert (pred == te.label).mean() > 0.75
    assert tr[0][0].shape == (1, 28, 28)
    x0 = D.MNIST(sample=True)[0][0]
    assert x0.shape == (784,) and x0.dtype == np.float32 and 0.0 <= x0.min() and x0.max() <= 1.0


def test_sample_auto_prefers_local_full_files(tmp_path):
    assert not D.mnist_available()
    assert D.MNIST(sample="auto").source == "sample"
    write_split(tmp_path / "home" / ".minigrad" / "mnist", train=False, n=3)
    assert D.mnist_available(train=False) and not D.mnist_available()
    # one split alone is not enough: the sample's test digits are MNIST training digits
    assert D.MNIST(train=False, sample="auto").source == "sample"
    write_split(tmp_path / "home" / ".minigrad" / "mnist", train=True, n=4)
    ds = D.MNIST(train=False, sample="auto")
    assert len(ds) == 3 and ds.source != "sample"
    assert len(D.MNIST(train=True, sample="auto")) == 4
    assert len(D.MNIST(train=False, sample=True)) == 1000
    with pytest.raises(ValueError, match="sample must be"):
        D.MNIST(sample="yes")


def test_labels():
    assert D.MNIST.labels() == {i: str(i) for i in range(10)}
    fl = D.FashionMNIST.labels()
    assert len(fl) == 10 and fl[0] == "T-shirt/top" and fl[9] == "Ankle boot"


# ---------------------------------------------------------------- Fashion-MNIST (Debian package)

@pytest.mark.skipif(not os.path.isdir("/usr/share/datasets/fashion-mnist"),
                    reason="Debian package dataset-fashion-mnist not installed")
def test_fashion_mnist_from_debian_package():
    te = D.FashionMNIST(train=False, transform=None)
    assert te.source.startswith("/usr/share/datasets/fashion-mnist/")
    assert te.data.shape == (10000, 1, 28, 28) and te.data.dtype == np.uint8
    assert np.bincount(te.label).tolist() == [1000] * 10
    assert te.data.max() == 255
    # trousers (1) are tall and narrow, bags (8) wide: compare ink in the outer columns
    cols = lambda c: (te.data[te.label == c, 0] > 0).mean(axis=(0, 1))
    assert cols(8)[[3, 24]].mean() > 2 * cols(1)[[3, 24]].mean()
    tr = D.FashionMNIST(transform=Normalize(0., 255.))
    assert len(tr) == 60000 and np.bincount(tr.label).tolist() == [6000] * 10
    x, t = tr[0]
    assert x.shape == (1, 28, 28) and x.dtype == np.float32 and x.max() <= 1.0


def test_downloads_of_two_datasets_under_one_root_do_not_mix(tmp_path, monkeypatch):
    blobs = {}
    for name, value in (("mnist", 0), ("fashion-mnist", 255)):
        x = np.full((2, 28, 28), value, np.uint8)
        t = np.zeros(2, np.uint8)
        data = {FILES[0]: gzip.compress(idx_bytes(x)), FILES[1]: gzip.compress(idx_bytes(t))}
        blobs[name] = data
        for fname, blob in data.items():
            monkeypatch.setitem(D._MD5[name], fname, hashlib.md5(blob).hexdigest())

    def fetch(url, path):
        name = "fashion-mnist" if "fashion" in url else "mnist"
        open(path, "wb").write(blobs[name][url.rsplit("/", 1)[1]])
    monkeypatch.setattr(files, "fetch", fetch)
    monkeypatch.setitem(D.SYSTEM_DIRS, "fashion-mnist", [])  # force the download
    assert D.MNIST(root=tmp_path, transform=None).data.max() == 0
    assert D.FashionMNIST(root=tmp_path, transform=None).data.min() == 255
    assert sorted(os.listdir(tmp_path)) == ["fashion-mnist", "mnist"]


@pytest.mark.parametrize("cls", [D.MNIST, D.FashionMNIST, D.Spiral, D.SinCurve])
def test_train_must_be_a_bool(cls):
    with pytest.raises(TypeError, match=rf"{cls.__name__}: train must be a bool, got 'test'\. Pass train=False"):
        cls(train="test")
    with pytest.raises(TypeError, match=rf"{cls.__name__}: transform must be callable or None, got int"):
        cls(transform=3)


def test_numpy_bool_train_is_accepted():
    np.testing.assert_array_equal(D.Spiral(train=np.False_).data, D.Spiral(train=False).data)


def test_failed_download_removes_the_directories_it_created(tmp_path):
    typo = tmp_path / "dtaa" / "mnsit"
    with pytest.raises(D.DataNotFoundError):
        D.MNIST(root=typo)
    assert not (tmp_path / "dtaa").exists()
    (tmp_path / "kept").mkdir()
    with pytest.raises(D.DataNotFoundError):
        D.MNIST(root=tmp_path / "kept")
    assert (tmp_path / "kept").is_dir() and os.listdir(tmp_path / "kept") == []


def test_failed_download_keeps_a_checked_file_it_got(tmp_path, monkeypatch):
    x, t = fake_mnist()
    blob = gzip.compress(idx_bytes(x))
    monkeypatch.setitem(D._MD5["mnist"], FILES[0], hashlib.md5(blob).hexdigest())

    def fetch(url, path):
        if not url.endswith(FILES[0]):
            raise urllib.error.URLError("offline")
        open(path, "wb").write(blob)
    monkeypatch.setattr(files, "fetch", fetch)
    with pytest.raises(D.DataNotFoundError):
        D.MNIST(root=tmp_path / "new")
    assert os.listdir(tmp_path / "new" / "mnist") == [FILES[0]]


def test_mnist_found_in_dezero_cache(tmp_path, monkeypatch):
    """DeZero's get_file kept MNIST flat in ~/.dezero: found there, after minigrad's own directories."""
    x, t = write_split(tmp_path / "home" / ".dezero", n=5, seed=3)
    ds = D.MNIST()
    np.testing.assert_array_equal(ds.data[:, 0], x)
    assert ds.source == str(tmp_path / "home" / ".dezero" / FILES[0])
    write_split(tmp_path / "home" / ".minigrad" / "mnist", n=2, seed=4)
    assert len(D.MNIST()) == 2
    with pytest.raises(D.DataNotFoundError, match="~/.dezero"):
        D.MNIST(train=False)
    monkeypatch.setattr(mnist_module, "SYSTEM_DIRS", {"mnist": [], "fashion-mnist": []})
    with pytest.raises(D.DataNotFoundError):  # Fashion-MNIST's files have MNIST's names: not from ~/.dezero
        D.FashionMNIST()


def test_mnist_show_draws_digits(tmp_path, monkeypatch):
    plt = pytest.importorskip("matplotlib.pyplot")
    monkeypatch.setattr(plt, "show", lambda: None)
    x, _ = write_split(tmp_path, n=3)
    D.MNIST(root=tmp_path).show(row=2, col=4)
    img = plt.gca().images[-1].get_array()
    assert img.shape == (56, 112)
    assert any(np.array_equal(img[28:, 84:], d) for d in x)
    plt.close("all")
