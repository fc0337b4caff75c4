"""Step 46: optimizers.

Adds over step 45: the update rule leaves the training loop. An Optimizer is
set up on a model (optimizer.setup(model)) and update() changes every
Parameter that has a gradient: SGD steps against it, MomentumSGD keeps a
velocity, AdaGrad and Adam adapt the step to each parameter. Same network,
same start, same data: only the optimizer differs.
"""
import os

import numpy as np

import minigrad.functions as F
from minigrad import optimizers
from minigrad.models import MLP

QUICK = os.environ.get("MINIGRAD_QUICK") == "1"

np.random.seed(0)
x = np.random.rand(100, 1)
y = np.sin(2 * np.pi * x) + np.random.rand(100, 1)
iters = 1000 if QUICK else 5000

for name, optimizer in [("SGD(lr=0.2)", optimizers.SGD(lr=0.2)),
                        ("MomentumSGD(lr=0.2)", optimizers.MomentumSGD(lr=0.2, momentum=0.9)),
                        ("AdaGrad(lr=0.1)", optimizers.AdaGrad(lr=0.1)),
                        ("Adam(alpha=0.01)", optimizers.Adam(alpha=0.01))]:
    np.random.seed(1)
    model = MLP((10, 1))
    optimizer.setup(model)
    losses = []
    for i in range(iters):
        loss = F.mean_squared_error(model(x), y)
        model.cleargrads()
        loss.backward()
        optimizer.update()
        losses.append(float(loss.data))
    marks = "  ".join(f"{losses[k]:.4f}" for k in (0, iters // 10, iters // 2, iters - 1))
    print(f"{name:<20} loss at iter 0, {iters // 10}, {iters // 2}, {iters - 1}: {marks}")
