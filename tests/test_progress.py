"""The progress bar: one summary line in logs, '\\r' redraws on a terminal, one output updated in
place in a notebook (tqdm's widget when tqdm and ipywidgets are installed)."""
import importlib.util
import io
import sys

import pytest

from minigrad import jupyter
from minigrad.apps import progress as P


class _Handle:
    """Stands in for IPython's DisplayHandle: records the bundles shown and updated."""

    def __init__(self, shown, bundle):
        self.shown = shown
        shown.append(("display", bundle))

    def update(self, bundle, raw=False):
        assert raw
        self.shown.append(("update", bundle))


@pytest.fixture
def notebook(monkeypatch):
    """A fake Jupyter kernel: returns the list of display calls the bar makes."""
    shown = []
    monkeypatch.setattr(jupyter, "in_kernel", lambda: True)
    monkeypatch.setattr(P, "_display", lambda bundle: _Handle(shown, bundle))
    return shown


def test_in_a_log_the_bar_prints_one_line_when_it_closes():
    out = io.StringIO()
    bar = P.progress(range(40), desc="epoch 1/2", file=out)
    assert isinstance(bar, P.Progress) and not bar.notebook
    for _ in bar:
        bar.set_postfix(loss=0.25)
    lines = out.getvalue().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("epoch 1/2: 40/40 100% ") and lines[0].endswith("loss=0.2500")


def test_on_a_terminal_the_bar_redraws_one_line():
    out = io.StringIO()
    for _ in P.Progress(range(3), desc="d", file=out, dynamic=True, mininterval=0):
        pass
    text = out.getvalue()
    assert text.count("\r") == 4 and text.count("\n") == 1  # three steps and the final line
    assert "[" + "#" * 20 + "] 3/3 100%" in text.split("\r")[-1]


def test_in_a_notebook_the_bar_is_one_output_updated_in_place(notebook, monkeypatch):
    monkeypatch.setattr(P, "_tqdm_widgets", lambda: False)
    bar = P.progress(range(40), desc="epoch 1/2", mininterval=0)  # without tqdm: our own bar
    assert isinstance(bar, P.Progress) and bar.notebook
    for i in bar:
        bar.set_postfix(loss=1.0 / (i + 1))
    kinds = [k for k, _ in notebook]
    assert kinds[0] == "display" and set(kinds[1:]) == {"update"}  # one output, updated in place
    final = notebook[-1][1]
    assert final["text/plain"].startswith("epoch 1/2: [" + "#" * 20 + "] 40/40 100% ")
    assert final["text/plain"].endswith("loss=0.0250")
    assert '<progress value="40" max="40"' in final["text/html"]
    assert "epoch 1/2: 40/40 100%" in final["text/html"] and "#" not in final["text/html"]


def test_in_a_notebook_messages_and_explicit_files_stay_text(notebook, monkeypatch):
    out = io.StringIO()
    bar = P.Progress(range(2), file=out)  # a file of one's own: the text behaviour
    list(bar)
    assert notebook == [] and out.getvalue().startswith("2/2 100%")
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    bar = P.Progress(total=3, file=sys.stdout, mininterval=0)
    bar.write("hello")
    bar.update(3)
    bar.close()
    assert sys.stdout.getvalue() == "hello\n"
    assert [k for k, _ in notebook] == ["display", "update", "update"]  # write, update, close
    assert P.Progress(range(2), dynamic=False).notebook is False


def test_in_a_notebook_with_tqdm_and_ipywidgets_progress_is_tqdm(notebook):
    if not (importlib.util.find_spec("tqdm") and importlib.util.find_spec("ipywidgets")):
        pytest.skip("tqdm and ipywidgets are not both installed")
    from tqdm.auto import tqdm
    bar = P.progress(range(3), desc="e", disable=False)
    try:
        assert isinstance(bar, tqdm) and bar.total == 3 and bar.desc == "e"
    finally:
        bar.close()
    assert isinstance(P.progress(range(3), disable=True), P.Progress)  # nothing to show: no tqdm
