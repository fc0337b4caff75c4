"""Models: summary table and parameter counts, LeNet's shapes, VGG16's architecture, plotting."""
import os
import shutil

import numpy as np
import pytest

import minigrad.functions as F
import minigrad.layers as L
from minigrad.models import LeNet, MLP, Sequential, VGG16
from minigrad.summary import summarize


@pytest.mark.parametrize("in_shape, filters, stride, out_hw, params", [
    ((3, 144, 144), 6, 1, (142, 142), 168),
    ((24, 60, 60), 48, 1, (58, 58), 10_416),
    ((10, 20, 20), 20, 2, (9, 9), 1_820),
])
def test_summary_of_a_single_conv(in_shape, filters, stride, out_hw, params):
    model = Sequential(L.Conv2d(filters, kernel_size=3, stride=stride))
    lines = []
    assert model.summary(in_shape, print_fn=lines.append) is None  # a notebook cell echoes nothing
    rows = summarize(model, in_shape).rows
    assert rows == [("layers.0", "Conv2d", (1, filters) + out_hw, params)]
    assert lines == summarize(model, in_shape).lines()
    assert model.count_params() == filters  # the summary leaves W lazy: only b is counted
    text = "\n".join(lines)
    assert f"Total params: {params:,}" in text
    assert f"(1, {filters}, {out_hw[0]}, {out_hw[1]})" in text


def test_summary_counts_a_shared_batchnorm_once_and_resets_states():
    from minigrad.models import Model

    class Net(Model):
        def __init__(self):
            super().__init__()
            self.bn = L.BatchNorm()
            self.rnn = L.RNN(3, in_size=4)

        def forward(self, x):
            return self.rnn(self.bn(self.bn(x)))

    net = Net()
    lines = []
    net.summary((4,), print_fn=lines.append)
    assert "Non-trainable params: 8" in lines  # avg_mean and avg_var of 4 channels, once
    assert net.rnn.h is None


def test_lenet_summary_shapes_and_total():
    model = LeNet()
    rows = summarize(model, (1, 28, 28)).rows
    assert [(r[0], r[2]) for r in rows] == [
        ("conv1", (1, 6, 24, 24)), ("pool1", (1, 6, 12, 12)),
        ("conv2", (1, 16, 8, 8)), ("pool2", (1, 16, 4, 4)),
        ("flatten", (1, 256)), ("fc1", (1, 120)), ("fc2", (1, 84)), ("fc3", (1, 10)),
    ]
    expected = (6 * 25 + 6) + (16 * 6 * 25 + 16) + (256 * 120 + 120) + (120 * 84 + 84) + (84 * 10 + 10)
    assert sum(r[3] for r in rows) == expected
    assert model.count_params() == expected - 6 * 25 - 256 * 120  # conv1 and fc1 stay lazy


def test_lenet_trains_a_step():
    np.random.seed(0)
    model = LeNet()
    x = np.random.rand(8, 1, 28, 28).astype(np.float32)
    t = np.arange(8) % 10
    y = model(x)
    assert y.shape == (8, 10) and y.dtype == np.float32
    loss = F.softmax_cross_entropy(y, t)
    loss.backward()
    assert all(p.grad is not None and p.grad.shape == p.shape for p in model.params())


def test_vgg16_architecture_without_downloads(tmp_path):
    model = VGG16(num_classes=10)
    convs = model.convs
    assert len(convs) == 13
    assert [c.W.shape[0] for c in convs] == [64] * 2 + [128] * 2 + [256] * 3 + [512] * 6
    assert model.fc6.W.data is None and model.fc7.W.shape == (4096, 4096)
    assert model.fc8.W.shape == (4096, 10)


def test_vgg16_pretrained_fetches_the_books_weights(offline, monkeypatch):
    """pretrained=True asks for the book's vgg16.npz; a file that is not VGG16's weights is refused."""
    from minigrad import files
    calls = []

    def fetch(url, path):
        calls.append(url)
        small = MLP((2,))
        small(np.ones((1, 2), np.float32))
        small.save_weights(path + ".npz")
        os.replace(path + ".npz", path)
    with pytest.raises(FileNotFoundError, match=r"vgg16.npz not found.*~/.dezero.*pretrained='path/to/vgg16.npz'"):
        VGG16(pretrained=True)
    monkeypatch.setattr(files, "fetch", fetch)
    with pytest.raises(ValueError, match="delete it to download it again.*does not match"):
        VGG16(pretrained=True)
    assert calls == ["https://github.com/koki0702/dezero-models/releases/download/v0.1/vgg16.npz"]
    assert (offline / ".minigrad" / "vgg16.npz").is_file()


