"""Train LeNet on MNIST (or Fashion-MNIST) with Adam and print the test accuracy.

    python examples/mnist_lenet.py                    # full MNIST if its files are on disk, else the
                                                      # bundled sample (4,000 train / 1,000 test digits)
    python examples/mnist_lenet.py --dataset fashion  # Fashion-MNIST (apt-get install dataset-fashion-mnist)
    python examples/mnist_lenet.py --full --download  # fetch full MNIST (MD5-checked) into ~/.minigrad
    python examples/mnist_lenet.py --gpu              # on a CUDA GPU (needs CuPy)

Nothing is downloaded unless --download is given.  Seeds are fixed (--seed), so runs are reproducible.
The last line printed is `test accuracy: 0.xxxx`.
"""
import argparse
import importlib.util
import os
import sys
import time

import numpy as np

import minigrad
import minigrad.functions as F
from minigrad import optimizers
from minigrad.dataloaders import DataLoader
from minigrad.datasets import MNIST, FashionMNIST, find_data, mnist_available
from minigrad.models import LeNet
from minigrad.apps.progress import progress
from minigrad.transforms import Compose, Normalize, ToFloat

PROG = os.path.basename(__file__)


def fail(message):
    """Print a one-line error and exit with status 1."""
    print(f"{PROG}: error: {message}", file=sys.stderr)
    sys.exit(1)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=("mnist", "fashion"), default="mnist")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--lr", type=float, default=3e-3, help="Adam step size (default 0.003)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--gpu", action="store_true", help="train on a CUDA GPU with CuPy")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--sample", action="store_true",
                        help="use the bundled MNIST sample even if full MNIST is on disk")
    source.add_argument("--full", action="store_true",
                        help="use the full data set; fails if its files are not on disk (see --download)")
    parser.add_argument("--download", action="store_true",
                        help="download the full data set if it is not on disk (implies --full)")
    parser.add_argument("--root", default=None, help="directory holding the IDX files (optional)")
    parser.add_argument("--limit", type=int, default=None,
                        help="train on a random subset of this many training examples (quick runs)")
    parser.add_argument("--save", default=None, metavar="PATH", help="save the trained weights (.npz)")
    args = parser.parse_args(argv)
    for name in ("epochs", "batch_size"):
        if getattr(args, name) <= 0:
            parser.error(f"--{name.replace('_', '-')} must be positive, got {getattr(args, name)}")
    if args.limit is not None and args.limit <= 0:
        parser.error(f"--limit must be positive, got {args.limit}")
    if args.lr <= 0:
        parser.error(f"--lr must be positive, got {args.lr}")
    if args.download and args.sample:
        parser.error("--download and --sample exclude each other")
    return args


def check_gpu():
    """Import CuPy and check for a GPU, or exit with a clear message."""
    if importlib.util.find_spec("cupy") is None:
        fail("--gpu needs CuPy: pip install 'minigrad[gpu]' (or the cupy-cudaXXx wheel matching your CUDA)")
    from minigrad import cuda
    if not cuda.gpu_enable:
        fail("--gpu: CuPy is installed but no CUDA GPU is available")


def _datasets(args, transform, full):
    if args.dataset == "fashion":
        if args.sample:
            fail("there is no bundled Fashion-MNIST sample; drop --sample")
        if not args.download and not all(find_data("fashion-mnist", s, args.root) for s in (True, False)):
            fail("Fashion-MNIST files not found (looked in --root, $MINIGRAD_DATA/fashion-mnist, "
                 "~/.minigrad/fashion-mnist, /usr/share/datasets/fashion-mnist); install them with "
                 "`apt-get install dataset-fashion-mnist`, or pass --download")
        return [FashionMNIST(train=s, transform=transform, root=args.root) for s in (True, False)], \
            "Fashion-MNIST"
    on_disk = mnist_available(args.root)
    if full and not on_disk and not args.download:
        fail("full MNIST files not found (looked in --root, $MINIGRAD_DATA/mnist, ~/.minigrad/mnist); "
             "pass --download to fetch them, or drop --full to use the bundled sample")
    use_sample = args.sample or (not full and not on_disk)
    sets = [MNIST(train=s, transform=transform, root=args.root, sample=True if use_sample else None)
            for s in (True, False)]
    return sets, "MNIST (bundled sample)" if use_sample else "MNIST"


def load_data(args):
    """(train_set, test_set, description) as asked by the command line; never downloads unless
    --download.  Images stay uint8 (N, 1, 28, 28) in the datasets; batches become float32 in [0, 1]."""
    transform = Compose([ToFloat(), Normalize(0., 255.)])  # no Flatten: LeNet takes (N, 1, 28, 28)
    full = args.full or args.download
    try:
        sets, name = _datasets(args, transform, full)
    except FileNotFoundError as e:  # DataNotFoundError after a failed --download
        fail(str(e))
    train_set, test_set = sets
    if args.limit is not None and args.limit < len(train_set):
        keep = np.random.RandomState(args.seed).permutation(len(train_set))[:args.limit]
        train_set.data, train_set.label = train_set.data[keep], train_set.label[keep]
    return train_set, test_set, name


def evaluate(model, loader):
    """Accuracy of `model` over `loader`, without a graph and in test mode."""
    correct = 0
    with minigrad.no_grad(), minigrad.test_mode():
        for x, t in loader:
            y = model(x)
            correct += int((y.data.argmax(axis=1) == t).sum())
    return correct / loader.data_size


def main(argv=None):
    args = parse_args(argv)
    if args.gpu:
        check_gpu()
    train_set, test_set, name = load_data(args)

    np.random.seed(args.seed)  # weight init and the DataLoader's shuffling
    if args.gpu:
        import cupy
        cupy.random.seed(args.seed)
    train_loader = DataLoader(train_set, args.batch_size, shuffle=True, gpu=args.gpu)
    test_loader = DataLoader(test_set, 500, shuffle=False, gpu=args.gpu)
    model = LeNet(num_classes=10)
    if args.gpu:
        model.to_gpu()
    optimizer = optimizers.Adam(alpha=args.lr).setup(model)

    epochs = f"{args.epochs} epoch" + ("s" if args.epochs != 1 else "")
    print(f"LeNet on {name}: {len(train_set):,} train / {len(test_set):,} test, {epochs}, "
          f"batch {args.batch_size}, Adam lr {args.lr:g}, seed {args.seed}, {'gpu' if args.gpu else 'cpu'}",
          flush=True)
    start = time.perf_counter()
    for epoch in range(args.epochs):
        sum_loss, sum_correct, seen = 0.0, 0, 0
        bar = progress(train_loader, desc=f"epoch {epoch + 1}/{args.epochs}", file=sys.stdout)
        for x, t in bar:
            y = model(x)
            loss = F.softmax_cross_entropy(y, t)
            model.cleargrads()
            loss.backward()
            optimizer.update()
            n = len(t)
            sum_loss += float(loss.data) * n
            sum_correct += int((y.data.argmax(axis=1) == t).sum())
            seen += n
            bar.set_postfix(loss=sum_loss / seen, acc=sum_correct / seen)
    train_time = time.perf_counter() - start

    if args.save:
        model.save_weights(args.save)
        print(f"weights saved to {args.save}")
    accuracy = evaluate(model, test_loader)
    print(f"training time: {train_time:.1f}s ({train_time / args.epochs:.1f}s per epoch)")
    print(f"test accuracy: {accuracy:.4f}")
    return accuracy


if __name__ == "__main__":
    main()
