"""The notebooks in notebooks/ run in a real Jupyter kernel (nbclient + ipykernel), and what they
display has the right kind: an image for a drawn graph, an HTML table for a Model, summary() printed
once.  Cells are found by their tags (cell metadata), so the notebooks can change around them.
Skipped when nbclient, nbformat or ipykernel is missing (pip install -e ".[notebook]" nbclient)."""
import json
import os
import pathlib
import re
import shutil

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
IMAGE = ("image/svg+xml", "image/png")


def test_there_are_notebooks_and_they_are_stored_without_outputs():
    assert len(NOTEBOOKS) >= 3
    for path in NOTEBOOKS:
        nb = json.loads(path.read_text(encoding="utf-8"))
        for cell in nb["cells"]:
            if cell["cell_type"] == "code":
                assert cell["outputs"] == [] and cell["execution_count"] is None, path.name


def _execute(nb, tmp_path, monkeypatch):
    """Run notebook `nb` (a path or a notebook) in a fresh python3 kernel with cwd `tmp_path`."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    # The kernel is a child process: it finds this checkout's minigrad through PYTHONPATH, and draws
    # matplotlib figures inline only if no backend (Agg, say) is forced on it from outside.
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    monkeypatch.delenv("MPLBACKEND", raising=False)
    if isinstance(nb, pathlib.Path):
        nb = nbformat.read(str(nb), as_version=4)
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    return nb


def _tagged(nb, tag):
    cells = [c for c in nb.cells if tag in c.metadata.get("tags", [])]
    assert cells, f"no cell tagged {tag!r}"
    return cells


def _rich(cell):
    """The display_data and execute_result outputs of a cell."""
    return [o for o in cell.outputs if o.output_type in ("display_data", "execute_result")]


def _stdout(cell):
    return "".join(o.text for o in cell.outputs if o.output_type == "stream" and o.name == "stdout")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_and_displays_rich_outputs(path, tmp_path, monkeypatch):
    if shutil.which("dot") is None:
        pytest.skip("the notebooks draw graphs with Graphviz's dot, which is not installed")
    pytest.importorskip("matplotlib")
    nb = _execute(path, tmp_path, monkeypatch)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not [o for o in cell.outputs if o.output_type == "error"]
    for cell in [c for tag in ("graph", "plot") for c in nb.cells if tag in c.metadata.get("tags", [])]:
        outputs = _rich(cell)
        assert len(outputs) == 1 and any(m in outputs[0].data for m in IMAGE), cell.source
    for cell in [c for c in nb.cells if "model" in c.metadata.get("tags", [])]:
        (out,) = _rich(cell)
        assert out.output_type == "execute_result" and out.data["text/html"].startswith("<table>")
        assert "Total params" in out.data["text/html"]

    if path.stem == "01_tour":
        (graph, plotted) = _tagged(nb, "graph")
        assert "image/svg+xml" in _rich(graph)[0].data  # dot_graph: SVG
        svg = _rich(graph)[0].data["image/svg+xml"]
        assert ">Pow<" in svg and ">c = 4.0<" in svg and ">x: () float64<" in svg
        assert "image/png" in _rich(plotted)[0].data  # plot_dot_graph(to_file='....png'): the image
        assert (tmp_path / "tanh_d3.png").exists()
        (variable,) = _rich(_tagged(nb, "variable")[0])
        assert "<code>x</code> &middot; shape () · float64 · grad held<" in variable.data["text/html"]
        assert variable.data["text/plain"] == "variable(2.0)"
        (gradient,) = _rich(_tagged(nb, "gradient")[0])
        assert "no grad · made by Add" in gradient.data["text/html"]  # create_graph: it has a graph
        assert gradient.data["text/plain"] == "variable(24.0)"

    if path.stem == "02_lenet_mnist":
        (summary,) = _tagged(nb, "summary")
        assert _rich(summary) == []  # summary() returns None: nothing echoed after the print
        text = _stdout(summary)
        assert text.count("Total params: 44,426") == 1 and text.count("conv1") == 1
        assert text.startswith("LeNet: input (1, 1, 28, 28) -> output (1, 10)")
        (train,) = _tagged(nb, "progress")
        bars = _rich(train)
        assert len(bars) == 3  # one output per epoch, updated in place (not one line per step)
        for bar in bars:
            assert ("application/vnd.jupyter.widget-view+json" in bar.data
                    or '<progress value="40" max="40"' in bar.data["text/html"])
        assert re.fullmatch(r"3 epochs in [\d.]+s\n", _stdout(train))
        (graph,) = _tagged(nb, "graph")
        svg = _rich(graph)[0].data["image/svg+xml"]
        assert "<title>cluster_conv1</title>" in svg and ">conv1/W: (6, 1, 5, 5) float32<" in svg

    if path.stem == "03_sprint_questions":
        (table,) = _rich(_tagged(nb, "summary-table")[0])
        html = table.data["text/html"]
        assert "<td" in html and "(1, 20, 9, 9)" in html and "1,820" in html
        assert "Total params" in table.data["text/plain"]


def test_own_progress_bar_is_one_output_updated_in_place_in_a_real_kernel(tmp_path, monkeypatch):
    nbformat = pytest.importorskip("nbformat")
    source = ("import minigrad.apps.progress as P\n"
              "P._tqdm_widgets = lambda: False  # as without tqdm or ipywidgets\n"
              "bar = P.progress(range(50), desc='loop', mininterval=0)\n"
              "for i in bar:\n"
              "    bar.set_postfix(i=i)\n")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    (cell,) = _execute(nb, tmp_path, monkeypatch).cells
    (out,) = cell.outputs  # 50 steps, one output: each update replaced it
    assert out.output_type == "display_data"
    assert out.data["text/plain"].startswith("loop: [" + "#" * 20 + "] 50/50 100% ")
    assert out.data["text/plain"].endswith(" i=49")
    assert '<progress value="50" max="50"' in out.data["text/html"]
