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
