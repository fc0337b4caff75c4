"""Step 36: other uses of double backprop.

Adds over step 35: differentiating expressions that contain a gradient, not
just repeated derivatives. With y = x^2, gx = dy/dx = 2x is a Variable with a
graph, so z = gx^3 + y can be differentiated: dz/dx = 3 gx^2 * 2 + 2x,
which is 100 at x = 2. The same idea penalises the squared norm of a
gradient (as in WGAN-GP): for y = sum(x^3), ||grad||^2 = 9 sum(x^4), whose
gradient is 36 x^3.
"""
import numpy as np

import minigrad.functions as F
from minigrad import Variable

x = Variable(np.array(2.0))
y = x ** 2
y.backward(create_graph=True)
gx = x.grad
x.cleargrad()
z = gx ** 3 + y
z.backward()
print("y = x^2, z = (dy/dx)^3 + y at x = 2: z =", z.data, " dz/dx =", x.grad.data)

x = Variable(np.array([1.0, 2.0]))
y = F.sum(x ** 3)
y.backward(create_graph=True)
g = x.grad
x.cleargrad()
penalty = F.sum(g * g)
penalty.backward()
print("y = sum(x^3) at x = [1, 2]: ||grad||^2 =", penalty.data, " its gradient =", x.grad.data)
