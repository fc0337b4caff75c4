"""Step 34: higher derivatives of sin.

Adds over step 33: derivatives of any order. F.sin's backward uses F.cos,
whose backward uses F.sin again, so differentiating the recorded gradient
repeatedly gives sin, cos, -sin, -cos, ... We print the first derivatives at
x = 1 and, when matplotlib is installed, plot y = sin(x) and its first three
derivatives on [-7, 7] into sin_derivatives.png in the current directory.
"""
import numpy as np

import minigrad.functions as F
from minigrad import Variable
from minigrad.files import atomic_path

x = Variable(np.array(1.0))
y = F.sin(x)
print(f"sin(1)    = {float(y.data):.6f}")
for n in range(1, 5):
    y.backward(create_graph=True)
    y = x.grad
    x.cleargrad()
    print(f"d^{n}/dx^{n} = {float(y.data):.6f}")

x = Variable(np.linspace(-7, 7, 200))
y = F.sin(x)
curves = [y.data]
for n in range(3):
    y.backward(create_graph=True)
    y = x.grad
    x.cleargrad()
    curves.append(y.data)
print("on a grid too: the 3rd derivative equals -cos(x):", bool(np.allclose(curves[3], -np.cos(x.data))))

try:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    print("matplotlib is not installed: no plot")
else:
    for curve, label in zip(curves, ["y = sin(x)", "y'", "y''", "y'''"]):
        plt.plot(x.data, curve, label=label)
    plt.legend(loc="lower right")
    with atomic_path("sin_derivatives.png") as tmp:
        plt.savefig(tmp)
    print("wrote sin_derivatives.png")
