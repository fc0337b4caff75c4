"""Step 32: double backprop (3): the create_graph switch.

Adds over step 31: Variable.backward(create_graph=False) turns graph
recording off while it runs, so ordinary training builds no graph of its
gradients (saving memory and time). backward(create_graph=True) keeps it on:
x.grad then has a creator and can itself be differentiated. Here
y = x^3 at x = 2: dy/dx = 3x^2 = 12 and, from the recorded gradient,
d2y/dx2 = 6x = 12.
"""
import numpy as np

from minigrad import Variable

x = Variable(np.array(2.0))
y = x ** 3
y.backward()
print("backward():                  gx =", x.grad.data, " gx.creator =", x.grad.creator)

x.cleargrad()
y = x ** 3
y.backward(create_graph=True)
gx = x.grad
print("backward(create_graph=True): gx =", gx.data, " gx.creator =", type(gx.creator).__name__)
x.cleargrad()  # otherwise gx2 would be added to the old gx
gx.backward()
print("gx.backward():               d2y/dx2 =", x.grad.data)
