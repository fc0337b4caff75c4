"""Step 59: recurrent neural networks.

Adds over step 58: memory across time. An RNN layer keeps a hidden state h
and updates it at every step, h = tanh(x Wx + h Wh + b), so its output can
depend on everything seen so far. Trained on a noisy sine curve (SinCurve:
each value's label is the next value), it learns to predict one step ahead.
Backprop through the whole series would make one enormous graph, so we
backprop every `bptt_length` steps and then cut the graph behind the loss
with unchain_backward() (truncated backprop through time); the hidden state
itself carries on. reset_state() starts a new sequence.
"""
import os

import numpy as np

import minigrad
import minigrad.functions as F
import minigrad.layers as L
from minigrad import Model, optimizers
from minigrad.datasets import SinCurve

QUICK = os.environ.get("MINIGRAD_QUICK") == "1"


class SimpleRNN(Model):
    def __init__(self, hidden_size, out_size):
        super().__init__()
        self.rnn = L.RNN(hidden_size)
        self.fc = L.Linear(out_size)

    def reset_state(self):
        self.rnn.reset_state()

    def forward(self, x):
        return self.fc(self.rnn(x))


def test_loss(model, series):
    """Mean squared one-step-ahead error over a whole series, no graph."""
    model.reset_state()
    total = 0.0
    with minigrad.no_grad():
        for x, t in zip(series.data, series.label):
            total += float(F.mean_squared_error(model(x.reshape(1, 1)), t.reshape(1, 1)).data)
    return total / len(series)


np.random.seed(0)
train_set, test_set = SinCurve(train=True), SinCurve(train=False)
max_epoch = 3 if QUICK else 100
hidden_size, bptt_length = 100, 30
print(f"SinCurve: {len(train_set)} steps of a noisy sine; x[0] = {train_set[0][0][0]:.4f}, "
      f"t[0] = x[1] = {train_set[0][1][0]:.4f}")

model = SimpleRNN(hidden_size, 1)
optimizer = optimizers.Adam().setup(model)
print(f"before training: test loss {test_loss(model, test_set):.6f}")
for epoch in range(max_epoch):
    model.reset_state()
    loss, count, sum_loss = 0, 0, 0.0
    for x, t in zip(train_set.data, train_set.label):
        y = model(x.reshape(1, 1))
        loss += F.mean_squared_error(y, t.reshape(1, 1))
        count += 1
        if count % bptt_length == 0 or count == len(train_set):
            model.cleargrads()
            loss.backward()
            loss.unchain_backward()
            optimizer.update()
            sum_loss += float(loss.data)
            loss = 0
    if epoch < 3 or (epoch + 1) % 20 == 0:
        print(f"epoch {epoch + 1}: train loss {sum_loss / count:.6f}")
print(f"after training:  test loss {test_loss(model, test_set):.6f}")
