"""Step 33: second derivatives by autograd; Newton's method with them.

Adds over step 32: the hand-written second derivative of step 29 is gone.
backward(create_graph=True) gives f'(x) as a Variable with a graph, and
backprop through it gives f''(x). The iterates for f(x) = x^4 - 2x^2 from
x = 2 are exactly those of step 29. Note the x.cleargrad() before the second
backward: without it f''(x) would be added to f'(x).
"""
import numpy as np

from minigrad import Variable


def f(x):
    return x ** 4 - 2 * x ** 2


x = Variable(np.array(2.0))
y = f(x)
y.backward(create_graph=True)
gx = x.grad
x.cleargrad()
gx.backward()
print(f"at x = 2: f'(x) = {float(gx.data)}  f''(x) = {float(x.grad.data)}")

x = Variable(np.array(2.0))
for i in range(10):
    print(f"iter {i}: x = {float(x.data):.10f}")
    y = f(x)
    x.cleargrad()
    y.backward(create_graph=True)
    gx = x.grad
    x.cleargrad()
    gx.backward()
    x.data -= gx.data / x.grad.data
