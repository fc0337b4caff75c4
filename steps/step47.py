"""Step 47: softmax and cross entropy.

Adds over step 46: classification. A network outputs one score per class;
softmax turns each row of scores into probabilities (positive, summing to
1); the cross-entropy loss is the mean of -log(probability of the right
class). F.softmax_cross_entropy fuses both into one stable Function; the
_simple versions, composed of basic Functions, give the same numbers.
Indexing a Variable (x[1], x[:, 0]) is a Function too (get_item).
"""
import numpy as np

import minigrad.functions as F
from minigrad import Variable
from minigrad.models import MLP

np.random.seed(0)
x = Variable(np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]))
y = x[1]
y.backward()
print("x[1] =", y.data.tolist(), " x.grad =", x.grad.data.tolist())

model = MLP((10, 3))
x = np.array([[0.2, -0.4], [0.3, 0.5], [1.3, -1.2], [2.1, 0.3]])
t = np.array([2, 0, 1, 0])
y = model(x)
p = F.softmax(y)
with np.printoptions(precision=4, suppress=True):
    print("scores shape", y.shape)
    print("softmax(scores) =\n", p.data)
print("rows sum to 1:", bool(np.allclose(p.data.sum(axis=1), 1)))

loss = F.softmax_cross_entropy(y, t)
loss.backward()
print(f"softmax_cross_entropy = {float(loss.data):.6f}")
print(f"-mean(log p[i, t[i]])  = {float(-np.log(p.data[np.arange(4), t]).mean()):.6f}")
print("softmax_simple agrees:", bool(np.allclose(F.softmax_simple(y).data, p.data)))
print("softmax_cross_entropy_simple agrees:",
      bool(np.isclose(F.softmax_cross_entropy_simple(y, t).data, loss.data)))
print("every parameter got a gradient:", all(q.grad is not None for q in model.params()))
