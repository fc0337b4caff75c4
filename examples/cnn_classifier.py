"""Fit the scikit-learn style Scratch2dCNNClassifier on the bundled MNIST sample, print its scores and
plot the training and validation loss per epoch to a PNG.

    python examples/cnn_classifier.py [--epochs 10] [--val-fraction 0.1] [--out loss_curves.png]

Plotting needs matplotlib (`pip install matplotlib`).
"""
import argparse
import os
import sys

import numpy as np

from minigrad.apps.classifier import Scratch2dCNNClassifier
from minigrad.datasets import load_mnist_sample
from minigrad.files import atomic_path

PROG = os.path.basename(__file__)


def import_pyplot():
    """matplotlib.pyplot with a non-interactive backend, or exit with a one-line hint."""
    try:
        import matplotlib
    except ImportError:
        print(f"{PROG}: error: plotting needs matplotlib: pip install matplotlib", file=sys.stderr)
        sys.exit(1)
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def plot_losses(clf, path):
    """Draw clf.loss_ and clf.val_loss_ against the epoch and write the figure to `path` atomically."""
    plt = import_pyplot()
    epochs = np.arange(1, len(clf.loss_) + 1)
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(epochs, clf.loss_, "o-", label="train")
    if clf.val_loss_:
        ax.plot(epochs, clf.val_loss_, "s-", label="validation")
    ax.set_xlabel("epoch")
    ax.set_ylabel("cross-entropy loss")
    ax.set_title("Scratch2dCNNClassifier (LeNet) on the MNIST sample")
    ax.set_xticks(epochs)
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    path = os.path.abspath(path)
    try:
        with atomic_path(path) as tmp:
            fig.savefig(tmp, format="png", dpi=100)
    finally:
        plt.close(fig)
    return path


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--lr", type=float, default=3e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--val-fraction", type=float, default=0.1,
                        help="share of the training images held out for validation (default 0.1)")
    parser.add_argument("--limit", type=int, default=None,
                        help="use only this many training images (before the split), for quick runs")
    parser.add_argument("--out", default="loss_curves.png", help="PNG file for the loss curves")
    parser.add_argument("--no-plot", action="store_true", help="skip the plot")
    args = parser.parse_args(argv)
    if not 0 < args.val_fraction < 1:
        parser.error(f"--val-fraction must be between 0 and 1, got {args.val_fraction}")
    if args.limit is not None and args.limit < 10:
        parser.error(f"--limit must be at least 10, got {args.limit}")
    for name in ("epochs", "batch_size"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be positive, got {getattr(args, name)}")
    out_dir = os.path.dirname(os.path.abspath(args.out))
    if not args.no_plot:
        import_pyplot()  # fail before training, not after
        if not os.path.isdir(out_dir):
            parser.error(f"--out: directory {out_dir} does not exist")

    x, y = load_mnist_sample(train=True)        # uint8 (4000, 1, 28, 28): the classifier scales to [0, 1]
    x_test, y_test = load_mnist_sample(train=False)
    order = np.random.RandomState(args.seed).permutation(len(x))
    if args.limit is not None:
        order = order[:args.limit]
    n_val = max(1, int(round(len(order) * args.val_fraction)))
    val, train = order[:n_val], order[n_val:]
    if len(train) < 2:
        parser.error(f"--val-fraction {args.val_fraction} leaves {len(train)} training images")
    print(f"MNIST sample: {len(train)} train / {len(val)} validation / {len(x_test)} test images")

    clf = Scratch2dCNNClassifier(epochs=args.epochs, batch_size=args.batch_size, lr=args.lr, seed=args.seed)
    clf.fit(x[train], y[train], x[val], y[val])
    print(f"train accuracy:      {clf.score(x[train], y[train]):.4f}")
    print(f"validation accuracy: {clf.score(x[val], y[val]):.4f}")
    print(f"test accuracy:       {clf.score(x_test, y_test):.4f}")
    if not args.no_plot:
        print(f"loss curves written to {plot_losses(clf, args.out)}")


if __name__ == "__main__":
    main()
