"""Drawing computation graphs: DOT text from a Variable, rendered with Graphviz's `dot`.

`get_dot_graph` gives the DOT text (no binary needed); `dot_graph` wraps it in a DotGraph that a
notebook displays as SVG; `plot_dot_graph` (DeZero's) writes an image file and, inside a Jupyter
kernel, returns the image for display.  Given `model=`, parameters are labelled by their layer path
(`conv1/W`) and, with `cluster=True`, each layer's nodes are boxed together.

This module reads the graph through attributes only (`creator`, `inputs`, `outputs`, a Layer's
`named_children`), so it sits beside the engine and needs nothing above it.
"""
import os

from minigrad import jupyter
from minigrad.files import atomic_path

RANKDIRS = ("TB", "LR", "BT", "RL")
PARAM_COLOR = "gold"  # parameters apart from data and activations (DeZero draws all Variables orange)


def _escape(text):
    return str(text).replace("\\", "\\\\").replace('"', '\\"')


def _var_label(v, verbose, name):
    label = "" if name is None else _escape(name)
    if verbose and v.data is not None:
        if name is not None:
            label += ": "
        label += f"{v.shape} {v.dtype}"
    return label


def _constant(c):
    """A Function's constant operand as text: a scalar's value, an array's shape and dtype."""
    shape = getattr(c, "shape", ())
    if shape:
        return f"c: {tuple(shape)} {c.dtype}"
    if hasattr(c, "item"):
        c = c.item()
    if isinstance(c, float):
        c = float(f"{c:.6g}")  # six digits: a float32 0.1 shows as 0.1, not 0.10000000149011612
    return f"c = {c!r}"


def _func_label(f):
    # The arithmetic Functions with a constant operand (Scale, AddConstant, DivConstant, Pow, RPow)
    # keep it as `c`; without it in the label, `x * 2` and `x * 3` draw the same.
    label = _escape(type(f).__name__)
    if hasattr(f, "c"):
        label += "\\n" + _escape(_constant(f.c))
    return label


def _walk(output):
    """Functions and Variables of the graph behind `output`, each once, in a depth-first order."""
    variables, funcs = [output], []
    seen_vars, seen_funcs = {id(output)}, set()
    stack = [] if output.creator is None else [output.creator]
    while stack:
        f = stack.pop()
        if f in seen_funcs:
            continue
        seen_funcs.add(f)
        funcs.append(f)
        outputs = [y for y in (ref() for ref in f.outputs) if y is not None]
        for v in list(f.inputs) + outputs:
            if id(v) not in seen_vars:
                seen_vars.add(id(v))
                variables.append(v)
            if v.creator is not None and v.creator not in seen_funcs:
                stack.append(v.creator)
    return variables, funcs


def _sub_layers(model):
    """(path, layer, parent path, depth) of every Layer below `model`, each once, parents before
    children; paths use the `/` of saved weights (`block/conv1`, `layers/0`), the model's is ''."""
    found, seen = [], {id(model)}

    def visit(layer, prefix, depth):
        for name, obj in layer.named_children():
            if hasattr(obj, "named_children") and id(obj) not in seen:
                seen.add(id(obj))
                path = f"{prefix}/{name}" if prefix else name
                found.append((path, obj, prefix, depth))
                visit(obj, path, depth + 1)
    visit(model, "", 0)
    return found


def _layer_funcs(layer):
    """The Functions of a Layer's last call: those reached going back from its outputs before its
    inputs (or a leaf).  Only a call whose graph is still alive is found."""
    stops = {id(x) for x in (ref() for ref in getattr(layer, "inputs", ())) if x is not None}
    stack = [y.creator for y in (ref() for ref in getattr(layer, "outputs", ()))
             if y is not None and y.creator is not None]
    funcs = set()
    while stack:
        f = stack.pop()
        if f in funcs:
            continue
        funcs.add(f)
        stack.extend(x.creator for x in f.inputs if id(x) not in stops and x.creator is not None)
    return funcs


