"""Step 45: models: layers within layers.

Adds over step 44: a Layer may hold Layers, and params() walks them all, so a
whole network is one object. Model is a Layer for networks (it adds plot()
and summary()); MLP builds a fully connected net from a tuple of output
sizes; Sequential chains layers and plain functions. A subclass writes only
__init__ (assigning layers) and forward.
"""
import os

import numpy as np

import minigrad.functions as F
import minigrad.layers as L
from minigrad.models import MLP, Model, Sequential

QUICK = os.environ.get("MINIGRAD_QUICK") == "1"


class TwoLayerNet(Model):
    def __init__(self, hidden_size, out_size):
        super().__init__()
        self.l1 = L.Linear(hidden_size)
        self.l2 = L.Linear(out_size)

    def forward(self, x):
        return self.l2(F.sigmoid(self.l1(x)))


np.random.seed(0)
x = np.random.rand(100, 1)
y = np.sin(2 * np.pi * x) + np.random.rand(100, 1)

nets = {"TwoLayerNet(10, 1)": TwoLayerNet(10, 1),
        "MLP((10, 1))": MLP((10, 1)),
        "Sequential(Linear(10), sigmoid, Linear(1))": Sequential(L.Linear(10), F.sigmoid, L.Linear(1))}
lr = 0.2
iters = 1000 if QUICK else 10000
for name, model in nets.items():
    np.random.seed(1)  # the same initial weights for all three, created by the first call
    losses = []
    for i in range(iters):
        loss = F.mean_squared_error(model(x), y)
        losses.append(float(loss.data))
        model.cleargrads()
        loss.backward()
        for p in model.params():
            p.data -= lr * p.grad.data
    n_params = sum(p.data.size for p in model.params())
    print(f"{name:<43} {n_params} parameters, loss {losses[0]:.4f} -> {losses[-1]:.4f}")

model = nets["MLP((10, 1))"]
print("MLP params in order:", [f"{p.name}{p.shape}" for p in model.params()])
