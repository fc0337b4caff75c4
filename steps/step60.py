"""Step 60: LSTM and SeqDataLoader.

Adds over step 59: a better recurrent layer and mini-batches of sequences.
The LSTM layer adds a memory cell c guarded by forget, input and output
gates, so information and gradients survive over longer spans than in a
plain RNN. SeqDataLoader cuts the series into `batch_size` stretches and
serves them side by side in time order (row k of batch i is example
k * jump + i), so one model processes 30 sequences at once while each row
still sees its own series in order. Truncated BPTT as in step 59.
"""
import os

import numpy as np

import minigrad
import minigrad.functions as F
import minigrad.layers as L
from minigrad import Model, optimizers
from minigrad.dataloaders import SeqDataLoader
from minigrad.datasets import SinCurve

QUICK = os.environ.get("MINIGRAD_QUICK") == "1"


class BetterRNN(Model):
    def __init__(self, hidden_size, out_size):
        super().__init__()
        self.rnn = L.LSTM(hidden_size)
        self.fc = L.Linear(out_size)

    def reset_state(self):
        self.rnn.reset_state()

    def forward(self, x):
        return self.fc(self.rnn(x))


def predict_cos(model, n=200):
    """Feed the model cos(0..4 pi) one value at a time; return its one-step-ahead MSE."""
    xs = np.cos(np.linspace(0, 4 * np.pi, n))
    model.reset_state()
    with minigrad.no_grad():
        preds = [float(model(np.array([[x]])).data[0, 0]) for x in xs[:-1]]
    return float(np.mean((np.array(preds) - xs[1:]) ** 2))


np.random.seed(0)
max_epoch = 5 if QUICK else 100
batch_size, hidden_size, bptt_length = 30, 100, 30
train_set = SinCurve(train=True)
loader = SeqDataLoader(train_set, batch_size=batch_size)
jump = len(train_set) // batch_size
x, t = next(loader)
loader.reset()
print(f"SeqDataLoader: {len(loader)} batches of x {x.shape}; batch 0 holds steps 0, {jump}, {2 * jump} ...:",
      bool(np.array_equal(x[:, 0], train_set.data[np.arange(batch_size) * jump, 0])))

model = BetterRNN(hidden_size, 1)
optimizer = optimizers.Adam().setup(model)
print(f"before training: prediction error on a cosine {predict_cos(model):.6f}")
for epoch in range(max_epoch):
    model.reset_state()
    loss, count, sum_loss = 0, 0, 0.0
    for x, t in loader:
        y = model(x)
        loss += F.mean_squared_error(y, t)
        count += 1
        if count % bptt_length == 0 or count == len(loader):
            model.cleargrads()
            loss.backward()
            loss.unchain_backward()
            optimizer.update()
            sum_loss += float(loss.data)
            loss = 0
    if QUICK or (epoch + 1) % 10 == 0:
        print(f"epoch {epoch + 1}: train loss {sum_loss / count:.6f}")
print(f"after training:  prediction error on a cosine {predict_cos(model):.6f}")
