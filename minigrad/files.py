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
    h = hashlib.md5()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def download(url, path, md5=None):
    """Download `url` to `path` atomically; with `md5`, keep the file only if its checksum matches.
    Raises OSError (network errors, a wrong checksum); a failed download leaves nothing behind."""
    try:
        with atomic_path(path) as tmp:
            fetch(url, tmp)
            if md5 is not None:
                got = md5sum(tmp)
                if got != md5:
                    raise OSError(f"MD5 {got} != {md5} (file deleted)")
    except http.client.HTTPException as e:  # a cut-off response
        raise OSError(f"{url}: {e!r}") from None
    return path


def cache_dirs():
    """The directories cached downloads are looked up in, in order: $MINIGRAD_DATA (when set), then
    ~/.minigrad.  New downloads go to the first."""
    dirs = [os.environ["MINIGRAD_DATA"]] if os.environ.get("MINIGRAD_DATA") else []
    return dirs + [os.path.join(os.path.expanduser("~"), ".minigrad")]


def cache_dir(*parts):
    """The directory new downloads go to (the first of cache_dirs()), joined with `parts`."""
    return os.path.join(cache_dirs()[0], *parts)


def show_progress(block_num, block_size, total_size):
    """A `urllib.request.urlretrieve` report hook printing a one-line progress bar."""
    done = min(block_num * block_size, total_size) if total_size > 0 else block_num * block_size
    percent = 100.0 * done / total_size if total_size > 0 else 0.0
    bar = "#" * int(percent / 100 * 30)
    print(f"\r[{bar:<30}] {percent:5.1f}%", end="", flush=True)


def get_file(url, file_name=None, md5=None):
    """The local path of `url` in the cache directory, downloaded once (DeZero's utils.get_file).  The
    file is written atomically; with `md5` a download whose checksum differs is deleted and an OSError
    raised, and a cached copy is checked the same way."""
    file_name = file_name or url[url.rfind("/") + 1:]
    if not file_name:
        raise ValueError(f"get_file: cannot name a file after {url!r}; pass file_name")
    path = cache_dir(file_name)
    if os.path.exists(path) and (md5 is None or md5sum(path) == md5):
        return path
    return download(url, path, md5=md5)
