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
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # no copy in the real ~/.minigrad or ~/.dezero
    good = hashlib.md5(b"weights").hexdigest()
    path = utils.get_file("https://example.org/w/vgg.npz", md5=good)
    assert path == str(tmp_path / "vgg.npz") and open(path, "rb").read() == b"weights"
    assert utils.get_file("https://example.org/w/vgg.npz", md5=good) == path and len(calls) == 1
    with pytest.raises(OSError, match="MD5"):
        utils.get_file("https://example.org/w/other.npz", md5="0" * 32)
    assert sorted(os.listdir(tmp_path)) == ["vgg.npz"]


def test_get_file_finds_dezero_downloads_and_checks_sha256(tmp_path, monkeypatch):
    """~/.dezero is looked in after minigrad's own directories; new downloads never go there."""
    import hashlib

    from minigrad import files
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("MINIGRAD_DATA", raising=False)
    assert files.cache_dirs() == [str(tmp_path / ".minigrad"), str(tmp_path / ".dezero")]
    os.makedirs(tmp_path / ".dezero")
    (tmp_path / ".dezero" / "zebra.jpg").write_bytes(b"dezero's copy")
    monkeypatch.setattr(files, "fetch", None)  # no download
    assert utils.get_file("https://example.org/zebra.jpg") == str(tmp_path / ".dezero" / "zebra.jpg")
    os.makedirs(tmp_path / ".minigrad")
    (tmp_path / ".minigrad" / "zebra.jpg").write_bytes(b"minigrad's copy")
    assert utils.get_file("https://example.org/zebra.jpg") == str(tmp_path / ".minigrad" / "zebra.jpg")

    good = hashlib.sha256(b"dezero's copy").hexdigest()  # a copy with the wrong checksum is skipped
    assert utils.get_file("https://example.org/zebra.jpg", sha256=good) == str(tmp_path / ".dezero" / "zebra.jpg")
    monkeypatch.setattr(files, "fetch", lambda url, path: open(path, "wb").write(b"fetched"))
    with pytest.raises(OSError, match="SHA-256"):
        utils.get_file("https://example.org/zebra.jpg", sha256="0" * 64)
    assert (tmp_path / ".minigrad" / "zebra.jpg").read_bytes() == b"minigrad's copy"  # not replaced
