"""Files: atomic writes (a file appears complete under its name, or not at all) and checked downloads."""
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
