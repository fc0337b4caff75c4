"""Graph drawing: DOT text (no binary needed) and rendering with Graphviz's `dot`."""
import os
import re
import shutil

import numpy as np
import pytest

import minigrad.functions as F
from minigrad import Variable, utils
from minigrad.graph import get_dot_graph, plot_dot_graph

_NODE = re.compile(r'^(\d+) \[label="(.*)", color=(\w+), style=filled(, shape=box)?\]$')
_EDGE = re.compile(r"^(\d+) -> (\d+)$")


def _parse(dot):
    lines = dot.strip().splitlines()
    assert lines[0] == "digraph g {" and lines[-1] == "}"
    nodes, edges = {}, []
    for line in lines[1:-1]:
        m = _NODE.match(line)
        if m:
            assert m.group(1) not in nodes, f"node {m.group(1)} appears twice"
            nodes[m.group(1)] = (m.group(2), m.group(3), bool(m.group(4)))
            continue
        m = _EDGE.match(line)
        assert m, f"unexpected line {line!r}"
        edges.append((m.group(1), m.group(2)))
    return nodes, edges


def _graph():
    x0 = Variable(np.ones((2, 3)), name="x0")
    x1 = Variable(np.ones((2, 3), dtype=np.float64), name="x1")
    h = x0 + x1
    h.name = "h"
    y = F.sin(h) * x0  # x0 is used twice, h feeds one function
    y.name = "y"
    return x0, x1, h, y


def test_dot_graph_nodes_labels_and_edges():
    x0, x1, h, y = _graph()
    nodes, edges = _parse(get_dot_graph(y, verbose=True))
    add, mul, sin = h.creator, y.creator, y.creator.inputs[0].creator
    s = y.creator.inputs[0]
    ids = {name: str(id(obj)) for name, obj in
           dict(x0=x0, x1=x1, h=h, y=y, s=s, add=add, mul=mul, sin=sin).items()}
    assert set(nodes) == set(ids.values())  # every node exactly once
    assert nodes[ids["x0"]] == ("x0: (2, 3) float64", "orange", False)
    assert nodes[ids["h"]][0] == "h: (2, 3) float64"
    assert nodes[ids["s"]][0] == "(2, 3) float64"  # unnamed Variable: shape and dtype only
    assert nodes[ids["add"]] == ("Add", "lightblue", True)
    assert nodes[ids["sin"]][0] == "Sin"
    assert nodes[ids["mul"]][0] == "Mul"
    expected = {(ids["x0"], ids["add"]), (ids["x1"], ids["add"]), (ids["add"], ids["h"]),
                (ids["h"], ids["sin"]), (ids["sin"], ids["s"]), (ids["s"], ids["mul"]),
                (ids["x0"], ids["mul"]), (ids["mul"], ids["y"])}
    assert set(edges) == expected
    assert len(edges) == len(expected)  # each edge once


def test_dot_graph_not_verbose_and_dtype():
    x = Variable(np.ones(3, dtype=np.float32), name="x")
    y = x * 2.0
    nodes, _ = _parse(get_dot_graph(y, verbose=False))
    assert nodes[str(id(x))][0] == "x"
    assert nodes[str(id(y))][0] == ""
    nodes, _ = _parse(get_dot_graph(y))  # verbose by default, as in DeZero
    assert nodes[str(id(x))][0] == "x: (3,) float32"


def test_dot_graph_same_input_twice_and_quotes():
    x = Variable(np.array(1.0), name='say "hi"')
    y = x * x
    dot = get_dot_graph(y, verbose=False)
    nodes, edges = _parse(dot)
    assert nodes[str(id(x))][0] == 'say \\"hi\\"'
    assert len(nodes) == 3
    assert edges.count((str(id(x)), str(id(y.creator)))) == 2  # one edge per use


def test_dot_labels_escape_backslashes():
    x = Variable(np.array(1.0), name="C:\\tmp\\")
    y = x * 2
    assert 'label="C:\\\\tmp\\\\' in utils.get_dot_graph(y)


def test_dot_graph_of_a_leaf_and_a_long_chain():
    x = Variable(np.array(1.0), name="x")
    nodes, edges = _parse(get_dot_graph(x))
    assert list(nodes) == [str(id(x))] and edges == []
    y = x
    for _ in range(50):
        y = F.sin(y)
    nodes, edges = _parse(get_dot_graph(y))
    assert len(nodes) == 101 and len(edges) == 100


def test_utils_reexports_the_graph_functions():
    assert utils.get_dot_graph is get_dot_graph
    assert utils.plot_dot_graph is plot_dot_graph


needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
_MAGIC = {"png": b"\x89PNG\r\n\x1a\n", "pdf": b"%PDF", "svg": None}


