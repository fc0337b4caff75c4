"""Files: atomic writes (a file appears complete under its name, or not at all), the cache directory
and checked downloads (`download`, the one function that fetches; `get_file` finds or fetches)."""
import contextlib
import hashlib
import http.client
import os
import re
import secrets
import socket
import stat
import time
import urllib.request

# A temporary file of atomic_path is named .NAME.HOST-PID-RANDOM.tmpEXT: the owner (host and process)
# in the name lets a later write to NAME remove the temporaries of writers that were killed.
_HOST = hashlib.md5(socket.gethostname().encode()).hexdigest()[:8]
# A temporary of another host (a shared network directory), or one whose pid may have been reused,
# is stale when untouched this long: no write through atomic_path pauses for a day.
STALE_TEMP_AGE_S = 24 * 3600


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _pid_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: alive, owned by another user; Windows: cannot tell
        return True
    return True


def _remove_stale_temps(directory, name, ext):
    """Remove the temporaries that killed writers of `name` left in `directory`.

    A temporary is stale when its writer cannot be running: it was made on this host by a process that
    no longer exists, or it has not been modified for STALE_TEMP_AGE_S (the owner is on another host,
    or its pid was reused after a reboot).  Only names this module makes are touched; a temporary of
    this very process is never removed (another thread may be writing it)."""
    pattern = re.compile(r"\." + re.escape(name) + r"\.([0-9a-f]{8})-(\d+)-[0-9a-f]{16}\.tmp"
                         + re.escape(ext) + r"\Z")
    try:
        entries = os.listdir(directory)
    except OSError:
        return
    now = time.time()
    for entry in entries:
        m = pattern.match(entry)
        if not m:
            continue
        host, pid = m.group(1), int(m.group(2))
        if host == _HOST and pid == os.getpid():
            continue
        full = os.path.join(directory, entry)
        try:
            st = os.lstat(full)
            dead = host == _HOST and not _pid_alive(pid)
            if stat.S_ISREG(st.st_mode) and (dead or now - st.st_mtime > STALE_TEMP_AGE_S):
                os.remove(full)
        except OSError:  # removed meanwhile by another writer, or not ours to remove
            pass


def _new_mode(path):
    """The mode for a file replacing `path`: the old file's (a 0600 file stays private), else the mode
    open() would give.  A symlink at `path` is replaced, not followed, so its target's mode is not used."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return 0o666 & ~_umask()
    if stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(f"atomic_path: {path} is a directory")
    if stat.S_ISREG(st.st_mode):
        return stat.S_IMODE(st.st_mode)
    return 0o666 & ~_umask()


def _fsync_dir(directory):
    """Make a rename in `directory` durable (POSIX; Windows has no directory handles to sync)."""
    if os.name == "nt":
        return
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:  # some file systems (network, FUSE) refuse fsync on a directory
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path in `path`'s directory (same extension); when the block ends without error
    the temporary file is flushed to disk (fsync) and replaces `path` (os.replace), otherwise it is
    removed and `path` is untouched.

    The new file keeps the mode of the file it replaces.  A symlink at `path` is replaced by the file,
    never written through (its target is untouched).  Temporaries left by killed writers of the same
    name are removed first (see _remove_stale_temps)."""
    path = os.path.abspath(os.fspath(path))
    directory, name = os.path.split(path)
    ext = os.path.splitext(name)[1]
    os.makedirs(directory, exist_ok=True)
    mode = _new_mode(path)
    _remove_stale_temps(directory, name, ext)
    while True:
        tmp = os.path.join(directory, f".{name}.{_HOST}-{os.getpid()}-{secrets.token_hex(8)}.tmp{ext}")
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0),
                             0o600))
            break
        except FileExistsError:
            continue
    try:
        yield tmp
        fd = os.open(tmp, os.O_RDWR if os.name == "nt" else os.O_RDONLY)
        try:
            os.fsync(fd)  # the data is on disk before the name points at it
        finally:
            os.close(fd)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
        _fsync_dir(directory)
    finally:
        if os.path.lexists(tmp):
            os.remove(tmp)


def fetch(url, path):
    """Download `url` into the file `path` (the network access, isolated so tests can replace it)."""
    with urllib.request.urlopen(url, timeout=60) as response, open(path, "wb") as fh:
        for chunk in iter(lambda: response.read(1 << 20), b""):
            fh.write(chunk)


def md5sum(path):
    return _digest(path, hashlib.md5())


def sha256sum(path):
    return _digest(path, hashlib.sha256())


def _digest(path, h):
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def checksum_error(path, md5=None, sha256=None):
    """None if the file matches the given checksums (any left None is not checked), else what differs."""
    for name, expected, compute in (("MD5", md5, md5sum), ("SHA-256", sha256, sha256sum)):
        if expected is not None:
            got = compute(path)
            if got != expected.lower():
                return f"{name} {got} != {expected}"
    return None


