"""Layers: registration, parameter order, save/load validation, recurrent cells."""
import os

import numpy as np
import pytest

import minigrad.functions as F
import minigrad.layers as L
from minigrad.core import Parameter, Variable
from minigrad.models import MLP, Model, Sequential
from minigrad.utils import gradient_check


class TwoBlocks(Model):
    def __init__(self):
        super().__init__()
        self.first = L.Linear(3, in_size=2)
        self.blocks = [L.Linear(4, in_size=3), L.Linear(2, in_size=4)]
        self.scale = Parameter(np.ones(1, np.float32), name="scale")

    def forward(self, x):
        x = self.first(x)
        for block in self.blocks:
            x = F.tanh(block(x))
        return x * self.scale


def test_parameters_in_definition_order_including_lists():
    model = TwoBlocks()
    shapes = [p.shape for p in model.params()]
    assert shapes == [(2, 3), (3,), (3, 4), (4,), (4, 2), (2,), (1,)]


def test_reassigning_a_plain_value_unregisters():
    layer = L.Linear(3, in_size=2)
    layer.b = None
    assert [p.shape for p in layer.params()] == [(2, 3)]


def test_cleargrads_and_lazy_in_size():
    layer = L.Linear(5)
    assert layer.W.data is None
    y = layer(np.ones((4, 3), np.float32))
    assert y.shape == (4, 5) and layer.W.shape == (3, 5) and y.dtype == np.float32
    F.sum(y).backward()
    assert layer.W.grad is not None
    layer.cleargrads()
    assert all(p.grad is None for p in layer.params())


def test_save_load_roundtrip(tmp_path):
    np.random.seed(0)
    model = TwoBlocks()
    x = np.random.randn(5, 2).astype(np.float32)
    y = model(x).data
    path = tmp_path / "weights.npz"
    model.save_weights(path)
    other = TwoBlocks()
    assert not np.allclose(other(x).data, y)
    other.load_weights(path)
    np.testing.assert_array_equal(other(x).data, y)
    assert os.listdir(tmp_path) == ["weights.npz"]  # no temporary file left


def test_save_appends_npz_like_numpy(tmp_path):
    model = MLP((3, 2))
    model(np.ones((1, 4), np.float32))
    model.save_weights(tmp_path / "m")
    assert (tmp_path / "m.npz").exists()
    model.load_weights(tmp_path / "m")


def _snapshot(model):
    return [p.data.copy() for p in model.params()]


def test_load_refuses_mismatch_and_leaves_model_untouched(tmp_path):
    small, big = MLP((3, 2)), MLP((4, 2))
    x = np.ones((1, 5), np.float32)
    small(x), big(x)
    small.save_weights(tmp_path / "small.npz")
    before = _snapshot(big)
    with pytest.raises(ValueError, match=r"wrong shapes l0/W: file \(5, 3\), model \(5, 4\)"):
        big.load_weights(tmp_path / "small.npz")
    assert all(np.array_equal(a, p.data) for a, p in zip(before, big.params()))

    three = MLP((3, 3, 2))
    three(x)
    with pytest.raises(ValueError, match="missing keys l2/W, l2/b"):
        three.load_weights(tmp_path / "small.npz")
    one = MLP((2,))
    one(x)
    with pytest.raises(ValueError, match="unexpected keys l1/W, l1/b"):
        one.load_weights(tmp_path / "small.npz")


def test_load_rejects_non_npz(tmp_path):
    bad = tmp_path / "bad.npz"
    bad.write_bytes(b"this is not a zip file")
    model = MLP((2,))
    model(np.ones((1, 2), np.float32))
    before = _snapshot(model)
    with pytest.raises(ValueError, match="not a readable .npz"):
        model.load_weights(bad)
    assert all(np.array_equal(a, p.data) for a, p in zip(before, model.params()))
    with pytest.raises(FileNotFoundError):
        model.load_weights(tmp_path / "nothing.npz")


