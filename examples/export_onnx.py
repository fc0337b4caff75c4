"""Train LeNet on the bundled MNIST sample, export it to ONNX, and compare onnxruntime's test accuracy
with minigrad's on the same 1,000 test digits.

    python examples/export_onnx.py                        # 3 epochs, writes lenet.onnx
    python examples/export_onnx.py --epochs 1 --out /tmp/lenet.onnx

Needs onnx and onnxruntime (`pip install 'minigrad[onnx]'`).  The exported file has a dynamic batch
axis and the parameters named by layer (conv1/W ...).  The last two lines printed are
`minigrad test accuracy: 0.xxxx` and `onnxruntime test accuracy: 0.xxxx`.
"""
import argparse
import importlib.util
import os
import sys

import numpy as np

import minigrad
import minigrad.functions as F
import minigrad.onnx
from minigrad import optimizers
from minigrad.dataloaders import DataLoader
from minigrad.datasets import MNIST
from minigrad.models import LeNet
from minigrad.transforms import Compose, Normalize, ToFloat

PROG = os.path.basename(__file__)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--limit", type=int, default=None, help="train on this many digits (quick runs)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="lenet.onnx", help="where to write the ONNX file")
    args = parser.parse_args(argv)
    if args.epochs <= 0 or (args.limit is not None and args.limit <= 0):
        parser.error("--epochs and --limit must be positive")
    return args


def main(argv=None):
    args = parse_args(argv)
    missing = [m for m in ("onnx", "onnxruntime") if importlib.util.find_spec(m) is None]
    if missing:
        print(f"{PROG}: error: needs {' and '.join(missing)}: pip install 'minigrad[onnx]'", file=sys.stderr)
        sys.exit(1)
    import onnxruntime

    transform = Compose([ToFloat(), Normalize(0., 255.)])
    train_set = MNIST(train=True, transform=transform, sample=True)
    test_set = MNIST(train=False, transform=transform, sample=True)
    if args.limit is not None and args.limit < len(train_set):
        keep = np.random.RandomState(args.seed).permutation(len(train_set))[:args.limit]
        train_set.data, train_set.label = train_set.data[keep], train_set.label[keep]

    np.random.seed(args.seed)
    model = LeNet(num_classes=10)
    optimizer = optimizers.Adam(alpha=3e-3).setup(model)
    train_loader = DataLoader(train_set, 100, shuffle=True)
    for epoch in range(args.epochs):
        sum_loss = 0.0
        for x, t in train_loader:
            loss = F.softmax_cross_entropy(model(x), t)
            model.cleargrads()
            loss.backward()
            optimizer.update()
            sum_loss += float(loss.data) * len(t)
        print(f"epoch {epoch + 1}/{args.epochs}: loss {sum_loss / len(train_set):.4f}", flush=True)

    x_example = test_set[0][0][None]  # one test digit, (1, 1, 28, 28) float32
    minigrad.onnx.export(model, x_example, args.out)  # dynamic batch: any batch size runs
    print(f"exported to {args.out} ({os.path.getsize(args.out):,} bytes)")
    session = onnxruntime.InferenceSession(args.out, providers=["CPUExecutionProvider"])

    ours, theirs, labels = [], [], []
    for x, t in DataLoader(test_set, 500, shuffle=False):
        with minigrad.no_grad(), minigrad.test_mode():
            ours.append(model(x).data.argmax(axis=1))
        theirs.append(session.run(None, {"input": x})[0].argmax(axis=1))
        labels.append(t)
    ours, theirs, labels = map(np.concatenate, (ours, theirs, labels))
    print(f"predictions agree on {int((ours == theirs).sum()):,} of {len(labels):,} test digits")
    print(f"minigrad test accuracy: {(ours == labels).mean():.4f}")
    print(f"onnxruntime test accuracy: {(theirs == labels).mean():.4f}")


if __name__ == "__main__":
    main()
