"""Step 48: multi-class classification.

Adds over step 47: a full training loop on a real task. The spiral data (300
points in 2-D, 3 interleaved arms) cannot be split by straight lines; an MLP
with one hidden layer of 10 units learns it with softmax cross entropy and
SGD, in shuffled mini-batches of 30, epoch after epoch. F.accuracy tells the
fraction of points it gets right.
"""
import math
import os

import numpy as np

import minigrad
import minigrad.functions as F
from minigrad import optimizers
from minigrad.datasets import get_spiral
from minigrad.models import MLP

QUICK = os.environ.get("MINIGRAD_QUICK") == "1"
max_epoch = 100 if QUICK else 300
batch_size, hidden_size, lr = 30, 10, 1.0

np.random.seed(0)
x, t = get_spiral(train=True)
model = MLP((hidden_size, 3))
optimizer = optimizers.SGD(lr).setup(model)

data_size = len(x)
max_iter = math.ceil(data_size / batch_size)
for epoch in range(max_epoch):
    index = np.random.permutation(data_size)
    sum_loss = 0.0
    for i in range(max_iter):
        batch_index = index[i * batch_size:(i + 1) * batch_size]
        batch_x, batch_t = x[batch_index], t[batch_index]
        loss = F.softmax_cross_entropy(model(batch_x), batch_t)
        model.cleargrads()
        loss.backward()
        optimizer.update()
        sum_loss += float(loss.data) * len(batch_t)
    if (epoch + 1) % (max_epoch // 5) == 0:
        print(f"epoch {epoch + 1:3d}: loss {sum_loss / data_size:.4f}")

with minigrad.no_grad():
    acc = float(F.accuracy(model(x), t).data)
print(f"final loss {sum_loss / data_size:.4f}, accuracy on the training points {acc:.4f}")
