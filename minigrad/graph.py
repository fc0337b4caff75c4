"""Drawing computation graphs: DOT text from a Variable, rendered with Graphviz's `dot`."""
import os

from minigrad.files import atomic_path


def _dot_var(v, verbose=False):
    name = "" if v.name is None else v.name
    if verbose and v.data is not None:
        if v.name is not None:
            name += ": "
        name += f"{v.shape} {v.dtype}"
    name = name.replace("\\", "\\\\").replace('"', '\\"')
    return f'{id(v)} [label="{name}", color=orange, style=filled]\n'


def _dot_func(f):
    lines = [f'{id(f)} [label="{type(f).__name__}", color=lightblue, style=filled, shape=box]\n']
    for x in f.inputs:
        lines.append(f"{id(x)} -> {id(f)}\n")
    for ref in f.outputs:
        y = ref()
        if y is not None:
            lines.append(f"{id(f)} -> {id(y)}\n")
    return "".join(lines)


def get_dot_graph(output, verbose=True):
    """DOT source of the graph that produced `output`: Variables (named, with shape and dtype when
    verbose) as ellipses, Functions (by class) as boxes, each node once.  Needs no `dot` binary."""
    parts = [_dot_var(output, verbose)]
    funcs, seen_funcs, seen_vars = [], set(), {id(output)}

    def add_func(f):
        if f is not None and f not in seen_funcs:
            seen_funcs.add(f)
            funcs.append(f)

    add_func(output.creator)
    while funcs:
        f = funcs.pop()
        parts.append(_dot_func(f))
        for x in f.inputs:
            if id(x) not in seen_vars:
                seen_vars.add(id(x))
                parts.append(_dot_var(x, verbose))
            add_func(x.creator)
        for ref in f.outputs:
            y = ref()
            if y is not None and id(y) not in seen_vars:
                seen_vars.add(id(y))
                parts.append(_dot_var(y, verbose))
    return "digraph g {\n" + "".join(parts) + "}"


def plot_dot_graph(output, verbose=True, to_file="graph.png"):
    """Render the graph of `output` to `to_file` in the format its extension names (png, svg, pdf ...)
    with the graphviz package and the `dot` binary; return the path.  The file is written atomically."""
    try:
        import graphviz
    except ImportError:
        raise ImportError("plot_dot_graph needs the graphviz Python package: pip install graphviz") from None
    to_file = os.fspath(to_file)
    root, ext = os.path.splitext(to_file)
    fmt = ext[1:].lower()
    if not fmt:
        raise ValueError(f"plot_dot_graph: to_file {to_file!r} needs an extension naming the format, e.g. .png")
    source = graphviz.Source(get_dot_graph(output, verbose))
    try:
        data = source.pipe(format=fmt)
    except graphviz.ExecutableNotFound:
        raise RuntimeError("plot_dot_graph: Graphviz's `dot` program was not found; install Graphviz "
                           "(e.g. `apt-get install graphviz` or `brew install graphviz`)") from None
    except graphviz.backend.CalledProcessError as e:
        raise ValueError(f"plot_dot_graph: dot could not render format {fmt!r}: {e}") from None
    with atomic_path(to_file) as tmp, open(tmp, "wb") as fh:
        fh.write(data)
    return to_file
