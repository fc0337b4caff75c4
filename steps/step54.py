"""Step 54: dropout and test mode.

Adds over step 53: behaviour that differs between training and testing.
Dropout zeroes each element with probability `dropout_ratio` while
training, which keeps a network from relying on any single unit. The kept
elements are scaled by 1 / (1 - ratio) (inverted dropout), so the expected
value is unchanged and at test time dropout is simply the identity.
Config.train switches the mode; `with test_mode():` turns it off for a block.
"""
import numpy as np

import minigrad
import minigrad.functions as F
from minigrad import Variable

np.random.seed(0)
x = np.ones(10)
y = F.dropout(x, dropout_ratio=0.5)
print("Config.train =", minigrad.Config.train)
print("training:  dropout(ones(10)) =", y.data.tolist())

with minigrad.test_mode():
    y = F.dropout(x, dropout_ratio=0.5)
    print("test mode: dropout(ones(10)) =", y.data.tolist(), " Config.train =", minigrad.Config.train)
print("after the with-block Config.train =", minigrad.Config.train)

big = np.ones(100000)
kept = float((F.dropout(big, 0.3).data != 0).mean())
print(f"ratio 0.3 on 100000 ones: kept {kept:.3f}, mean {float(F.dropout(big, 0.3).data.mean()):.3f} "
      "(expected 0.7 and 1.0)")

v = Variable(np.arange(1.0, 7.0))
y = F.dropout(v, 0.5)
y.backward()
print("dropout output:", y.data.tolist())
print("its gradient:  ", v.grad.data.tolist(), "(dropped elements get none)")