def download(url, path, md5=None, sha256=None):
    """Download `url` to `path` atomically; with `md5` and/or `sha256`, keep the file only if its
    checksums match.  Raises OSError (network errors, a wrong checksum); a failed download leaves
    nothing behind."""
    try:
        with atomic_path(path) as tmp:
            fetch(url, tmp)
            error = checksum_error(tmp, md5, sha256)
            if error is not None:
                raise OSError(f"{error} (file deleted)")
    except http.client.HTTPException as e:  # a cut-off response
        raise OSError(f"{url}: {e!r}") from None
    return path


def cache_dirs():
    """The directories cached downloads are looked up in, in order: $MINIGRAD_DATA (when set),
    ~/.minigrad, then DeZero's ~/.dezero (so files DeZero already downloaded are found).  New
    downloads go to the first."""
    dirs = [os.environ["MINIGRAD_DATA"]] if os.environ.get("MINIGRAD_DATA") else []
    return dirs + [os.path.join(os.path.expanduser("~"), ".minigrad"), dezero_cache_dir()]


def dezero_cache_dir():
    """DeZero's download directory, ~/.dezero: looked in last, never written to."""
    return os.path.join(os.path.expanduser("~"), ".dezero")


def cache_dir(*parts):
    """The directory new downloads go to (the first of cache_dirs()), joined with `parts`."""
    return os.path.join(cache_dirs()[0], *parts)


def show_progress(block_num, block_size, total_size):
    """A `urllib.request.urlretrieve` report hook printing a one-line progress bar."""
    done = min(block_num * block_size, total_size) if total_size > 0 else block_num * block_size
    percent = 100.0 * done / total_size if total_size > 0 else 0.0
    bar = "#" * int(percent / 100 * 30)
    print(f"\r[{bar:<30}] {percent:5.1f}%", end="", flush=True)


def _check_file_name(name, url):
    """`name` is a plain file name: the cache must not be left through it."""
    if not isinstance(name, str):
        raise TypeError(f"get_file: file_name must be a str, got {type(name).__name__}")
    if not name:
        raise ValueError(f"get_file: cannot name a file after {url!r}; pass file_name")
    if name in (".", "..") or "/" in name or "\\" in name or "\0" in name or os.path.isabs(name):
        raise ValueError(f"get_file: file_name must be a plain file name (no directories, '..' or "
                         f"absolute path), got {name!r}")


def _read_md5_file(path):
    """The checksum remembered in the sidecar `path`, or None when there is none."""
    try:
        with open(path) as fh:
            text = fh.read(64).strip().lower()
    except FileNotFoundError:
        return None
    if not re.fullmatch(r"[0-9a-f]{32}", text):
        raise OSError(f"get_file: the checksum file {path} is damaged (expected 32 hex digits); delete "
                      f"it and the file it describes to download again")
    return text


def get_file(url, file_name=None, md5=None, sha256=None):
    """The local path of `url`, downloaded once (DeZero's utils.get_file).

    The file is looked up in every cache directory (cache_dirs(), ~/.dezero included) and downloaded,
    atomically, into the first when no good copy is found.  `md5` and `sha256` are optional, as in
    DeZero: a copy whose checksum differs is skipped, and a download whose checksum differs is deleted
    and an OSError raised.  The MD5 a download was checked against is remembered next to it (a hidden
    `.NAME.md5`), so every later get_file verifies that copy, with or without `md5`.  `file_name` must be a plain name:
    the file always lands in a cache directory."""
    if not isinstance(url, str):
        raise TypeError(f"get_file: url must be a str, got {type(url).__name__}")
    if md5 is not None and not (isinstance(md5, str) and re.fullmatch(r"[0-9a-fA-F]{32}", md5)):
        raise ValueError(f"get_file: md5 must be None or 32 hex digits, got {md5!r}")
    if sha256 is not None and not (isinstance(sha256, str) and re.fullmatch(r"[0-9a-fA-F]{64}", sha256)):
        raise ValueError(f"get_file: sha256 must be None or 64 hex digits, got {sha256!r}")
    md5 = None if md5 is None else md5.lower()
    name = url[url.rfind("/") + 1:] if file_name is None else file_name
    _check_file_name(name, url)
    for directory in cache_dirs():
        path = os.path.join(directory, name)
        if os.path.isfile(path):
            expected = md5 or _read_md5_file(_md5_file(path))
            if checksum_error(path, expected, sha256) is None:
                return path
    path = cache_dir(name)
    expected = md5 or _read_md5_file(_md5_file(path))
    download(url, path, md5=expected, sha256=sha256)
    if expected is not None:
        with atomic_path(_md5_file(path)) as tmp, open(tmp, "w") as fh:
            fh.write(expected + "\n")
    return path


def _md5_file(path):
    """The hidden file next to `path` that remembers its MD5."""
    directory, name = os.path.split(path)
    return os.path.join(directory, f".{name}.md5")
