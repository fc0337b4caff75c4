"""Step 53: saving and loading weights.

Adds over step 52: persistence. model.save_weights(path) writes every
Parameter, keyed by its place in the model ("l0/W" ...), into one
compressed .npz file; a fresh model of the same architecture gets them back
with load_weights(path) and then predicts exactly the same. A file that does
not match the model is refused with a message naming the mismatch. Files go
to a temporary directory here.
"""
import os
import tempfile

import numpy as np

import minigrad
import minigrad.functions as F
from minigrad import optimizers
from minigrad.dataloaders import DataLoader
from minigrad.datasets import MNIST
from minigrad.models import MLP

QUICK = os.environ.get("MINIGRAD_QUICK") == "1"

np.random.seed(0)
train_set = MNIST(train=True, sample=True)
test_x = np.stack([train_set[i][0] for i in range(10)])
model = MLP((100, 10), activation=F.relu)
optimizer = optimizers.SGD(lr=0.1).setup(model)
for i, (x, t) in enumerate(DataLoader(train_set, batch_size=100)):
    if QUICK and i == 10:
        break
    loss = F.softmax_cross_entropy(model(x), t)
    model.cleargrads()
    loss.backward()
    optimizer.update()
print(f"trained: last loss {float(loss.data):.4f}")

with tempfile.TemporaryDirectory() as tmp:
    path = os.path.join(tmp, "my_mlp.npz")
    model.save_weights(path)
    with np.load(path) as z:
        print("saved arrays:", ", ".join(f"{k} {z[k].shape}" for k in z.files))

    fresh = MLP((100, 10), activation=F.relu)
    fresh(test_x)  # create its (random) weights
    with minigrad.no_grad():
        before = fresh(test_x).data.copy()
        fresh.load_weights(path)
        y0, y1 = model(test_x).data, fresh(test_x).data
    print("fresh model predicted the same before loading:", bool(np.array_equal(before, y0)))
    print("after load_weights, predictions equal:", bool(np.array_equal(y0, y1)))
    print("predicted digits:", y1.argmax(axis=1).tolist(), " labels:", train_set.label[:10].tolist())

    other = MLP((50, 10))
    other(test_x)
    try:
        other.load_weights(path)
    except ValueError as e:
        print("loading into an MLP((50, 10)) is refused:", str(e).split(": ", 2)[-1][:70] + " ...")