def test_batchnorm_layer_train_and_test():
    np.random.seed(0)
    bn = L.BatchNorm()
    x = (np.random.randn(50, 3) * 2 + 5).astype(np.float32)
    y = bn(x)
    np.testing.assert_allclose(y.data.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(y.data.std(axis=0), 1, atol=1e-3)
    np.testing.assert_allclose(bn.avg_mean.data, 0.1 * x.mean(axis=0), rtol=1e-5)
    from minigrad.core import test_mode
    with test_mode():
        z = bn(x)
    expected = (x - bn.avg_mean.data) / np.sqrt(bn.avg_var.data + 2e-5)
    np.testing.assert_allclose(z.data, expected, rtol=1e-5)
    assert [p.name for p in bn.params()] == ["avg_mean", "avg_var", "gamma", "beta"]


def test_embed_id_rows_and_gradient():
    emb = L.EmbedID(5, 3)
    ids = np.array([[0, 2], [2, 4]])
    y = emb(ids)
    np.testing.assert_array_equal(y.data, emb.W.data[ids])
    F.sum(y).backward()
    np.testing.assert_array_equal(emb.W.grad.data[:, 0], [1, 0, 2, 0, 1])


@pytest.mark.parametrize("cell", [L.RNN, L.LSTM])
def test_recurrent_cells_keep_state_and_check_gradients(cell):
    np.random.seed(1)
    layer = cell(4, in_size=3)
    xs = np.random.randn(3, 2, 3)
    for p in layer.params():
        p.data = p.data.astype(np.float64)

    def unroll(x):
        layer.reset_state()
        h = None
        for t in range(x.shape[0]):
            h = layer(x[t])
        return h

    h = unroll(Variable(xs))
    assert h.shape == (2, 4)
    assert gradient_check(unroll, xs)
    layer.reset_state()
    assert layer.h is None


def test_sequential_applies_in_order():
    model = Sequential(L.Linear(3, in_size=2), F.relu, L.Linear(1, in_size=3))
    x = np.array([[1.0, -2.0]], np.float32)
    a, b = model.layers[0], model.layers[2]
    expected = np.maximum(x @ a.W.data + a.b.data, 0) @ b.W.data + b.b.data
    np.testing.assert_allclose(model(x).data, expected, rtol=1e-6)
    assert len(list(model.params())) == 4


def test_list_filled_after_assignment_is_registered():
    class Appending(Model):
        def __init__(self):
            super().__init__()
            self.layers = []
            for size in (3, 2):
                self.layers.append(L.Linear(size, in_size=2))

    assert [p.shape for p in Appending().params()] == [(2, 3), (3,), (2, 2), (2,)]


def test_layer_reachable_twice_is_counted_and_updated_once(tmp_path):
    from minigrad import optimizers

    class Twice(Model):
        def __init__(self):
            super().__init__()
            self.l0 = L.Linear(1, in_size=1)
            self.layers = [self.l0]

        def forward(self, x):
            return self.l0(x)

    model = Twice()
    assert len(list(model.params())) == 2
    before = model.l0.W.data.copy()
    model.cleargrads()
    F.sum(model(np.ones((1, 1), np.float32))).backward()  # dW = 1
    optimizers.SGD(lr=1.0).setup(model).update()
    np.testing.assert_allclose(model.l0.W.data, before - 1.0)
    model.save_weights(tmp_path / "w.npz")
    with np.load(tmp_path / "w.npz") as npz:
        assert sorted(npz.files) == ["l0/W", "l0/b"]


# =============================================================================
# What a layer takes
# =============================================================================
@pytest.mark.parametrize("layer, bad", [
    (lambda: L.Linear(3), [1.0, 2.0]),
    (lambda: L.Linear(3), 1.5),
    (lambda: L.Conv2d(2, 3), [[[[1.0]]]]),
    (lambda: L.BatchNorm(), (1.0, 2.0)),
    (lambda: L.MaxPool2D(2), None),
    (lambda: MLP((3, 2)), "x"),
], ids=["Linear_list", "Linear_float", "Conv2d_list", "BatchNorm_tuple", "MaxPool2D_none", "MLP_str"])
def test_layers_refuse_non_arrays_naming_the_layer(layer, bad):
    # "'list' object has no attribute 'shape'" before
    layer = layer()
    with pytest.raises(TypeError, match=rf"^{type(layer).__name__}: takes Variables or arrays .*got "
                                        rf"{type(bad).__name__} as input 0$"):
        layer(bad)


def test_linear_on_a_0d_array_names_the_problem():
    # "tuple index out of range" before
    with pytest.raises(ValueError, match="Linear: x must have at least one axis"):
        L.Linear(3)(np.array(2.0, dtype=np.float32))


def test_embed_id_layer_takes_ints_and_lists_and_refuses_bad_ids():
    # EmbedID(...)(3) raised "cannot create weak reference to 'int' object"; id -1 gave the last row
    emb = L.EmbedID(4, 3)
    W = emb.W.data
    np.testing.assert_array_equal(emb(3).data, W[3])
    np.testing.assert_array_equal(emb(np.int64(1)).data, W[1])
    np.testing.assert_array_equal(emb([0, 2]).data, W[[0, 2]])
    with pytest.raises(IndexError, match="embed_id: id -1"):
        emb(-1)
    with pytest.raises(IndexError, match="embed_id: id 4"):
        emb(np.array([1, 4]))
    with pytest.raises(TypeError, match="embed_id: x must hold integer ids"):
        emb(np.array([1.0]))
