"""Files (minigrad.files): atomic writes with the usual mode, and checked, cached downloads."""
import hashlib
import os
import signal
import stat
import subprocess
import sys
import time

import pytest

import minigrad.layers as L
from minigrad import files, utils


def test_files_written_atomically_get_the_usual_mode(tmp_path):
    layer = L.Linear(2, in_size=2)
    layer.save_weights(tmp_path / "w.npz")
    umask = os.umask(0)
    os.umask(umask)
    assert stat.S_IMODE(os.stat(tmp_path / "w.npz").st_mode) == 0o666 & ~umask


def test_get_file_downloads_once_and_checks_md5(tmp_path, monkeypatch):
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
    assert sorted(os.listdir(tmp_path)) == [".vgg.npz.md5", "vgg.npz"]


# ----------------------------------------------------------------------------- atomic_path

def _kill_mid_write(path, nbytes=1000):
    """Start a writer of `path` through atomic_path and SIGKILL it inside the block (a killed save)."""
    code = ("import os, signal, sys\n"
            "from minigrad.files import atomic_path\n"
            "with atomic_path(sys.argv[1]) as tmp:\n"
            "    open(tmp, 'wb').write(b'x' * int(sys.argv[2]))\n"
            "    os.kill(os.getpid(), signal.SIGKILL)\n")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    proc = subprocess.run([sys.executable, "-c", code, str(path), str(nbytes)], env=env)
    assert proc.returncode == -signal.SIGKILL


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_temporaries_of_killed_saves_are_removed_by_the_next_save(tmp_path):
    for _ in range(3):  # each writer removes the temporary of the killed one before it
        _kill_mid_write(tmp_path / "w.npz")
    left = os.listdir(tmp_path)
    assert len(left) == 1 and left[0].startswith(".w.npz.") and left[0].endswith(".npz")
    L.Linear(2, in_size=2).save_weights(tmp_path / "w.npz")
    assert os.listdir(tmp_path) == ["w.npz"]


def test_stale_temporary_rule_keeps_live_writers_and_other_files(tmp_path):
    host = files._HOST
    live = f".w.npz.{host}-{os.getppid()}-{'0' * 16}.tmp.npz"         # a running process's
    foreign = f".w.npz.{'f' * 8}-{os.getpid()}-{'1' * 16}.tmp.npz"     # another host's, fresh
    old_foreign = f".w.npz.{'f' * 8}-12345-{'2' * 16}.tmp.npz"         # another host's, two days old
    other_name = f".v.npz.{host}-999999999-{'3' * 16}.tmp.npz"         # a temporary of another file
    unrelated = ".w.npz.notes"
    for name in (live, foreign, old_foreign, other_name, unrelated):
        (tmp_path / name).write_bytes(b"x")
    two_days_ago = time.time() - 2 * 24 * 3600
    os.utime(tmp_path / old_foreign, (two_days_ago, two_days_ago))
    with files.atomic_path(tmp_path / "w.npz") as tmp:
        open(tmp, "wb").write(b"new")
    assert sorted(os.listdir(tmp_path)) == sorted([live, foreign, other_name, unrelated, "w.npz"])


def test_atomic_path_syncs_the_file_then_the_directory(tmp_path, monkeypatch):
    synced = []
    real_fsync = os.fsync

    def fsync(fd):
        mode = os.fstat(fd).st_mode
        synced.append(("dir" if stat.S_ISDIR(mode) else "file", os.path.exists(tmp_path / "a.txt")))
        real_fsync(fd)
    monkeypatch.setattr(os, "fsync", fsync)
    with files.atomic_path(tmp_path / "a.txt") as tmp:
        open(tmp, "w").write("data")
    assert synced == [("file", False), ("dir", True)]  # the data is on disk before the rename


