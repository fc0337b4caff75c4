"""Step 25: the DOT language and Graphviz.

Adds over step 24: a way to look at a graph. Graphviz's `dot` program turns a
text description (the DOT language) into a picture: nodes with attributes
(`label`, `color`, `shape`), edges written `a -> b`. A computational graph is
a DOT graph with Variables as orange ellipses and Functions as blue boxes.
Here we write one small graph by hand, then let minigrad.utils.get_dot_graph
write the DOT text of a real graph (it only reads the links of step 23's
simple core: creator, inputs, outputs). Files go to the current directory; the
PNGs only when `dot` is installed. Each is written through minigrad.files.atomic_path:
it appears whole or not at all, and a symlink in its place is replaced, not written through.
"""
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np

from minigrad.core_simple import Variable
from minigrad.files import atomic_path
from minigrad.utils import get_dot_graph

hand_written = """digraph g {
x [label="x", color=orange, style=filled]
y [label="y", color=orange, style=filled]
f [label="Exp", color=lightblue, style=filled, shape=box]
x -> f
f -> y
}"""
print("hand-written DOT for y = exp(x):")
print(hand_written)
with atomic_path("sample.dot") as tmp:  # whole or not at all; a symlink is replaced
    Path(tmp).write_text(hand_written + "\n")

x = Variable(np.array(1.0), name="x")
y = x * x + x
y.name = "y"
text = get_dot_graph(y, verbose=False)
# Node ids are Python object ids; renumber them 0, 1, 2 ... so the text reads the same on every run.
ids = {}
text = re.sub(r"\b\d{6,}\b", lambda m: str(ids.setdefault(m.group(), len(ids))), text)
with atomic_path("graph.dot") as tmp:
    Path(tmp).write_text(text + "\n")
print("get_dot_graph(y) for y = x * x + x:")
print(text)
print("nodes:", text.count("label="), " edges:", text.count("->"))

if shutil.which("dot"):
    for name in ("sample", "graph"):
        with atomic_path(f"{name}.png") as tmp:
            subprocess.run(["dot", f"{name}.dot", "-T", "png", "-o", tmp], check=True)
    print("wrote sample.dot, graph.dot and rendered sample.png, graph.png with dot")
else:
    print("Graphviz's dot is not installed: wrote sample.dot and graph.dot only")
