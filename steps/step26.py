"""Step 26: drawing a computational graph with plot_dot_graph.

Adds over step 25: plot_dot_graph(output, verbose, to_file) renders the graph
behind any Variable in one call (it builds the DOT text with get_dot_graph
and pipes it through Graphviz). verbose=True adds each Variable's shape and
dtype. We draw the Goldstein-Price function of step 24 into goldstein.png in
the current directory, and always keep the DOT text in goldstein.dot.
"""
import shutil
from pathlib import Path

import numpy as np

from minigrad.core_simple import Variable
from minigrad.files import atomic_path
from minigrad.utils import get_dot_graph, plot_dot_graph


def goldstein(x, y):
    a = 1 + (x + y + 1) ** 2 * (19 - 14 * x + 3 * x ** 2 - 14 * y + 6 * x * y + 3 * y ** 2)
    b = 30 + (2 * x - 3 * y) ** 2 * (18 - 32 * x + 12 * x ** 2 + 48 * y - 36 * x * y + 27 * y ** 2)
    return a * b


x, y = Variable(np.array(1.0), name="x"), Variable(np.array(1.0), name="y")
z = goldstein(x, y)
z.name = "z"
text = get_dot_graph(z, verbose=True)
with atomic_path("goldstein.dot") as tmp:  # replaces a symlink, never writes through it
    Path(tmp).write_text(text + "\n")
functions = sum(1 for line in text.splitlines() if "shape=box" in line)
variables = sum(1 for line in text.splitlines() if "color=orange" in line)
print(f"the graph of goldstein(x, y): {functions} functions, {variables} variables")
print("verbose labels show shape and dtype:", text[text.index('"x: '):].split(",")[0])

if not shutil.which("dot"):
    print("Graphviz's dot is not installed: wrote goldstein.dot only (apt-get install graphviz)")
else:
    try:
        print("wrote goldstein.dot and", plot_dot_graph(z, verbose=True, to_file="goldstein.png"))
    except (ImportError, RuntimeError) as e:  # e.g. the graphviz Python package is missing
        print(f"could not render ({e}): wrote goldstein.dot only")
