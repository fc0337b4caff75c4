"""Layers: registration, parameter order, save/load validation, recurrent cells."""
import io
import os
import re
import zipfile

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


def test_named_params_are_layer_paths_each_parameter_once():
    model = TwoBlocks()
    model.alias = model.blocks[1].W  # reachable twice: counted under its first path
    named = list(model.named_params())
    assert [key for key, _ in named] == ["first/W", "first/b", "blocks/0/W", "blocks/0/b", "blocks/1/W",
                                         "blocks/1/b", "scale"]
    assert named[4][1] is model.blocks[1].W and named[6][1] is model.scale
    assert [p for _, p in named] == list(model.params())


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


# ----------------------------------------------------------------------------- load_weights checks

def _saved(tmp_path, name, **arrays):
    path = tmp_path / name
    np.savez(path, **arrays)
    return path


def test_lazy_conv_refuses_another_kernel_size_and_takes_its_channels_from_the_file(tmp_path):
    path = _saved(tmp_path, "c5.npz", W=np.ones((4, 2, 5, 5), np.float32), b=np.zeros(4, np.float32))
    conv = L.Conv2d(4, 3)
    with pytest.raises(ValueError, match=r"c5.npz .*wrong shapes W: file \(4, 2, 5, 5\), model \(4, \*, 3, 3\)"):
        conv.load_weights(path)
    assert conv.W.data is None and conv.in_channels is None
    conv = L.Conv2d(4, 5)
    conv.load_weights(path)
    assert conv.in_channels == 2 and conv(np.ones((1, 2, 6, 6), np.float32)).shape == (1, 4, 2, 2)
    deconv = L.Deconv2d(4, 5)  # W is (in_channels, out_channels, KH, KW)
    with pytest.raises(ValueError, match=r"wrong shapes W: file \(4, 2, 5, 5\), model \(\*, 4, 5, 5\)"):
        deconv.load_weights(path)
    deconv = L.Deconv2d(2, 5, nobias=True)
    with pytest.raises(ValueError, match=r"unexpected keys b$"):
        deconv.load_weights(path)


def test_lazy_linear_refuses_another_output_size(tmp_path):
    small = L.Linear(7)
    small(np.ones((1, 3), np.float32))
    small.save_weights(tmp_path / "l7.npz")
    big = L.Linear(10)
    with pytest.raises(ValueError, match=r"wrong shapes W: file \(3, 7\), model \(\*, 10\).*b: file \(7,\), "
                                         r"model \(10,\)"):
        big.load_weights(tmp_path / "l7.npz")
    assert big.W.data is None and big.in_size is None and big.b.data.shape == (10,)


def test_lazy_layers_cast_real_arrays_to_their_dtype(tmp_path):
    path = _saved(tmp_path, "f64.npz", W=np.arange(30.0).reshape(3, 10), b=np.arange(10))  # float64, int
    layer = L.Linear(10)
    layer.load_weights(path)
    assert layer.W.dtype == np.float32 and layer.b.dtype == np.float32 and layer.in_size == 3
    np.testing.assert_array_equal(layer.W.data, np.arange(30.0).reshape(3, 10))
    y = layer(np.ones((2, 3), np.float32))
    assert y.dtype == np.float32 and y.shape == (2, 10)
    half = L.Linear(10, dtype=np.float16)
    half.load_weights(path)
    assert half.W.dtype == np.float16


def test_lazy_batchnorm_vectors_must_agree(tmp_path):
    path = _saved(tmp_path, "bn.npz", avg_mean=np.zeros(3), avg_var=np.ones(4), gamma=np.ones(3),
                  beta=np.zeros(3))
    bn = L.BatchNorm()
    with pytest.raises(ValueError, match=r"wrong shapes avg_var: file \(4,\), model \(3,\)"):
        bn.load_weights(path)
    assert bn.gamma.data is None


@pytest.mark.parametrize("bad", [np.ones((3, 10), np.complex64), np.zeros((3, 10), "datetime64[s]"),
                                 np.zeros((3, 10), "timedelta64[s]"), np.ones((3, 10), bool),
                                 np.array([["1"] * 10] * 3)],
                         ids=["complex", "datetime", "timedelta", "bool", "str"])
@pytest.mark.parametrize("lazy", [True, False], ids=["lazy", "initialised"])
def test_non_real_arrays_are_refused_not_cast(tmp_path, bad, lazy):
    path = _saved(tmp_path, "bad.npz", W=bad, b=np.zeros(10, np.float32))
    layer = L.Linear(10) if lazy else L.Linear(10, in_size=3)
    before = None if lazy else layer.W.data.copy()
    with pytest.raises(ValueError, match=rf"bad.npz does not match the model: wrong dtypes W: file "
                                         rf"{re.escape(str(bad.dtype))} cannot be loaded into a float32"):
        layer.load_weights(path)
    assert (layer.W.data is None) if lazy else np.array_equal(layer.W.data, before)


