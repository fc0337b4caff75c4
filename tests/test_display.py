"""Rich display in a notebook: Variables, Models and summaries as HTML (what Jupyter shows)."""
import html
import re

import numpy as np

import minigrad.functions as F
import minigrad.layers as L
from minigrad import Parameter, Variable
from minigrad.models import LeNet, Model, Sequential
from minigrad.summary import Summary, summarize


def _cells(table_html):
    """The table's rows as lists of cell texts (header, body, footer)."""
    rows = re.findall(r"<tr>(.*?)</tr>", table_html)
    return [[html.unescape(c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r)] for r in rows]


def test_variable_html_shows_name_shape_dtype_grad_and_data():
    x = Variable(np.arange(6, dtype=np.float32).reshape(2, 3), name="x<1>")
    shown = x._repr_html_()
    assert "<code>x&lt;1&gt;</code>" in shown  # the name, escaped
    assert "shape (2, 3) · float32 · no grad" in shown
    assert "made by" not in shown
    assert f"<pre>{html.escape(repr(x))}</pre>" in shown and "[3. 4. 5.]" in shown
    y = (x * 2.0).sum()
    y.backward()
    assert "shape (2, 3) · float32 · grad held" in x._repr_html_()
    assert "shape () · float32 · grad held · made by Sum" in y._repr_html_()
    assert "<b>Parameter</b> &middot; data None · no grad" in Parameter(None)._repr_html_()
    assert repr(x).startswith("variable([[0. 1. 2.]")  # the text repr stays DeZero's


def test_model_displays_its_layer_table_without_running():
    np.random.seed(0)
    model = LeNet()
    state = np.random.get_state()[1].copy()
    cells = _cells(model._repr_html_())
    assert model.conv1.W.data is None and model.fc1.W.data is None  # nothing ran, nothing initialised
    assert np.array_equal(np.random.get_state()[1], state)
    assert cells[0] == ["Layer", "Type", "Weights", "Params"]
    assert cells[1] == ["conv1", "Conv2d", "W ?, b (6,)", "6"]
    assert cells[3] == ["conv2", "Conv2d", "W (16, 6, 5, 5), b (16,)", "2,416"]
    assert [c[0] for c in cells[1:9]] == ["conv1", "pool1", "conv2", "pool2", "flatten", "fc1", "fc2", "fc3"]
    assert cells[9] == ["Total params", f"{model.count_params():,}"]
    model(np.zeros((1, 1, 28, 28), np.float32))
    assert _cells(model._repr_html_())[1] == ["conv1", "Conv2d", "W (6, 1, 5, 5), b (6,)", "156"]
    assert _cells(model._repr_html_())[9] == ["Total params", "44,426"]


def test_summary_object_prints_as_text_and_displays_as_html():
    model = LeNet()
    s = summarize(model, (1, 28, 28))
    assert isinstance(s, Summary) and repr(s) == str(s) == "\n".join(s.lines())
    assert s.lines()[0] == "LeNet: input (1, 1, 28, 28) -> output (1, 10)"
    cells = _cells(s._repr_html_())
    assert cells[0] == ["Layer", "Type", "Output shape", "Params"]
    assert cells[1] == ["conv1", "Conv2d", "(1, 6, 24, 24)", "156"]
    assert cells[-3:] == [["Total params", "44,426"], ["Trainable params", "44,426"],
                          ["Non-trainable params", "0"]]
    caption = re.search(r"<caption[^>]*>(.*)</caption>", s._repr_html_()).group(1)
    assert caption == "LeNet: input (1, 1, 28, 28) -&gt; output (1, 10)"


def test_summary_prints_once_and_returns_nothing():
    model = Sequential(L.Linear(3, in_size=2), L.BatchNorm())
    lines = []
    assert model.summary((2,), print_fn=lines.append) is None
    assert lines == summarize(model, (2,)).lines()
    # Linear 2x3 + 3, BatchNorm gamma, beta (trained) and running mean, var (not), 3 each
    assert lines[-3:] == ["Total params: 21", "Trainable params: 15", "Non-trainable params: 6"]
    lines.clear()
    assert model.summary(print_fn=lines.append) is None  # no input shape: the structure
    assert lines[0].startswith("Sequential (output shapes need an input shape")
    assert any(line.split()[:3] == ["layers.0", "Linear", "W"] for line in lines)


def test_structural_summary_lists_each_layer_once_in_definition_order():
    class Net(Model):
        def __init__(self):
            super().__init__()
            self.shared = L.Linear(2, in_size=2)
            self.blocks = [self.shared, L.Linear(1, in_size=2)]

        def forward(self, x):
            return self.blocks[1](F.relu(self.shared(self.shared(x))))

    net = Net()
    rows = summarize(net).rows
    assert rows == [("shared", "Linear", None, 6), ("blocks.1", "Linear", None, 3)]
    ran = summarize(net, (2,)).rows  # the dry run lists calls: the shared layer twice
    assert [r[0] for r in ran] == ["shared", "shared", "blocks.1"]
