"""Step 49: datasets.

Adds over step 48: a Dataset object instead of two bare arrays. A Dataset
holds data and labels (filled by prepare()), has len(), and ds[i] returns
one (x, t) example passed through optional `transform` and
`target_transform` callables (preprocessing, like scaling, in one place).
The training loop gathers a mini-batch from examples by index.
"""
import math
import os

import numpy as np

import minigrad
import minigrad.functions as F
from minigrad import optimizers
from minigrad.datasets import Dataset, Spiral
from minigrad.models import MLP

QUICK = os.environ.get("MINIGRAD_QUICK") == "1"


class Squares(Dataset):
    """A tiny custom Dataset: x = i, t = i^2."""

    def prepare(self):
        self.data = np.arange(5.0)
        self.label = self.data ** 2


ds = Squares(transform=lambda x: x / 10)
x, t = ds[3]
print(f"custom Squares dataset (transform x / 10): {len(ds)} examples, ds[3] = ({x}, {t})")

train_set = Spiral(train=True)
x, t = train_set[0]
print(f"Spiral: {len(train_set)} examples; train_set[0] = ({x}, {t})")
scaled = Spiral(train=True, transform=lambda x: x * 2)
print("with transform x * 2: scaled[0][0] =", scaled[0][0])

max_epoch = 100 if QUICK else 300
batch_size = 30
np.random.seed(0)
model = MLP((10, 3))
optimizer = optimizers.SGD(lr=1.0).setup(model)
max_iter = math.ceil(len(train_set) / batch_size)
for epoch in range(max_epoch):
    index = np.random.permutation(len(train_set))
    sum_loss = 0.0
    for i in range(max_iter):
        batch = [train_set[int(j)] for j in index[i * batch_size:(i + 1) * batch_size]]
        batch_x = np.array([example[0] for example in batch])
        batch_t = np.array([example[1] for example in batch])
        loss = F.softmax_cross_entropy(model(batch_x), batch_t)
        model.cleargrads()
        loss.backward()
        optimizer.update()
        sum_loss += float(loss.data) * len(batch_t)
    if (epoch + 1) % (max_epoch // 5) == 0:
        print(f"epoch {epoch + 1:3d}: loss {sum_loss / len(train_set):.4f}")

with minigrad.no_grad():
    acc = float(F.accuracy(model(train_set.data), train_set.label).data)
print(f"accuracy on the training set {acc:.4f}")
