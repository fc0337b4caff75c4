"""ResNet (minigrad.models): He et al.'s bottleneck ResNets with DeZero's names and signatures."""
import numpy as np
import pytest

import minigrad
import minigrad.functions as F
from minigrad import optimizers
from minigrad.models import BottleneckA, BottleneckB, BuildingBlock, ResNet, ResNet50, ResNet101, ResNet152


def trained_params(model):
    params = {}
    model._flatten_params(params)
    return {k: p for k, p in params.items() if not k.endswith(("avg_mean", "avg_var"))}


def test_resnet50_size_names_and_shapes():
    model = ResNet50()
    params = trained_params(model)
    # torchvision's resnet50 has 25,557,032 trained parameters; Chainer's (and this) conv1 adds a bias
    assert sum(p.size for p in params.values()) == 25_557_032 + 64
    assert params["conv1/W"].shape == (64, 3, 7, 7) and params["fc6/W"].shape == (2048, 1000)
    assert params["res2/a/conv4/W"].shape == (256, 64, 1, 1) and params["res5/b2/conv3/W"].shape == (2048, 512, 1, 1)
    assert "res2/b3/conv1/W" not in params and "res4/b5/bn3/gamma" in params  # stages of 3, 4, 6, 3 blocks
    assert [ResNet.STAGES[n] for n in (50, 101, 152)] == [(3, 4, 6, 3), (3, 4, 23, 3), (3, 8, 36, 3)]
    assert issubclass(ResNet101, ResNet) and issubclass(ResNet152, ResNet)
    with pytest.raises(ValueError, match="50, 101 or 152"):
        ResNet(34)


class TinyResNet(ResNet):
    """ResNet's code with one block per stage: the same layers, a fifth of the time."""
    STAGES = {50: (1, 1, 1, 1)}


def test_resnet_forward_shape_and_one_gradient_step():
    np.random.seed(0)
    model = TinyResNet(50)
    x = np.random.randn(2, 3, 32, 32).astype(np.float32)
    t = np.array([3, 7])
    y = model(x)
    assert y.shape == (2, 1000) and y.dtype == np.float32
    loss = F.softmax_cross_entropy(y, t)
    model.cleargrads()
    loss.backward()
    params = trained_params(model)
    assert all(p.grad is not None and np.isfinite(p.grad.data).all() for p in params.values())
    optimizers.SGD(0.01).setup(model).update()
    assert float(F.softmax_cross_entropy(model(x), t).data) < float(loss.data)
    with minigrad.test_mode():
        assert model(x[:1]).shape == (1, 1000)


def test_blocks_shapes_and_names():
    x = np.random.RandomState(1).randn(2, 4, 9, 9).astype(np.float32)
    assert BottleneckA(4, 2, 8, stride=2)(x).shape == (2, 8, 5, 5)
    fb = BottleneckA(4, 2, 8, stride=2, downsample_fb=True)
    assert fb.conv1.stride == (1, 1) and fb.conv2.stride == (2, 2) and fb(x).shape == (2, 8, 5, 5)
    assert BottleneckB(4, 2)(x).shape == x.shape
    block = BuildingBlock(3, 4, 2, 8, 1)
    assert block(x).shape == (2, 8, 9, 9)
    assert isinstance(block.a, BottleneckA) and isinstance(block.b2, BottleneckB) and not hasattr(block, "b3")
    with pytest.raises(TypeError, match="stride"):
        BuildingBlock(1, 4, 2, 8)


def test_bottleneck_a_matches_pytorch():
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    rng = np.random.RandomState(2)
    x = rng.randn(2, 4, 7, 7).astype(np.float32)
    block = BottleneckA(4, 3, 6, stride=2)
    y = block(x).data

    def conv_bn(h, conv, bn, relu):
        h = tf.conv2d(h, torch.from_numpy(conv.W.data), stride=conv.stride, padding=conv.pad)
        h = tf.batch_norm(h, None, None, torch.from_numpy(bn.gamma.data), torch.from_numpy(bn.beta.data),
                          training=True, eps=2e-5)
        return tf.relu(h) if relu else h
    tx = torch.from_numpy(x)
    h = conv_bn(tx, block.conv1, block.bn1, True)
    h = conv_bn(h, block.conv2, block.bn2, True)
    h = conv_bn(h, block.conv3, block.bn3, False)
    ref = tf.relu(h + conv_bn(tx, block.conv4, block.bn4, False)).numpy()
    np.testing.assert_allclose(y, ref, rtol=1e-4, atol=1e-5)


def test_pretrained_file_with_or_without_conv1_bias(offline, tmp_path, monkeypatch):
    """The book's weights load by DeZero's names; a file without conv1's bias (DeZero has none) too."""
    monkeypatch.setattr(np, "savez_compressed", np.savez)  # fast in a test: the format is the same
    model = TinyResNet(50)
    x = np.random.RandomState(3).randn(1, 3, 32, 32).astype(np.float32)
    model.save_weights(tmp_path / "resnet50.npz")
    loaded = TinyResNet(50, pretrained=str(tmp_path / "resnet50.npz"))
    with minigrad.test_mode():
        np.testing.assert_array_equal(loaded(x).data, model(x).data)
    model.conv1.b = None
    model.save_weights(tmp_path / "nobias.npz")
    loaded = TinyResNet(50, pretrained=str(tmp_path / "nobias.npz"))
    assert loaded.conv1.b is None
    with minigrad.test_mode():
        np.testing.assert_array_equal(loaded(x).data, model(x).data)
    with pytest.raises(FileNotFoundError, match=r"resnet50.npz not found.*releases/download/v0.1/resnet50.npz"):
        TinyResNet(50, pretrained=True)