def test_pretrained_weights_found_in_dezero_cache(offline):
    """A weight file in ~/.dezero (DeZero's download) is found; every parameter must come from it."""
    from minigrad.models import load_pretrained, pretrained_weights
    saved = MLP((3, 2))
    saved(np.ones((1, 4), np.float32))
    os.makedirs(offline / ".dezero")
    saved.save_weights(offline / ".dezero" / "mlp.npz")
    model = MLP((3, 2))
    load_pretrained(model, pretrained_weights("https://example.org/models/mlp.npz"))
    np.testing.assert_array_equal(model.l0.W.data, saved.l0.W.data)
    np.testing.assert_array_equal(model(np.ones((1, 4), np.float32)).data, saved(np.ones((1, 4), np.float32)).data)
    saved = Sequential(L.Linear(3))
    saved(np.ones((1, 4), np.float32))
    saved.save_weights(offline / "one.npz")
    with pytest.raises(ValueError, match="lack layers/1/W"):
        load_pretrained(Sequential(L.Linear(3), L.Linear(2, nobias=True)), str(offline / "one.npz"))


def test_pretrained_weights_damaged_in_transit_are_refused(tmp_path):
    """No checksum is published for the book's weight files; the zip format's CRC-32 still catches
    a damaged file."""
    from minigrad.models import load_pretrained
    saved = MLP((30, 2))
    saved(np.ones((1, 20), np.float32))
    saved.save_weights(tmp_path / "w.npz")
    raw = bytearray((tmp_path / "w.npz").read_bytes())
    raw[len(raw) // 3] ^= 0x55
    (tmp_path / "w.npz").write_bytes(bytes(raw))
    with pytest.raises(ValueError, match="delete it to download it again.*Bad CRC-32"):
        load_pretrained(MLP((30, 2)), str(tmp_path / "w.npz"), downloaded=True)


def test_vgg16_loads_local_weights(tmp_path):
    small = MLP((2,))
    small(np.ones((1, 2), np.float32))
    small.save_weights(tmp_path / "w.npz")
    with pytest.raises(ValueError, match="does not match"):
        VGG16(pretrained=str(tmp_path / "w.npz"))


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_model_plot_writes_png(tmp_path):
    model = MLP((3, 2))
    path = model.plot(np.ones((1, 2), np.float32), to_file=str(tmp_path / "mlp.png"))
    with open(path, "rb") as fh:
        assert fh.read(8) == b"\x89PNG\r\n\x1a\n"


def test_summary_leaves_lazy_weights_lazy_so_a_wrong_shape_cannot_stick():
    model = LeNet()
    model.summary((3, 32, 32), print_fn=lambda *_: None)  # the wrong input shape
    assert model.conv1.W.data is None and model.conv1.in_channels is None
    assert model.fc1.W.data is None and model.fc1.in_size is None
    y = model(np.zeros((2, 1, 28, 28), np.float32))  # the real data trains as if no summary had run
    assert y.shape == (2, 10) and model.conv1.W.shape == (6, 1, 5, 5) and model.fc1.W.shape == (256, 120)


def test_summary_restores_the_model_also_when_the_dry_run_fails():
    model = Sequential(L.Linear(5), L.Linear(3, in_size=4))
    with pytest.raises(ValueError):
        model.summary((7,), print_fn=lambda *_: None)  # 5 outputs into a layer expecting 4
    assert model.layers[0].W.data is None and model.layers[0].in_size is None


def test_summary_keeps_initialised_weights():
    model = Sequential(L.Linear(3, in_size=2))
    W = model.layers[0].W.data.copy()
    model.summary(2, print_fn=lambda *_: None)
    np.testing.assert_array_equal(model.layers[0].W.data, W)


@pytest.mark.parametrize("shape, error, message", [
    (2.5, TypeError, r"summary: input_shape must be an int or a tuple of ints .*got 2.5"),
    ("28", TypeError, r"summary: input_shape must be an int or a tuple of ints .*got '28'"),
    ((0, 28), ValueError, r"summary: input_shape \(0, 28\): each size must be a positive int, got 0"),
    ((1.0, 28), TypeError, r"summary: input_shape \(1.0, 28\): each size must be a positive int"),
])
def test_summary_refuses_a_bad_input_shape(shape, error, message):
    with pytest.raises(error, match=message):
        LeNet().summary(shape, print_fn=lambda *_: None)
