"""Step 50: mini-batches with DataLoader.

Adds over step 49: DataLoader(dataset, batch_size, shuffle) does the index
bookkeeping: iterating over it yields (x, t) batches for one epoch and then
reshuffles. Each epoch we train on the spiral training set and measure the
accuracy on the separate test set, without building graphs (no_grad).
"""
import os

import numpy as np

import minigrad
import minigrad.functions as F
from minigrad import optimizers
from minigrad.dataloaders import DataLoader
from minigrad.datasets import Spiral
from minigrad.models import MLP

QUICK = os.environ.get("MINIGRAD_QUICK") == "1"
max_epoch = 100 if QUICK else 300
batch_size = 30

np.random.seed(0)
train_set, test_set = Spiral(train=True), Spiral(train=False)
train_loader = DataLoader(train_set, batch_size)
test_loader = DataLoader(test_set, batch_size, shuffle=False)
model = MLP((10, 3))
optimizer = optimizers.SGD(lr=1.0).setup(model)

for epoch in range(max_epoch):
    sum_loss, sum_acc = 0.0, 0.0
    for x, t in train_loader:
        y = model(x)
        loss = F.softmax_cross_entropy(y, t)
        model.cleargrads()
        loss.backward()
        optimizer.update()
        sum_loss += float(loss.data) * len(t)
        sum_acc += float(F.accuracy(y, t).data) * len(t)
    test_acc = 0.0
    with minigrad.no_grad():
        for x, t in test_loader:
            test_acc += float(F.accuracy(model(x), t).data) * len(t)
    if (epoch + 1) % (max_epoch // 5) == 0 or epoch == 0:
        print(f"epoch {epoch + 1:3d}: train loss {sum_loss / len(train_set):.4f}, "
              f"accuracy {sum_acc / len(train_set):.4f} | test accuracy {test_acc / len(test_set):.4f}")