class _ModelInfo:
    """What a model tells about a graph: each Parameter's name (its path in saved weights) and, for
    clusters, the layer holding each Parameter and Function, and the layer tree."""

    def __init__(self, model, cluster):
        if not (hasattr(model, "named_params") and hasattr(model, "named_children")):
            raise TypeError(f"get_dot_graph: model must be a Layer or Model, got {type(model).__name__}")
        self.param_names = {id(p): path for path, p in model.named_params()}
        self.homes = {}  # id(Parameter) or Function -> layer path
        self.parents = {}  # layer path -> parent path, in definition order
        if not cluster:
            return
        layers = _sub_layers(model)
        depth = {}
        for path, layer, parent, level in layers:
            self.parents[path] = parent
            for name, obj in layer.named_children():
                if not hasattr(obj, "named_children"):
                    self.homes.setdefault(id(obj), path)
            for f in _layer_funcs(layer):  # a Function belongs to its innermost layer
                if level >= depth.get(f, -1):
                    depth[f], self.homes[f] = level, path


def get_dot_graph(output, verbose=True, *, model=None, cluster=False, rankdir=None):
    """DOT source of the graph that produced `output`: Variables (named, with shape and dtype when
    verbose) as ellipses, Functions (by class, with any constant operand) as boxes, each node once.
    Needs no `dot` binary.

    model    a Layer whose Parameters are labelled by their path (`conv1/W`) and coloured apart
    cluster  with `model`: box each sub-layer's nodes together, labelled with its path (a layer's
             Functions are found from its last call)
    rankdir  layout direction: 'TB' (Graphviz's default), 'LR', 'BT' or 'RL'
    """
    if rankdir is not None and rankdir not in RANKDIRS:
        raise ValueError(f"get_dot_graph: rankdir must be one of {', '.join(RANKDIRS)}, got {rankdir!r}")
    if cluster and model is None:
        raise ValueError("get_dot_graph: cluster=True needs model=, the Layer whose sub-layers form "
                         "the clusters")
    info = _ModelInfo(model, cluster) if model is not None else None
    param_names = {} if info is None else info.param_names
    homes = {} if info is None else info.homes
    variables, funcs = _walk(output)

    home = {}  # node id -> cluster path; nodes without one stay at the top level
    lines = []
    for v in variables:
        name = param_names.get(id(v), v.name)
        color = PARAM_COLOR if id(v) in param_names else "orange"
        label = _var_label(v, verbose, name)
        lines.append((id(v), f'{id(v)} [label="{label}", color={color}, style=filled]'))
        owner = homes.get(id(v), homes.get(v.creator))  # a Parameter's layer, or its creator's
        if owner is not None:
            home[id(v)] = owner
    edges = []
    for f in funcs:
        lines.append((id(f), f'{id(f)} [label="{_func_label(f)}", color=lightblue, style=filled, shape=box]'))
        if f in homes:
            home[id(f)] = homes[f]
        edges.extend(f"{id(x)} -> {id(f)}" for x in f.inputs)
        edges.extend(f"{id(f)} -> {id(y)}" for y in (ref() for ref in f.outputs) if y is not None)

    out = ["digraph g {"]
    if rankdir is not None:
        out.append(f"rankdir={rankdir}")
    out.extend(line for key, line in lines if key not in home)
    if home:
        out.extend(_clusters(lines, home, info.parents))
    out.extend(edges)
    out.append("}")
    return "\n".join(out)


def _clusters(lines, home, parents):
    """Nested `subgraph cluster_...` blocks holding each node at its layer path; `parents` maps each
    layer path to its parent's, in definition order."""
    members = {}
    for key, line in lines:
        if key in home:
            members.setdefault(home[key], []).append(line)
    shown = set()
    for path in members:  # every ancestor gets a box too, so nesting shows the layer tree
        while path and path not in shown:
            shown.add(path)
            path = parents[path]
    children = {}
    for path, parent in parents.items():
        if path in shown:
            children.setdefault(parent, []).append(path)

    def block(path):
        label = _escape(path[len(parents[path]) + 1:] if parents[path] else path)
        yield f'subgraph "cluster_{_escape(path)}" {{'
        yield f'label="{label}"; style="rounded,dashed"; color=gray40'
        yield from members.get(path, ())
        for child in children.get(path, ()):
            yield from block(child)
        yield "}"
    for top in children.get("", ()):
        yield from block(top)