def test_saving_over_a_file_keeps_its_mode(tmp_path):
    path = tmp_path / "w.npz"
    path.write_bytes(b"old")
    os.chmod(path, 0o600)
    L.Linear(2, in_size=2).save_weights(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    os.chmod(path, 0o640)
    L.Linear(2, in_size=2).save_weights(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640


def test_a_symlink_at_the_destination_is_replaced_not_followed(tmp_path):
    target = tmp_path / "target.txt"
    target.write_text("keep me")
    os.chmod(target, 0o600)
    (tmp_path / "link.txt").symlink_to(target)
    with files.atomic_path(tmp_path / "link.txt") as tmp:
        open(tmp, "w").write("new")
    assert target.read_text() == "keep me" and stat.S_IMODE(os.stat(target).st_mode) == 0o600
    assert not (tmp_path / "link.txt").is_symlink() and (tmp_path / "link.txt").read_text() == "new"


def test_atomic_path_onto_a_directory_fails_before_the_block(tmp_path):
    (tmp_path / "d").mkdir()
    ran = []
    with pytest.raises(IsADirectoryError, match="atomic_path: .*d is a directory"):
        with files.atomic_path(tmp_path / "d") as tmp:
            ran.append(tmp)
    assert ran == [] and os.listdir(tmp_path) == ["d"]


# ----------------------------------------------------------------------------- get_file

@pytest.fixture(autouse=True)
def _no_real_home(tmp_path, monkeypatch):
    """get_file also looks in ~/.minigrad and ~/.dezero: never the real ones."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


def _fake_network(monkeypatch, payloads):
    calls = []

    def fetch(url, path):
        calls.append(url)
        if url not in payloads:
            raise OSError(f"offline: {url}")
        open(path, "wb").write(payloads[url])
    monkeypatch.setattr(files, "fetch", fetch)
    return calls


def test_get_file_remembers_the_checksum_and_heals_a_tampered_copy(tmp_path, monkeypatch):
    url = "https://example.org/w/vgg.npz"
    calls = _fake_network(monkeypatch, {url: b"weights"})
    monkeypatch.setenv("MINIGRAD_DATA", str(tmp_path))
    path = utils.get_file(url, md5=hashlib.md5(b"weights").hexdigest())
    assert (tmp_path / ".vgg.npz.md5").read_text().strip() == hashlib.md5(b"weights").hexdigest()
    open(path, "wb").write(b"tampered")
    assert utils.get_file(url) == path  # no md5 given: the remembered one is checked
    assert open(path, "rb").read() == b"weights" and len(calls) == 2
    open(path, "wb").write(b"tampered")
    monkeypatch.setattr(files, "fetch", lambda url, path: (_ for _ in ()).throw(OSError("offline")))
    with pytest.raises(OSError, match="offline"):
        utils.get_file(url)


def test_get_file_without_a_checksum_keeps_dezero_behaviour(tmp_path, monkeypatch):
    url = "https://example.org/data.csv"
    calls = _fake_network(monkeypatch, {url: b"1,2"})
    monkeypatch.setenv("MINIGRAD_DATA", str(tmp_path))
    path = utils.get_file(url)
    open(path, "wb").write(b"edited by the user")
    assert utils.get_file(url) == path and len(calls) == 1
    assert sorted(os.listdir(tmp_path)) == ["data.csv"]


@pytest.mark.parametrize("name", ["../..", "../escape.txt", "..", ".", "a/b", "/etc/passwd", "a\\b", ""])
def test_get_file_refuses_names_that_leave_the_cache(tmp_path, monkeypatch, name):
    cache = tmp_path / "cache"
    monkeypatch.setenv("MINIGRAD_DATA", str(cache))
    calls = _fake_network(monkeypatch, {"https://example.org/x": b"x"})
    with pytest.raises(ValueError, match="get_file: (file_name|cannot name)"):
        utils.get_file("https://example.org/x", file_name=name)
    assert calls == [] and os.listdir(tmp_path) == []


def test_get_file_refuses_a_url_that_names_no_plain_file(tmp_path, monkeypatch):
    monkeypatch.setenv("MINIGRAD_DATA", str(tmp_path))
    with pytest.raises(ValueError, match="get_file: file_name must be a plain file name"):
        utils.get_file("https://example.org/..")
    with pytest.raises(ValueError, match="get_file: md5 must be None or 32 hex digits"):
        utils.get_file("https://example.org/x", md5="abc")
    with pytest.raises(TypeError, match="get_file: url must be a str"):
        utils.get_file(None)


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
