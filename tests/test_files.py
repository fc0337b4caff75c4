"""Files (minigrad.files): atomic writes with the usual mode, and checked, cached downloads."""
import os
import stat

import pytest

import minigrad.layers as L
from minigrad import utils


def test_files_written_atomically_get_the_usual_mode(tmp_path):
    layer = L.Linear(2, in_size=2)
    layer.save_weights(tmp_path / "w.npz")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(os.stat(tmp_path / "w.npz").st_mode) == 0o666 & ~umask


def test_get_file_downloads_once_and_checks_md5(tmp_path, monkeypatch):
    import hashlib

    from minigrad import files
    calls = []

    def fetch(url, path):
        calls.append(url)
        open(path, "wb").write(b"weights")
    monkeypatch.setattr(files, "fetch", fetch)
    monkeypatch.setenv("MINIGRAD_DATA", str(tmp_path))
    good = hashlib.md5(b"weights").hexdigest()
    path = utils.get_file("https://example.org/w/vgg.npz", md5=good)
    assert path == str(tmp_path / "vgg.npz") and open(path, "rb").read() == b"weights"
    assert utils.get_file("https://example.org/w/vgg.npz", md5=good) == path and len(calls) == 1
    with pytest.raises(OSError, match="MD5"):
        utils.get_file("https://example.org/w/other.npz", md5="0" * 32)
    assert sorted(os.listdir(tmp_path)) == ["vgg.npz"]