@needs_dot
@pytest.mark.parametrize("ext", ["png", "svg", "pdf"])
def test_plot_dot_graph_writes_the_format_of_the_extension(tmp_path, ext):
    pytest.importorskip("graphviz")
    *_, y = _graph()
    target = tmp_path / "sub" / f"graph.{ext}"
    result = plot_dot_graph(y, verbose=True, to_file=str(target))
    assert os.fspath(result) == str(target)
    data = target.read_bytes()
    if ext == "svg":
        text = data.decode()
        assert "<svg" in text and "Mul" in text and "x0: (2, 3) float64" in text
    else:
        assert data.startswith(_MAGIC[ext])
    assert os.listdir(tmp_path / "sub") == [f"graph.{ext}"]  # no temporary files left behind


@needs_dot
def test_plot_dot_graph_accepts_a_path_and_overwrites(tmp_path):
    pytest.importorskip("graphviz")
    target = tmp_path / "g.svg"
    target.write_text("old")
    plot_dot_graph(Variable(np.ones(2), name="only") * 2.0, to_file=target)
    assert "only" in target.read_text()
    assert sorted(os.listdir(tmp_path)) == ["g.svg"]


@needs_dot
def test_plot_dot_graph_unknown_format(tmp_path):
    pytest.importorskip("graphviz")
    with pytest.raises(ValueError):
        plot_dot_graph(Variable(np.ones(2)) * 2.0, to_file=str(tmp_path / "graph.notaformat"))
    assert os.listdir(tmp_path) == []


def test_plot_dot_graph_needs_an_extension(tmp_path):
    pytest.importorskip("graphviz")
    with pytest.raises(ValueError, match="extension"):
        plot_dot_graph(Variable(np.ones(2)) * 2.0, to_file=str(tmp_path / "graph"))
    assert os.listdir(tmp_path) == []


def test_plot_dot_graph_without_dot_raises_a_clear_error(tmp_path, monkeypatch):
    pytest.importorskip("graphviz")
    monkeypatch.setenv("PATH", "")
    with pytest.raises(RuntimeError, match="dot.*install|install.*[Gg]raphviz"):
        plot_dot_graph(Variable(np.ones(2)) * 2.0, to_file=str(tmp_path / "graph.png"))
    assert os.listdir(tmp_path) == []


# =============================================================================
# Readable labels: constants, MaxPooling, parameters by layer path
# =============================================================================
def _labels(dot):
    """{node id: label} of every node statement, inside clusters too."""
    return dict(re.findall(r'^(\d+) \[label="(.*?)", color=', dot, flags=re.M))


def test_constant_operands_are_shown_in_their_function_node():
    from minigrad.functions.arithmetic import Scale
    x = Variable(np.ones((2, 3), np.float32), name="x")
    y2, y3 = x * 2.0, x * 3
    labels = _labels(get_dot_graph(y2) + get_dot_graph(y3))
    assert labels[str(id(y2.creator))] == "Scale\\nc = 2.0"
    assert labels[str(id(y3.creator))] == "Scale\\nc = 3"  # x * 2 and x * 3 no longer draw the same
    plus, div, power = x + np.float32(0.1), x / 4, x ** 2
    labels = _labels(get_dot_graph(plus) + get_dot_graph(div) + get_dot_graph(power))
    assert labels[str(id(plus.creator))] == "AddConstant\\nc = 0.1"  # float32 0.1, not 0.100000001
    assert labels[str(id(div.creator))] == "DivConstant\\nc = 4"
    assert labels[str(id(power.creator))] == "Pow\\nc = 2"
    masked = Scale(np.ones((2, 3), np.float32))(x)  # an array constant (a dropout mask): its shape
    assert _labels(get_dot_graph(masked))[str(id(masked.creator))] == "Scale\\nc: (2, 3) float32"
    nodes, _ = _parse(get_dot_graph(y2))  # still one node statement per line
    assert nodes[str(id(y2.creator))] == ("Scale\\nc = 2.0", "lightblue", True)


def test_max_pooling_is_drawn_as_max_pooling_and_keeps_dezero_name():
    from minigrad import functions_conv
    x = Variable(np.random.rand(1, 1, 4, 4))
    y = F.pooling(x, 2, 2)
    assert _labels(get_dot_graph(y))[str(id(y.creator))] == "MaxPooling"
    assert F.Pooling is F.MaxPooling is functions_conv.Pooling is functions_conv.MaxPooling
    avg = F.average_pooling(x, 2, 2)
    assert _labels(get_dot_graph(avg))[str(id(avg.creator))] == "AveragePooling"


