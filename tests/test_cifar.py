"""CIFAR-10/100 (minigrad.datasets.cifar) from small archives in the real on-disk format, the restricted
unpickler, DeZero's parsed-data cache (minigrad.datasets.cache), lookup in ~/.dezero and offline errors."""
import io
import os
import pickle
import struct
import tarfile
import warnings

import numpy as np
import pytest

from minigrad import datasets as D
from minigrad import files
from minigrad.datasets import cifar


# ----------------------------------------------------------------------------- archives as CIFAR ships them

def _str(b):
    """A Python 2 str as cPickle protocol 2 writes it (SHORT_BINSTRING / BINSTRING)."""
    return (b"U" + bytes([len(b)]) + b) if len(b) < 256 else (b"T" + struct.pack("<i", len(b)) + b)


def _int(v):
    return b"J" + struct.pack("<i", v)


def _uint8_array(a):
    """numpy.ndarray pickled by Python 2's cPickle, protocol 2, as in the CIFAR batches."""
    a = np.ascontiguousarray(a, np.uint8)
    shape = b"(" + b"".join(_int(n) for n in a.shape) + b"t"
    dtype = (b"cnumpy\ndtype\n" + _str(b"u1") + b"K\x00K\x01\x87R"
             + b"(K\x03" + _str(b"|") + b"NNNJ\xff\xff\xff\xffJ\xff\xff\xff\xffK\x00tb")
    return (b"cnumpy.core.multiarray\n_reconstruct\n" + b"cnumpy\nndarray\nK\x00\x85" + _str(b"b") + b"\x87R"
            + b"(K\x01" + shape + dtype + b"\x89" + _str(a.tobytes()) + b"tb")


def py2_batch(entries):
    """A CIFAR batch dict {name: uint8 array | list of ints | str} pickled as Python 2 wrote them."""
    out = b"\x80\x02}("
    for key, value in entries.items():
        out += _str(key.encode())
        if isinstance(value, np.ndarray):
            out += _uint8_array(value)
        elif isinstance(value, list):
            out += b"](" + b"".join(_int(v) for v in value) + b"e"
        else:
            out += _str(value.encode())
    return out + b"u."


def make_images(n, seed):
    return np.random.RandomState(seed).randint(0, 256, size=(n, 3 * 32 * 32)).astype(np.uint8)


def write_tar(path, top, members):
    with tarfile.open(path, "w:gz") as tar:
        for name, raw in members.items():
            info = tarfile.TarInfo(f"{top}/{name}")
            info.size = len(raw)
            tar.addfile(info, io.BytesIO(raw))


def cifar10_archive(path, n=4):
    """A cifar-10-python.tar.gz with 5 training batches of n images and a test batch of n; returns them."""
    batches = {}
    for i, name in enumerate([f"data_batch_{k}" for k in range(1, 6)] + ["test_batch"]):
        batches[name] = (make_images(n, i), [(3 * i + j) % 10 for j in range(n)])
    members = {name: py2_batch({"batch_label": f"batch {name}", "labels": t, "data": x})
               for name, (x, t) in batches.items()}
    members["batches.meta"] = py2_batch({"num_cases_per_batch": [n]})
    write_tar(path, "cifar-10-batches-py", members)
    return batches


