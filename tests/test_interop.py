"""minigrad.interop: PyTorch state dicts both ways and zero-copy DLPack exchange.

Skips without PyTorch (and the CuPy/JAX checks without those)."""
import numpy as np
import pytest

torch = pytest.importorskip("torch")
nn = torch.nn
TF = torch.nn.functional

import minigrad.layers as L  # noqa: E402
from minigrad import interop, models  # noqa: E402
import minigrad.core  # noqa: E402
from minigrad.core import Variable, no_grad  # noqa: E402


class TorchLeNet(nn.Module):
    """minigrad.models.LeNet in PyTorch, with the same attribute names."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 4 * 4, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = TF.max_pool2d(TF.relu(self.conv1(x)), 2)
        x = TF.max_pool2d(TF.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        return self.fc3(TF.relu(self.fc2(TF.relu(self.fc1(x)))))


def minigrad_out(model, x):
    with no_grad(), minigrad.core.test_mode():
        return model(Variable(x)).data


def torch_out(model, x):
    model.eval()
    with torch.no_grad():
        return model(torch.from_numpy(x)).numpy()


def digits(n=4, seed=0):
    return np.random.default_rng(seed).uniform(0, 1, (n, 1, 28, 28)).astype(np.float32)


def test_lenet_minigrad_to_torch():
    np.random.seed(0)
    model = models.LeNet()
    x = digits()
    expected = minigrad_out(model, x)  # the first call sizes fc1
    state = interop.to_torch_state_dict(model)
    assert list(state) == ["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc1.weight",
                           "fc1.bias", "fc2.weight", "fc2.bias", "fc3.weight", "fc3.bias"]
    np.testing.assert_array_equal(state["fc1.weight"].numpy(), model.fc1.W.data.T)
    np.testing.assert_array_equal(state["conv1.weight"].numpy(), model.conv1.W.data)
    tmodel = TorchLeNet()
    tmodel.load_state_dict(state)  # strict: same keys, same shapes
    np.testing.assert_allclose(torch_out(tmodel, x), expected, rtol=1e-5, atol=1e-5)
    state["fc1.weight"][0, 0] = 123.0  # copies: the model is not aliased
    assert model.fc1.W.data[0, 0] != 123.0


def test_lenet_torch_to_minigrad():
    torch.manual_seed(0)
    tmodel = TorchLeNet()
    model = models.LeNet()  # fc1 not sized yet: it takes the state dict's shape
    interop.load_torch_state_dict(model, tmodel.state_dict())
    assert model.fc1.in_size == 256 and model.fc1.W.data.dtype == np.float32
    x = digits(5, seed=1)
    np.testing.assert_allclose(minigrad_out(model, x), torch_out(tmodel, x), rtol=1e-5, atol=1e-5)


def test_wrong_state_dict_changes_nothing():
    torch.manual_seed(1)
    np.random.seed(1)
    model = models.LeNet()
    minigrad_out(model, digits(1))
    before = {k: p.data.copy() for k, p in zip(range(100), model.params())}
    state = TorchLeNet().state_dict()
    state["fc3.weight"] = torch.zeros(5, 84)
    del state["conv2.bias"]
    state["extra.weight"] = torch.zeros(1)
    with pytest.raises(ValueError) as info:
        interop.load_torch_state_dict(model, state)
    message = str(info.value)
    assert "missing keys conv2.bias" in message and "unexpected keys extra.weight" in message
    assert "fc3.weight: state dict (5, 84), model (10, 84)" in message
    for k, p in zip(range(100), model.params()):
        np.testing.assert_array_equal(p.data, before[k])


class Blocks(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList([nn.Conv2d(2, 4, 3, padding=1), nn.BatchNorm2d(4, eps=2e-5),
                                     nn.ConvTranspose2d(4, 3, 2, stride=2)])
        self.emb = nn.Embedding(7, 3)

    def forward(self, x, ids):
        for layer in self.layers:
            x = layer(x)
        return x.sum(dim=(2, 3)) + self.emb(ids)


def test_conv_batch_norm_deconv_embedding_round_trip():
    """Deconv2d's (C, OC, KH, KW) is ConvTranspose2d's layout; BatchNorm's running statistics
    travel as running_mean / running_var."""
    class Net(models.Model):
        def __init__(self):
            super().__init__()
            self.layers = [L.Conv2d(4, 3, pad=1), L.BatchNorm(), L.Deconv2d(3, 2, stride=2)]
            self.emb = L.EmbedID(7, 3)

        def forward(self, x, ids):
            for layer in self.layers:
                x = layer(x)
            return x.sum(axis=(2, 3)) + self.emb(ids)

    np.random.seed(2)
    model = Net()
    x = np.random.randn(3, 2, 5, 5).astype(np.float32)
    ids = np.array([0, 6, 2])
    model(Variable(x), ids)  # training mode: running statistics move
    state = interop.to_torch_state_dict(model)
    assert "layers.1.running_mean" in state and "layers.1.num_batches_tracked" in state
    tmodel = Blocks()
    tmodel.load_state_dict(state)
    tmodel.eval()
    with torch.no_grad():
        got = tmodel(torch.from_numpy(x), torch.from_numpy(ids)).numpy()
    with no_grad(), minigrad.core.test_mode():
        expected = model(Variable(x), ids).data
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-5)

    fresh = Net()
    interop.load_torch_state_dict(fresh, tmodel.state_dict())
    with no_grad(), minigrad.core.test_mode():
        np.testing.assert_allclose(fresh(Variable(x), ids).data, expected, rtol=1e-6, atol=1e-6)


def test_mapping_renames_keys():
    torch.manual_seed(3)
    seq = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    model = models.MLP((4, 2), activation=lambda v: v)
    mapping = {"l0/W": "0.weight", "l0/b": "0.bias", "l1/W": "2.weight", "l1/b": "2.bias"}
    interop.load_torch_state_dict(model, seq.state_dict(), mapping=mapping)
    np.testing.assert_allclose(model.l1.W.data, seq[2].weight.detach().numpy().T)
    assert list(interop.to_torch_state_dict(model, mapping)) == list(mapping.values())
    with pytest.raises(ValueError, match="mapping names keys the model does not have"):
        interop.load_torch_state_dict(model, seq.state_dict(), mapping={"l9/W": "9.weight"})


def test_keys_of_shared_and_listed_parameters():
    """A Parameter reachable twice gets the key of its first path; Parameters in a list keep their
    index; a shared BatchNorm has one num_batches_tracked."""
    class Shared(models.Model):
        def __init__(self):
            super().__init__()
            self.fc = L.Linear(3, in_size=2)
            self.blocks = [L.BatchNorm(), self.fc]
            self.again = self.fc.W
            self.bn = self.blocks[0]
            self.ps = [minigrad.core.Parameter(np.arange(2, dtype=np.float32))]

    model = Shared()
    model.bn(Variable(np.ones((2, 4), np.float32)))
    state = interop.to_torch_state_dict(model)
    assert list(state) == ["fc.weight", "fc.bias", "blocks.0.running_mean", "blocks.0.running_var",
                           "blocks.0.weight", "blocks.0.bias", "ps.0", "blocks.0.num_batches_tracked"]
    np.testing.assert_array_equal(state["fc.weight"].numpy(), model.fc.W.data.T)  # Linear's transpose
    np.testing.assert_array_equal(state["ps.0"].numpy(), [0, 1])


# =============================================================================
# DLPack
# =============================================================================
def test_from_dlpack_torch_shares_memory():
    t = torch.arange(6, dtype=torch.float32).reshape(2, 3)
    v = interop.from_dlpack(t)
    assert isinstance(v, Variable) and isinstance(v.data, np.ndarray) and v.shape == (2, 3)
    t[0, 1] = 42.0
    assert v.data[0, 1] == 42.0
    v.data[1, 2] = -1.0
    assert t[1, 2].item() == -1.0
    back = torch.from_dlpack(v.data)
    assert back.data_ptr() == t.data_ptr()


def test_from_dlpack_numpy_and_variable():
    a = np.ones((2, 2), np.float32)
    v = interop.from_dlpack(a)
    assert np.shares_memory(v.data, a)
    assert interop.from_dlpack(v).data is v.data
    with pytest.raises(TypeError, match="from_dlpack"):
        interop.from_dlpack([1.0, 2.0])


@pytest.mark.skipif(not hasattr(Variable, "__dlpack__"), reason="Variable has no __dlpack__ here")
def test_variable_speaks_dlpack():
    v = Variable(np.arange(4, dtype=np.float32))
    t = torch.from_dlpack(v)
    t[0] = 9.0
    assert v.data[0] == 9.0
    assert v.__dlpack_device__() == v.data.__dlpack_device__()


def test_from_dlpack_cupy():
    cupy = pytest.importorskip("cupy")
    from minigrad import cuda
    if not cuda.gpu_enable:
        pytest.skip("no GPU")
    t = torch.arange(4, dtype=torch.float32, device="cuda")
    v = interop.from_dlpack(t)
    assert isinstance(v.data, cupy.ndarray)
    t[0] = 5.0
    assert float(v.data[0]) == 5.0


def test_from_dlpack_jax():
    jnp = pytest.importorskip("jax.numpy")
    a = jnp.arange(3.0)
    v = interop.from_dlpack(a)
    np.testing.assert_array_equal(v.data, np.arange(3.0))