def _lenet_loss():
    from minigrad.models import LeNet
    np.random.seed(0)
    model = LeNet()
    x = Variable(np.random.rand(2, 1, 28, 28).astype(np.float32), name="x")
    loss = F.softmax_cross_entropy(model(x), np.array([3, 7]))
    loss.name = "loss"
    return model, x, loss


def test_model_labels_parameters_by_layer_path():
    model, x, loss = _lenet_loss()
    dot = get_dot_graph(loss, model=model)
    labels = _labels(dot)
    assert labels[str(id(model.conv1.W))] == "conv1/W: (6, 1, 5, 5) float32"
    assert labels[str(id(model.fc3.b))] == "fc3/b: (10,) float32"
    assert labels[str(id(x))] == "x: (2, 1, 28, 28) float32"
    for path, p in model.named_params():
        assert f'{id(p)} [label="{path}: {p.shape} float32", color=gold, style=filled]' in dot
    assert f'{id(x)} [label="x: (2, 1, 28, 28) float32", color=orange' in dot
    assert "subgraph" not in dot and "rankdir" not in dot  # both optional
    without = _labels(get_dot_graph(loss))  # no model: DeZero's bare names
    assert without[str(id(model.conv1.W))] == "W: (6, 1, 5, 5) float32"
    assert _labels(get_dot_graph(loss, verbose=False, model=model))[str(id(model.conv2.W))] == "conv2/W"


def _clusters_of(dot):
    """{cluster path: (label, set of node ids directly inside)}, and the nesting as {child: parent}."""
    clusters, parents, stack = {}, {}, []
    for line in dot.splitlines():
        m = re.match(r'^subgraph "cluster_(.*)" \{$', line)
        if m:
            parents[m.group(1)] = stack[-1] if stack else None
            stack.append(m.group(1))
            clusters[m.group(1)] = [None, set()]
        elif line == "}" and stack:
            stack.pop()
        elif stack and line.startswith("label="):
            clusters[stack[-1]][0] = re.match(r'label="(.*?)"', line).group(1)
        elif stack:
            clusters[stack[-1]][1].add(re.match(r"^(\d+) \[", line).group(1))
    return {k: tuple(v) for k, v in clusters.items()}, parents


def test_clusters_box_each_layer_with_its_functions_and_parameters():
    model, x, loss = _lenet_loss()
    dot = get_dot_graph(loss, model=model, cluster=True, rankdir="LR")
    assert dot.splitlines()[1] == "rankdir=LR"
    clusters, parents = _clusters_of(dot)
    assert list(clusters) == ["conv1", "pool1", "conv2", "pool2", "flatten", "fc1", "fc2", "fc3"]
    assert set(parents.values()) == {None}
    labels = _labels(dot)
    kinds = {name: sorted(labels[n].split(":")[0].split("\\n")[0] for n in nodes if not
                          labels[n].startswith("("))
             for name, (_, nodes) in clusters.items()}
    assert kinds["conv1"] == ["Conv2d", "conv1/W", "conv1/b"]
    assert kinds["pool1"] == kinds["pool2"] == ["MaxPooling"]
    assert kinds["flatten"] == ["Reshape"]
    assert kinds["fc3"] == ["Linear", "fc3/W", "fc3/b"]
    assert all(label == name for name, (label, _) in clusters.items())
    assert str(id(model.conv1.outputs[0]())) in clusters["conv1"][1]  # a layer's output is in its box
    inside = set().union(*(nodes for _, nodes in clusters.values()))
    top = [n for n in labels if n not in inside]
    assert sorted(labels[n] for n in top if not labels[n][0] in "(x") == \
        ["ReLU"] * 4 + ["SoftmaxCrossEntropy", "loss: () float32"]  # F.relu is no layer
    assert len(labels) == len(set(labels)) == dot.count("[label=")  # each node once


def test_clusters_nest_like_the_layers():
    import minigrad.layers as L
    from minigrad.models import Model, Sequential

    class Net(Model):
        def __init__(self):
            super().__init__()
            self.block = Sequential(L.Linear(3), L.Linear(2))
            self.head = L.Linear(1)

        def forward(self, x):
            return self.head(F.relu(self.block(x)))

    net = Net()
    y = net(np.ones((1, 4), np.float32))
    clusters, parents = _clusters_of(get_dot_graph(y, model=net, cluster=True))
    assert parents == {"block": None, "block/layers/0": "block", "block/layers/1": "block", "head": None}
    assert clusters["block/layers/1"][0] == "layers/1"  # labelled relative to the enclosing box
    assert clusters["block"][1] == set()  # its Functions belong to the inner layers
    head = {_labels(get_dot_graph(y, model=net))[n] for n in clusters["head"][1]}
    assert {"head/W: (2, 1) float32", "head/b: (1,) float32", "Linear"} <= head


