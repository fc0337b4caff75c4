"""Toy datasets (DeZero's): the 3-class spiral and the sine curve for RNNs."""
import numpy as np

from minigrad.datasets.base import Dataset


def get_spiral(train=True):
    """DeZero's 3-class spiral: x (300, 2) float32, t (300,) int, the same numbers as DeZero.

    Like DeZero it seeds NumPy's global random state (1984 for train, 2020 for test) and draws from it,
    so the state it leaves is DeZero's too: the book's steps 48-50, which initialise their models and
    shuffle their batches after loading the spiral, give the same results on every run, as with DeZero.
    """
    np.random.seed(1984 if train else 2020)
    num_data, num_class = 100, 3
    rate = np.arange(num_data) / num_data
    noise = np.random.randn(num_class, num_data) * 0.2   # DeZero's draws, in its (class, point) order
    theta = np.arange(num_class)[:, None] * 4.0 + 4.0 * rate + noise
    x = np.stack([rate * np.sin(theta), rate * np.cos(theta)], axis=-1).reshape(-1, 2).astype(np.float32)
    t = np.repeat(np.arange(num_class), num_data).astype(int)
    perm = np.random.permutation(num_data * num_class)
    return x[perm], t[perm]


class Spiral(Dataset):
    """300 points of DeZero's 3-class spiral (train and test use different fixed seeds)."""

    def prepare(self):
        self.data, self.label = get_spiral(self.train)


class SinCurve(Dataset):
    """Time series for RNNs: data[i] = y[i], label[i] = y[i+1], shape (999, 1).

    train: sin plus uniform noise in [-0.05, 0.05) (fixed seed, so reproducible); test: cos, no noise.
    """

    def prepare(self):
        x = np.linspace(0, 2 * np.pi, 1000)
        if self.train:
            y = np.sin(x) + np.random.RandomState(0).uniform(-0.05, 0.05, size=x.shape)
        else:
            y = np.cos(x)
        self.data, self.label = y[:-1, None], y[1:, None]
