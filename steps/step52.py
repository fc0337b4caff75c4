"""Step 52: the GPU.

Adds over step 51: the same code on a GPU through CuPy, NumPy's GPU twin.
Functions never call NumPy directly on data: they ask
cuda.get_array_module(x) for the module that owns x, so model.to_gpu()
(moving the Parameters) and DataLoader.to_gpu() (moving each batch) are the
only changes. minigrad.cuda.gpu_enable tells whether CuPy and a GPU are
usable; without them this step runs the same code on the CPU and says so.
"""
import os
import time

import numpy as np

import minigrad
import minigrad.functions as F
from minigrad import cuda, optimizers
from minigrad.dataloaders import DataLoader
from minigrad.datasets import MNIST
from minigrad.models import MLP

QUICK = os.environ.get("MINIGRAD_QUICK") == "1"
max_epoch = 1 if QUICK else 5

np.random.seed(0)
train_set = MNIST(train=True, sample=True)
train_loader = DataLoader(train_set, batch_size=100)
model = MLP((1000, 10), activation=F.relu)
optimizer = optimizers.SGD(lr=0.1).setup(model)

if cuda.gpu_enable:
    train_loader.to_gpu()
    model.to_gpu()
    print("GPU found: running on the GPU")
else:
    print("no GPU: running on the CPU")

for epoch in range(max_epoch):
    start = time.perf_counter()
    sum_loss = 0.0
    for x, t in train_loader:
        loss = F.softmax_cross_entropy(model(x), t)
        model.cleargrads()
        loss.backward()
        optimizer.update()
        sum_loss += float(loss.data) * len(t)
    elapsed = time.perf_counter() - start
    print(f"epoch {epoch + 1}: loss {sum_loss / len(train_set):.4f}, time {elapsed:.2f} s")

W = next(model.params()).data
print("the weights live in", type(W).__module__.split(".")[0], "arrays; array module:",
      cuda.get_array_module(W).__name__)
eval_loader = DataLoader(train_set, batch_size=500, shuffle=False, gpu=cuda.gpu_enable)
x, t = next(eval_loader)
with minigrad.no_grad():
    acc = float(F.accuracy(model(x), t).data)
print(f"accuracy on 500 training digits: {acc:.4f}")