def test_cluster_and_rankdir_arguments_are_checked():
    model, _, loss = _lenet_loss()
    with pytest.raises(ValueError, match="rankdir"):
        get_dot_graph(loss, rankdir="sideways")
    with pytest.raises(ValueError, match="cluster=True needs model"):
        get_dot_graph(loss, cluster=True)
    with pytest.raises(TypeError, match="model must be a Layer"):
        get_dot_graph(loss, model="LeNet")


# =============================================================================
# Display: DotGraph, plot_dot_graph in a kernel
# =============================================================================
def test_dot_graph_wraps_the_source():
    from minigrad.graph import DotGraph, dot_graph
    model, _, loss = _lenet_loss()
    g = dot_graph(loss, model=model, cluster=True, rankdir="LR")
    assert isinstance(g, DotGraph)
    assert str(g) == g.source == get_dot_graph(loss, model=model, cluster=True, rankdir="LR")
    assert repr(g) == f"<DotGraph of {g.source.count('[label=')} nodes; str() gives the DOT source>"


@needs_dot
def test_lenet_loss_graph_renders_to_svg_with_labels_and_clusters():
    pytest.importorskip("graphviz")
    from minigrad.graph import dot_graph
    model, _, loss = _lenet_loss()
    bundle = dot_graph(loss, model=model, cluster=True)._repr_mimebundle_()
    svg = bundle["image/svg+xml"]
    assert svg.lstrip().startswith("<?xml") and "<svg" in svg
    titles = re.findall(r'<g id="clust\d+" class="cluster">\s*<title>cluster_(\w+)</title>', svg)
    assert titles == ["conv1", "pool1", "conv2", "pool2", "flatten", "fc1", "fc2", "fc3"]
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    for label in ("conv1/W: (6, 1, 5, 5) float32", "fc3/b: (10,) float32", "MaxPooling", "Conv2d",
                  "SoftmaxCrossEntropy", "conv1", "fc3"):
        assert label in texts
    assert texts.count("MaxPooling") == 2 and texts.count("Linear") == 3


def test_dot_graph_without_dot_displays_its_source(monkeypatch):
    pytest.importorskip("graphviz")
    from minigrad.graph import dot_graph
    monkeypatch.setenv("PATH", "")
    g = dot_graph(Variable(np.ones(2), name="v") * 2.0)
    bundle = g._repr_mimebundle_()
    assert list(bundle) == ["text/plain"]
    assert "install Graphviz" in bundle["text/plain"] and g.source in bundle["text/plain"]
    with pytest.raises(RuntimeError, match="apt-get install graphviz"):
        g.pipe("png")


@needs_dot
@pytest.mark.parametrize("ext, kind", [("png", "Image"), ("svg", "SVG")])
def test_plot_dot_graph_returns_an_image_inside_a_kernel(tmp_path, monkeypatch, ext, kind):
    pytest.importorskip("graphviz")
    display = pytest.importorskip("IPython.display")
    from minigrad import jupyter
    y = Variable(np.ones(2), name="v") * 2.0
    target = str(tmp_path / f"g.{ext}")
    monkeypatch.setattr(jupyter, "in_kernel", lambda: True)
    shown = plot_dot_graph(y, to_file=target)
    assert type(shown) is getattr(display, kind)
    if ext == "png":
        assert shown.data == (tmp_path / "g.png").read_bytes()
    else:  # IPython keeps the <svg> element, without the XML prolog
        assert shown.data.startswith("<svg") and "Scale" in shown.data
    assert plot_dot_graph(y, to_file=str(tmp_path / "g.pdf")) == str(tmp_path / "g.pdf")  # not an image
    monkeypatch.setattr(jupyter, "in_kernel", lambda: False)
    assert plot_dot_graph(y, to_file=target) == target  # a script still gets the path


def test_in_kernel_needs_an_ipython_kernel(monkeypatch):
    import sys
    import types
    from minigrad import jupyter
    fake = types.ModuleType("IPython")
    monkeypatch.setitem(sys.modules, "IPython", fake)
    fake.get_ipython = lambda: None  # IPython imported, no shell: a script
    assert jupyter.in_kernel() is False
    fake.get_ipython = lambda: types.SimpleNamespace()  # terminal IPython: no kernel
    assert jupyter.in_kernel() is False
    fake.get_ipython = lambda: types.SimpleNamespace(kernel=object())
    assert jupyter.in_kernel() is True
    monkeypatch.delitem(sys.modules, "IPython")
    assert jupyter.in_kernel() is False