# =============================================================================
# Rendering
# =============================================================================
def _render(source, fmt, fname):
    """Bytes of `source` drawn by Graphviz's `dot` in format `fmt`; clear errors without it."""
    try:
        import graphviz
    except ImportError:
        raise ImportError(f"{fname} needs the graphviz Python package: pip install graphviz") from None
    try:
        return graphviz.Source(source).pipe(format=fmt)
    except graphviz.ExecutableNotFound:
        raise RuntimeError(f"{fname}: Graphviz's `dot` program was not found; install Graphviz "
                           "(apt-get install graphviz, brew install graphviz or "
                           "conda install -c conda-forge graphviz)") from None
    except graphviz.backend.CalledProcessError as e:
        raise ValueError(f"{fname}: dot could not render format {fmt!r}: {e}") from None


class DotGraph:
    """A drawable graph: `source` is its DOT text; a notebook displays it as SVG (drawn by `dot`, or the
    DOT text with a note when Graphviz is missing).  `pipe(fmt)` gives bytes, `render(path)` writes."""

    def __init__(self, source):
        self.source = source

    def __str__(self):
        return self.source

    def __repr__(self):
        n = sum(1 for line in self.source.splitlines() if "[label=" in line)
        return f"<DotGraph of {n} nodes; str() gives the DOT source>"

    def pipe(self, format="svg"):
        """The graph drawn in `format` (svg, png, pdf ...), as bytes."""
        return _render(self.source, format, "DotGraph.pipe")

    def render(self, to_file):
        """Write the graph to `to_file` in the format its extension names (atomically); return the path."""
        return _write(self.source, to_file, "DotGraph.render")

    def _repr_mimebundle_(self, include=None, exclude=None):
        try:
            svg = self.pipe("svg").decode("utf-8")
        except (ImportError, RuntimeError) as e:  # no graphviz package or no `dot`: show the text
            return {"text/plain": f"{e}\n{self.source}"}
        return {"image/svg+xml": svg, "text/plain": repr(self)}


def dot_graph(output, verbose=True, *, model=None, cluster=False, rankdir=None):
    """The graph behind `output` as a DotGraph, which a notebook displays as an image; the arguments
    are get_dot_graph's."""
    return DotGraph(get_dot_graph(output, verbose, model=model, cluster=cluster, rankdir=rankdir))


def _write(source, to_file, fname):
    to_file = os.fspath(to_file)
    fmt = os.path.splitext(to_file)[1][1:].lower()
    if not fmt:
        raise ValueError(f"{fname}: to_file {to_file!r} needs an extension naming the format, e.g. .png")
    data = _render(source, fmt, fname)
    with atomic_path(to_file) as tmp, open(tmp, "wb") as fh:
        fh.write(data)
    return to_file


_IMAGE_FORMATS = ("png", "jpg", "jpeg", "gif", "svg")


def plot_dot_graph(output, verbose=True, to_file="graph.png", *, model=None, cluster=False, rankdir=None):
    """Render the graph of `output` to `to_file` in the format its extension names (png, svg, pdf ...)
    with the graphviz package and the `dot` binary (written atomically).  Returns the path; inside a
    Jupyter kernel, an IPython image of the file (as DeZero does), so a cell ending with it shows
    the graph.  `model`, `cluster` and `rankdir` are get_dot_graph's."""
    source = get_dot_graph(output, verbose, model=model, cluster=cluster, rankdir=rankdir)
    to_file = _write(source, to_file, "plot_dot_graph")
    fmt = os.path.splitext(to_file)[1][1:].lower()
    if fmt in _IMAGE_FORMATS and jupyter.in_kernel():
        from IPython import display
        return display.SVG(filename=to_file) if fmt == "svg" else display.Image(filename=to_file)
    return to_file