def test_load_is_all_or_nothing_and_names_key_and_file(tmp_path):
    model = MLP((3, 1000))
    model(np.ones((1, 4), np.float32))
    before = _snapshot(model)
    good = {"l0/W": np.ones((4, 3)), "l0/b": np.ones(3), "l1/b": np.ones(1000)}
    path = _saved(tmp_path, "half.npz", **good, **{"l1/W": np.array([["x"] * 1000] * 3)})
    with pytest.raises(ValueError, match=r"half.npz does not match the model: wrong dtypes l1/W: file <U1"):
        model.load_weights(path)
    assert all(np.array_equal(a, p.data) for a, p in zip(before, model.params()))

    # l1/W's data damaged (the CRC fails) is found after l0/W was read: still nothing changes
    np.savez(tmp_path / "bad.npz", **good, **{"l1/W": np.random.rand(3, 1000)})
    raw = bytearray((tmp_path / "bad.npz").read_bytes())
    with zipfile.ZipFile(tmp_path / "bad.npz") as zf:
        info = zf.getinfo("l1/W.npy")
    end = info.header_offset + 30 + len(info.filename) + len(info.extra) + info.compress_size
    raw[end - 8:end] = bytes(8)
    (tmp_path / "bad.npz").write_bytes(bytes(raw))
    with pytest.raises(ValueError, match=r"bad.npz: cannot read l1/W \(Bad CRC-32"):
        model.load_weights(tmp_path / "bad.npz")
    assert all(np.array_equal(a, p.data) for a, p in zip(before, model.params()))


def _npz_with_member(path, key, header_shape, data, dtype="<f4", compress=zipfile.ZIP_DEFLATED):
    """An .npz whose member `key` has a .npy header claiming `header_shape` followed by `data` bytes."""
    header = {"descr": dtype, "fortran_order": False, "shape": header_shape}
    buf = io.BytesIO()
    np.lib.format.write_array_header_1_0(buf, header)
    with zipfile.ZipFile(path, "w", compress) as zf:
        zf.writestr(key + ".npy", buf.getvalue() + data)
    return path


def test_headers_are_checked_before_anything_is_decompressed(tmp_path, monkeypatch):
    # 64 MiB of zeros (64 KiB compressed) behind a header that disagrees with the model
    path = _npz_with_member(tmp_path / "bomb.npz", "W", (4096, 4096), bytes(64 << 20))
    read = []
    real_read = zipfile.ZipExtFile.read
    monkeypatch.setattr(zipfile.ZipExtFile, "read", lambda self, n=-1: read.append(real_read(self, n)) or read[-1])
    layer = L.Linear(10, in_size=3)
    with pytest.raises(ValueError, match=r"bomb.npz does not match the model: .*wrong shapes W: file "
                                         r"\(4096, 4096\), model \(3, 10\)"):
        layer.load_weights(path)
    assert sum(map(len, read)) < 1024  # the .npy header only, not 64 MiB


@pytest.mark.parametrize("lazy", [True, False], ids=["lazy", "initialised"])
def test_a_header_claiming_terabytes_is_refused_without_allocating(tmp_path, lazy):
    path = _npz_with_member(tmp_path / "huge.npz", "W", (2 ** 40, 10), bytes(120))
    layer = L.Linear(10) if lazy else L.Linear(10, in_size=3)
    with pytest.raises(ValueError, match=r"huge.npz: W's header says \(1099511627776, 10\) float32 "
                                         r"\(43980465111040 bytes\) but the member holds 120 bytes"):
        layer.load_weights(path)


def test_a_member_declaring_more_than_deflate_can_give_is_refused(tmp_path):
    path = _npz_with_member(tmp_path / "forged.npz", "W", (3, 10), bytes(120))
    raw = bytearray(path.read_bytes())
    cd = raw.rindex(b"PK\x01\x02")  # the central directory entry: uncompressed size at offset 24
    raw[cd + 24:cd + 28] = (0xF0000000).to_bytes(4, "little")
    path.write_bytes(bytes(raw))
    with pytest.raises(ValueError, match=r"forged.npz: W declares 4026531840 bytes from \d+ compressed bytes"):
        L.Linear(10).load_weights(path)


def test_load_weights_names_the_path_for_the_wrong_kind_of_file(tmp_path):
    np.save(tmp_path / "w.npy", np.ones((3, 10)))
    with pytest.raises(ValueError, match=r"load_weights: path .*w.npy is a .npy file"):
        L.Linear(10).load_weights(tmp_path / "w.npy")
    with pytest.raises(TypeError, match="load_weights: path must be a str or os.PathLike, got int"):
        L.Linear(10).load_weights(3)
    with pytest.raises(TypeError, match="save_weights: path must be a str or os.PathLike, got NoneType"):
        L.Linear(10).save_weights(None)
    with pytest.raises(ValueError, match=r"load_weights: path .* is not a file"):
        L.Linear(10).load_weights(tmp_path)


# ----------------------------------------------------------------------------- constructor arguments

@pytest.mark.parametrize("make, error, message", [
    (lambda: L.Linear(0), ValueError, r"Linear: out_size must be a positive int, got 0"),
    (lambda: L.Linear(2.5), TypeError, r"Linear: out_size must be a positive int, got 2.5"),
    (lambda: L.Linear(3, in_size=-1), ValueError, r"Linear: in_size must be a positive int, got -1"),
    (lambda: L.Linear(800, 120), TypeError,
     r"Linear: nobias must be a bool, got 120\. .*nn.Linear\(in_features, out_features\) is "
     r"Linear\(out_features, in_size=in_features\)"),
    (lambda: L.Conv2d(16, 3, 1, 1, 1), TypeError,
     r"Conv2d: nobias must be a bool, got 1\. .*nn.Conv2d\(in_channels, out_channels"),
    (lambda: L.Deconv2d(16, 3, 1, 1, "no"), TypeError, r"Deconv2d: nobias must be a bool, got 'no'\. "
     r".*nn.ConvTranspose2d"),
])
def test_layer_constructors_refuse_wrong_arguments(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_nobias_accepts_numpy_bools():
    assert L.Linear(3, np.True_).b is None and L.Conv2d(3, 3, nobias=np.bool_(False)).b is not None


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
