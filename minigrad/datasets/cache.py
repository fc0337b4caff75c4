"""DeZero's parsed-dataset cache: a dataset parsed once from its archive is kept as
`<archive name>.train.npz` / `.test.npz` (arrays `data` and `label`), so the next load is fast."""
import os
import zipfile

import numpy as np

from minigrad import files


def cache_file_name(filename, train):
    """The cache file of `filename` (a URL or file name): its last part + .train.npz or .test.npz."""
    filename = os.fspath(filename)
    return filename[filename.rfind("/") + 1:] + (".train.npz" if train else ".test.npz")


def load_cache_npz(filename, train=False, dirs=None):
    """(data, label) from the cache file of `filename` (a URL or a file name; only its last part counts)
    in the first of `dirs` (default: every cache directory, ~/.dezero included) that has one, or
    (None, None).  The file is read without pickle."""
    name = cache_file_name(filename, train)
    for directory in (files.cache_dirs() if dirs is None else dirs):
        path = os.path.join(directory, name)
        if os.path.isfile(path):
            try:
                with np.load(path, allow_pickle=False) as z:
                    return z["data"], z["label"]
            except (KeyError, ValueError, OSError, EOFError, zipfile.BadZipFile) as e:
                raise ValueError(f"load_cache_npz: {path} is not a readable cache file ({e}); delete it "
                                 "to rebuild it from the archive") from None
    return None, None


def save_cache_npz(data, label, filename, train=False, directory=None):
    """Write the cache file of `filename` into `directory` (default: the first cache directory),
    atomically; an existing one is kept.  Returns its path."""
    directory = files.cache_dir() if directory is None else os.fspath(directory)
    path = os.path.join(directory, cache_file_name(filename, train))
    if not os.path.exists(path):
        with files.atomic_path(path) as tmp:
            np.savez_compressed(tmp, data=data, label=label)
    return path
