"""Step 35: the graph of tanh's higher derivatives.

Adds over step 34: a look at what repeated differentiation builds. Each
backward(create_graph=True) records the gradient computation, and the next
one differentiates that whole graph, so the graph of the n-th derivative of
tanh grows quickly. We count its nodes for n = 1..6 and draw the n = ITERS
one into tanh.png in the current directory (the DOT text is always written
to tanh.dot).
"""
import shutil
from pathlib import Path

import numpy as np

import minigrad.functions as F
from minigrad import Variable
from minigrad.files import atomic_path
from minigrad.utils import get_dot_graph, plot_dot_graph

ITERS = 2


def nth_derivative(n):
    x = Variable(np.array(1.0), name="x")
    y = F.tanh(x)
    for _ in range(n):
        x.cleargrad()
        y.backward(create_graph=True)
        y = x.grad
    y.name = f"gx{n}"
    return y


for n in range(1, 7):
    text = get_dot_graph(nth_derivative(n), verbose=False)
    funcs = sum(1 for line in text.splitlines() if "shape=box" in line)
    print(f"derivative {n}: {funcs:4d} functions, {text.count('color=orange'):4d} variables")

gx = nth_derivative(ITERS)
print(f"derivative {ITERS} of tanh at x = 1: {float(gx.data):.6f} "
      f"(exact {-2 * np.tanh(1) * (1 - np.tanh(1) ** 2):.6f})")
with atomic_path("tanh.dot") as tmp:  # replaces a symlink, never writes through it
    Path(tmp).write_text(get_dot_graph(gx, verbose=False) + "\n")
if not shutil.which("dot"):
    print("Graphviz's dot is not installed: wrote tanh.dot only")
else:
    try:
        print("wrote tanh.dot and", plot_dot_graph(gx, verbose=False, to_file="tanh.png"))
    except (ImportError, RuntimeError) as e:  # e.g. the graphviz Python package is missing
        print(f"could not render ({e}): wrote tanh.dot only")
