"""Files: atomic writes (a file appears complete under its name, or not at all), the cache directory
and checked downloads (`download`, the one function that fetches; `get_file` finds or fetches)."""
import contextlib
import hashlib
import http.client
import os
import tempfile
import urllib.request


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_path(path):
    """Yield a temporary path in `path`'s directory (same extension); when the block ends without error
    the temporary file replaces `path` (os.replace), otherwise it is removed and `path` is untouched."""
    path = os.path.abspath(os.fspath(path))
    directory, name = os.path.split(path)
    os.makedirs(directory, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=os.path.splitext(name)[1])
    os.close(fd)
    try:
        yield tmp
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the mode open() would
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
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


def get_file(url, file_name=None, md5=None, sha256=None):
    """The local path of `url`, downloaded once (DeZero's utils.get_file).  The file is looked up in
    every cache directory (cache_dirs(), ~/.dezero included) and downloaded into the first when no
    copy is found.  With `md5`/`sha256` a copy whose checksum differs is skipped, and a download
    whose checksum differs is deleted and an OSError raised."""
    file_name = file_name or url[url.rfind("/") + 1:]
    if not file_name:
        raise ValueError(f"get_file: cannot name a file after {url!r}; pass file_name")
    for directory in cache_dirs():
        path = os.path.join(directory, file_name)
        if os.path.isfile(path) and checksum_error(path, md5, sha256) is None:
            return path
    return download(url, cache_dir(file_name), md5=md5, sha256=sha256)
