"""Step 51: MNIST.

Adds over step 50: real data. MNIST holds 28x28 grey images of handwritten
digits; minigrad bundles a sample of 4,000 training and 1,000 test digits
(MNIST(train=..., sample=True)), so this runs offline. Each image is
flattened to 784 floats in [0, 1] by the dataset's default transform. An MLP
with a ReLU hidden layer learns to classify them.
"""
import os

import numpy as np

import minigrad
import minigrad.functions as F
from minigrad import optimizers
from minigrad.dataloaders import DataLoader
from minigrad.datasets import MNIST
from minigrad.models import MLP

QUICK = os.environ.get("MINIGRAD_QUICK") == "1"
max_epoch = 1 if QUICK else 10
batch_size, hidden_size = 100, 1000

np.random.seed(0)
train_set, test_set = MNIST(train=True, sample=True), MNIST(train=False, sample=True)
x, t = train_set[0]
print(f"MNIST sample: {len(train_set)} train / {len(test_set)} test; an example: x {x.shape} {x.dtype} "
      f"in [{x.min()}, {x.max()}], label {t}")
train_loader = DataLoader(train_set, batch_size)
test_loader = DataLoader(test_set, batch_size, shuffle=False)
model = MLP((hidden_size, 10), activation=F.relu)
optimizer = optimizers.SGD(lr=0.1).setup(model)

for epoch in range(max_epoch):
    sum_loss = 0.0
    for x, t in train_loader:
        loss = F.softmax_cross_entropy(model(x), t)
        model.cleargrads()
        loss.backward()
        optimizer.update()
        sum_loss += float(loss.data) * len(t)
    test_acc = 0.0
    with minigrad.no_grad():
        for x, t in test_loader:
            test_acc += float(F.accuracy(model(x), t).data) * len(t)
    print(f"epoch {epoch + 1}: train loss {sum_loss / len(train_set):.4f}, "
          f"test accuracy {test_acc / len(test_set):.4f}")
