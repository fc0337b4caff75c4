"""Train a two-layer MLP on the 3-class spiral data set and print its accuracy.

    python examples/spiral_mlp.py [--epochs 300] [--hidden 10] [--lr 1.0]
"""
import argparse

import numpy as np

import minigrad
import minigrad.functions as F
from minigrad import optimizers
from minigrad.datasets import Spiral
from minigrad.dataloaders import DataLoader
from minigrad.models import MLP


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=300)
    parser.add_argument("--batch-size", type=int, default=30)
    parser.add_argument("--hidden", type=int, default=10)
    parser.add_argument("--lr", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    for name in ("epochs", "batch_size", "hidden"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be positive, got {getattr(args, name)}")

    np.random.seed(args.seed)
    train_set, test_set = Spiral(train=True), Spiral(train=False)
    train_loader = DataLoader(train_set, args.batch_size)
    test_loader = DataLoader(test_set, args.batch_size, shuffle=False)
    model = MLP((args.hidden, 3))
    optimizer = optimizers.SGD(args.lr).setup(model)

    for epoch in range(args.epochs):
        sum_loss = 0.0
        for x, t in train_loader:
            loss = F.softmax_cross_entropy(model(x), t)
            model.cleargrads()
            loss.backward()
            optimizer.update()
            sum_loss += float(loss.data) * len(t)
        if (epoch + 1) % max(1, args.epochs // 10) == 0:
            print(f"epoch {epoch + 1:4d}  loss {sum_loss / len(train_set):.4f}")

    correct = 0
    with minigrad.no_grad():
        for x, t in test_loader:
            correct += float(F.accuracy(model(x), t).data) * len(t)
    print(f"test accuracy: {correct / len(test_set):.4f}")


if __name__ == "__main__":
    main()
