"""Step 31: double backprop (2): backward computed with Functions.

Adds over step 30: since backward is written with Functions on Variables,
the operations that compute a gradient link into a graph exactly as forward
operations do, as long as graph recording (Config.enable_backprop) is on.
For y = sin(x) * x we call the Functions' backward methods by hand, as
Variable.backward would: Mul.backward gives gy * x and gy * sin(x),
Sin.backward turns the first into gy * x * cos(x). The resulting gradient
has a creator, and its graph reaches back into the forward graph (Sin).
"""
import numpy as np

import minigrad.functions as F
from minigrad import Config, Variable


def functions_behind(v):
    """Names of the Functions in the graph that produced v, each once."""
    names, seen, todo = [], set(), [v.creator]
    while todo:
        f = todo.pop()
        if f is None or f in seen:
            continue
        seen.add(f)
        names.append(type(f).__name__)
        todo.extend(x.creator for x in f.inputs)
    return sorted(names)


x = Variable(np.array(1.0))
s = F.sin(x)
y = s * x
print("Config.enable_backprop =", Config.enable_backprop)
gy = Variable(np.array(1.0))
gs, gx_direct = y.creator.backward(gy)    # Mul.backward: gy * x, gy * s
gx_via_sin = s.creator.backward(gs)       # Sin.backward: gs * cos(x)
gx = gx_via_sin + gx_direct
print("dy/dx =", round(float(gx.data), 6), " exact cos(1) + sin(1) =", round(np.cos(1) + np.sin(1), 6))
print("gx.creator =", type(gx.creator).__name__)
print("Functions in the graph of gx:", functions_behind(gx))
