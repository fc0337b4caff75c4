"""Step 58: pooling and a CNN (LeNet).

Adds over step 57: max pooling and a whole convolutional network. Pooling
keeps the largest value of each window (here 2x2, stride 2: the image
shrinks by half); its backward sends each gradient to the element that was
the maximum. LeNet stacks conv - ReLU - pool twice, flattens, and ends with
fully connected layers; it is trained on the MNIST sample, now keeping the
images as (1, 28, 28) instead of flattening them.
"""
import os
import time

import numpy as np

import minigrad
import minigrad.functions as F
from minigrad import Variable, optimizers
from minigrad.dataloaders import DataLoader
from minigrad.datasets import MNIST
from minigrad.models import LeNet
from minigrad.transforms import Compose, Normalize, ToFloat

QUICK = os.environ.get("MINIGRAD_QUICK") == "1"

x = Variable(np.array([[[[1.0, 2.0, 5.0, 0.0],
                         [3.0, 4.0, 1.0, 6.0],
                         [0.0, 7.0, 2.0, 3.0],
                         [9.0, 8.0, 4.0, 1.0]]]]))
y = F.pooling(x, kernel_size=2, stride=2)
y.backward()
print("max pooling 2x2, stride 2 of a 4x4 image:", y.data[0, 0].tolist())
print("gradient marks the maxima:", x.grad.data[0, 0].astype(int).tolist())

np.random.seed(0)
transform = Compose([ToFloat(), Normalize(0.0, 255.0)])
train_set = MNIST(train=True, sample=True, transform=transform)
test_set = MNIST(train=False, sample=True, transform=transform)
train_loader = DataLoader(train_set, batch_size=100)
test_loader = DataLoader(test_set, batch_size=100, shuffle=False)
model = LeNet(num_classes=10)
optimizer = optimizers.Adam(alpha=0.001).setup(model)
max_epoch, max_iter = (1, 15) if QUICK else (5, None)

for epoch in range(max_epoch):
    start, sum_loss, n = time.perf_counter(), 0.0, 0
    for i, (x, t) in enumerate(train_loader):
        if max_iter is not None and i == max_iter:
            train_loader.reset()
            break
        loss = F.softmax_cross_entropy(model(x), t)
        model.cleargrads()
        loss.backward()
        optimizer.update()
        sum_loss, n = sum_loss + float(loss.data) * len(t), n + len(t)
    test_acc = 0.0
    with minigrad.no_grad():
        for x, t in test_loader:
            test_acc += float(F.accuracy(model(x), t).data) * len(t)
    print(f"epoch {epoch + 1}: {n} images, train loss {sum_loss / n:.4f}, "
          f"test accuracy {test_acc / len(test_set):.4f} ({time.perf_counter() - start:.1f} s)")
print("input", x.shape, "-> logits", model(x[:1]).shape, ";", model.count_params(), "parameters")