def test_py2_batch_is_what_numpy_reads():
    """The helper writes the real format: an unrestricted pickle.load (as DeZero does) reads it too."""
    x = make_images(3, 0)
    raw = py2_batch({"data": x, "labels": [1, 2, 3], "batch_label": "training batch 1 of 5"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # numpy.core is numpy._core on NumPy 2
        d = pickle.loads(raw, encoding="bytes")
    np.testing.assert_array_equal(d[b"data"], x)
    assert d[b"labels"] == [1, 2, 3] and d[b"batch_label"] == b"training batch 1 of 5"
    got, t = cifar._read_batch(raw, "b", "labels", 10)
    np.testing.assert_array_equal(got, x.reshape(3, 3, 32, 32))
    assert t.tolist() == [1, 2, 3] and t.dtype == np.int64


def test_numpy_pickles_of_this_python_are_read_too():
    x = make_images(2, 1)
    raw = pickle.dumps({"data": x, "labels": [4, 5]}, protocol=4)
    got, t = cifar._read_batch(raw, "b", "labels", 10)
    np.testing.assert_array_equal(got.reshape(2, -1), x)
    assert t.tolist() == [4, 5]


@pytest.mark.parametrize("raw, match", [
    (b"\x80\x02cbuiltins\neval\n" + _str(b"1+1") + b"\x85R.", "refused builtins.eval"),
    (b"\x80\x02cos\nsystem\n" + _str(b"true") + b"\x85R.", "refused os.system"),
    (b"\x80\x02]q\x00.", "not a dict"),
    (b"\x80\x02}(" + _str(b"data") + _str(b"xyz") + _str(b"labels") + b"](e" + b"u.", "not a pickled array"),
    (b"garbage", "not a CIFAR batch"),
])
def test_restricted_unpickler_refuses_anything_else(raw, match):
    with pytest.raises(ValueError, match=match):
        cifar._read_batch(raw, "evil", "labels", 10)


def test_object_arrays_and_bad_labels_are_refused():
    raw = py2_batch({"data": make_images(2, 0), "labels": [1, 2]})
    obj = raw.replace(_str(b"u1"), _str(b"O8"))
    with pytest.raises(ValueError, match="uint8"):
        cifar._read_batch(obj, "evil", "labels", 10)
    with pytest.raises(ValueError, match="out of range"):
        cifar._read_batch(py2_batch({"data": make_images(2, 0), "labels": [1, 10]}), "b", "labels", 10)
    with pytest.raises(ValueError, match="2 labels"):
        cifar._read_batch(py2_batch({"data": make_images(3, 0), "labels": [1, 2]}), "b", "labels", 10)
    truncated = py2_batch({"data": make_images(2, 0), "labels": [1, 2]})
    with pytest.raises(ValueError):
        cifar._read_batch(truncated[:len(truncated) // 2], "b", "labels", 10)


# ----------------------------------------------------------------------------- CIFAR10 / CIFAR100

def test_cifar10_from_dezero_cache_dir_and_npz_cache(offline):
    dezero = offline / ".dezero"
    os.makedirs(dezero)
    batches = cifar10_archive(dezero / "cifar-10-python.tar.gz", n=4)
    train = D.CIFAR10()
    assert train.data.shape == (20, 3, 32, 32) and train.data.dtype == np.uint8
    expect = np.concatenate([batches[f"data_batch_{k}"][0] for k in range(1, 6)]).reshape(-1, 3, 32, 32)
    np.testing.assert_array_equal(train.data, expect)
    assert train.label.tolist() == sum((batches[f"data_batch_{k}"][1] for k in range(1, 6)), [])
    x, t = train[5]
    assert x.dtype == np.float32 and x.shape == (3, 32, 32) and t == train.label[5]
    np.testing.assert_allclose(x, train.data[5] / 127.5 - 1.0, rtol=1e-6)  # in [-1, 1]
    test = D.CIFAR10(train=False)
    np.testing.assert_array_equal(test.data.reshape(4, -1), batches["test_batch"][0])

    # parsed once, cached in ~/.minigrad (~/.dezero is DeZero's), then read from the cache
    cache = offline / ".minigrad" / "cifar-10" / "cifar-10-python.tar.gz.train.npz"
    assert cache.is_file() and sorted(os.listdir(dezero)) == ["cifar-10-python.tar.gz"]
    os.remove(dezero / "cifar-10-python.tar.gz")
    again = D.CIFAR10()
    np.testing.assert_array_equal(again.data, train.data)
    assert again.source == str(cache)
    data, label = D.load_cache_npz("https://x/cifar-10-python.tar.gz", train=True, dirs=[cache.parent])
    np.testing.assert_array_equal(data, train.data)


def test_cifar10_reads_dezero_float64_cache(offline, tmp_path):
    """DeZero caches its training data as float64 (np.empty); minigrad reads it back as uint8."""
    data = make_images(3, 2).reshape(3, 3, 32, 32).astype(np.float64)
    np.savez_compressed(tmp_path / "cifar-10-python.tar.gz.train.npz", data=data, label=np.array([1, 2, 3]))
    ds = D.CIFAR10(root=tmp_path)
    assert ds.data.dtype == np.uint8 and ds.label.dtype == np.int64
    np.testing.assert_array_equal(ds.data, data)
    np.savez_compressed(tmp_path / "cifar-10-python.tar.gz.train.npz", data=data + 0.5, label=np.array([1, 2, 3]))
    with pytest.raises(ValueError, match="not integers"):
        D.CIFAR10(root=tmp_path)


def test_cifar100_fine_and_coarse(offline, tmp_path):
    x = make_images(3, 3)
    members = {"train": py2_batch({"data": x, "fine_labels": [99, 0, 42], "coarse_labels": [19, 0, 7]}),
               "test": py2_batch({"data": x[:1], "fine_labels": [5], "coarse_labels": [6]})}
    write_tar(tmp_path / "cifar-100-python.tar.gz", "cifar-100-python", members)
    fine, coarse = D.CIFAR100(root=tmp_path), D.CIFAR100(root=tmp_path, label_type="coarse")
    assert fine.label.tolist() == [99, 0, 42] and coarse.label.tolist() == [19, 0, 7]
    np.testing.assert_array_equal(fine.data.reshape(3, -1), x)
    assert D.CIFAR100(root=tmp_path, train=False).label.tolist() == [5]
    # each label type has its own cache: reading one never returns the other's labels
    os.remove(tmp_path / "cifar-100-python.tar.gz")
    assert D.CIFAR100(root=tmp_path, label_type="coarse").label.tolist() == [19, 0, 7]
    assert D.CIFAR100(root=tmp_path).label.tolist() == [99, 0, 42]
    labels = D.CIFAR100.labels()
    assert len(labels) == 100 and labels[0] == "apple" and labels[99] == "worm" and labels[1] == "aquarium fish"
    assert len(D.CIFAR100.labels("coarse")) == 20
    with pytest.raises(ValueError, match="label_type"):
        D.CIFAR100(label_type="medium")


def test_cifar_offline_error_lists_the_ways(offline):
    with pytest.raises(D.DataNotFoundError) as e:
        D.CIFAR10()
    msg = str(e.value)
    for way in ("cifar-10-python.tar.gz", "root=", "MINIGRAD_DATA", "~/.minigrad/cifar-10", "~/.dezero",
                "network disabled"):
        assert way in msg
    assert not (offline / ".minigrad" / "cifar-10").exists()  # no empty cache directory left behind


def test_cifar_download_is_md5_checked(offline, tmp_path, monkeypatch):
    src = tmp_path / "src.tar.gz"
    cifar10_archive(src, n=2)
    calls = []

    def fetch(url, path):
        calls.append(url)
        with open(src, "rb") as f, open(path, "wb") as g:
            g.write(f.read())
    monkeypatch.setattr(files, "fetch", fetch)
    with pytest.raises(D.DataNotFoundError, match="MD5"):  # not the real archive: refused and deleted
        D.CIFAR10()
    assert calls == ["https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"]
    assert not (offline / ".minigrad" / "cifar-10").exists()
    monkeypatch.setattr(cifar.CIFAR10, "md5", files.md5sum(src))
    assert len(D.CIFAR10()) == 10
    assert (offline / ".minigrad" / "cifar-10" / "cifar-10-python.tar.gz").is_file()


def test_damaged_archive_names_the_file(offline, tmp_path):
    (tmp_path / "cifar-10-python.tar.gz").write_bytes(b"\x1f\x8b\x08\x00not really gzip")
    with pytest.raises(ValueError, match="cifar-10-python.tar.gz: damaged"):
        D.CIFAR10(root=tmp_path)
    write_tar(tmp_path / "cifar-10-python.tar.gz", "x", {"data_batch_1": py2_batch({"labels": []})})
    with pytest.raises(ValueError, match="no batch 'data_batch_2'|not a pickled array"):
        D.CIFAR10(root=tmp_path)


def test_save_and_load_cache_npz(offline, tmp_path):
    assert D.load_cache_npz("https://example.org/a/set.tar.gz", train=True) == (None, None)
    path = D.save_cache_npz(np.arange(6).reshape(2, 3), np.array([0, 1]), "https://example.org/a/set.tar.gz",
                            train=True)
    assert path == str(offline / ".minigrad" / "set.tar.gz.train.npz")
    data, label = D.load_cache_npz("set.tar.gz", train=True)
    assert data.tolist() == [[0, 1, 2], [3, 4, 5]] and label.tolist() == [0, 1]
    assert D.load_cache_npz("set.tar.gz", train=False) == (None, None)
    (offline / ".minigrad" / "bad.tar.gz.test.npz").write_bytes(b"not a zip")
    with pytest.raises(ValueError, match="bad.tar.gz.test.npz"):
        D.load_cache_npz("bad.tar.gz")


def test_show_draws_a_grid(offline, tmp_path, monkeypatch):
    plt = pytest.importorskip("matplotlib.pyplot")
    monkeypatch.setattr(plt, "show", lambda: None)
    x = make_images(2, 4).reshape(2, 3, 32, 32)
    grid = D.base.tile_images(x, 2, 3, rng=np.random.RandomState(0))
    picks = np.random.RandomState(0).randint(0, 2, size=6)
    assert grid.shape == (64, 96, 3)
    np.testing.assert_array_equal(grid[32:, 64:], x[picks[5]].transpose(1, 2, 0))
    np.savez_compressed(tmp_path / "cifar-10-python.tar.gz.train.npz", data=x, label=np.array([0, 1]))
    D.CIFAR10(root=tmp_path).show(row=2, col=2)
    assert plt.gca().images[-1].get_array().shape == (64, 64, 3)
    plt.close("all")
