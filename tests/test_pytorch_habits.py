"""PyTorch habits that work on minigrad (the README's "From PyTorch" table): Variable.item / argmax /
view, Layer.train / eval / parameters, Optimizer.step / zero_grad, F.cross_entropy, ArrayDataset and
DataLoader((X, y)), and Conv2d / Linear in PyTorch's order through keywords."""
import warnings

import numpy as np
import pytest

import minigrad.functions as F
import minigrad.layers as L
import minigrad as dezero
from minigrad import Variable, optimizers
from minigrad.core import Config
from minigrad.dataloaders import DataLoader
from minigrad.datasets import ArrayDataset
from minigrad.models import Model, Sequential


# ----------------------------------------------------------------------------- Variable

def test_item_gives_the_python_number_of_a_one_element_variable():
    assert Variable(np.array(3.5)).item() == 3.5 and type(Variable(np.array(3.5)).item()) is float
    assert Variable(np.array([[7]])).item() == 7 and type(Variable(np.array([[7]])).item()) is int
    loss = F.cross_entropy(Variable(np.zeros((4, 5), np.float32)), np.array([0, 1, 2, 3]))
    assert loss.item() == pytest.approx(np.log(5), rel=1e-6)
    with pytest.raises(ValueError, match=r"Variable.item: only a Variable of one element .* got shape \(2, 3\)"):
        Variable(np.zeros((2, 3))).item()


def test_argmax_returns_a_plain_index_array():
    y = Variable(np.array([[0.1, 0.7, 0.2], [0.9, 0.05, 0.05], [0.2, 0.3, 0.5]], np.float32))
    t = np.array([1, 0, 1])
    idx = y.argmax(axis=1)
    assert type(idx) is np.ndarray and idx.tolist() == [1, 0, 2]
    assert (y.argmax(axis=1) == t).mean() == pytest.approx(2 / 3)  # a Variable here would compare as False
    assert y.argmax() == 3  # flat index, as NumPy
    assert y.argmax(1, keepdims=True).shape == (3, 1)
    assert y.argmax(0).tolist() == [1, 0, 2]


def test_view_is_a_differentiable_reshape():
    x = Variable(np.arange(6.0).reshape(2, 3))
    for y in (x.view(3, 2), x.view((3, 2)), x.view(-1, 2)):
        np.testing.assert_array_equal(y.data, np.arange(6.0).reshape(3, 2))
    y = x.view(6) * np.arange(6.0)
    F.sum(y).backward()
    assert x.grad.shape == (2, 3)
    np.testing.assert_array_equal(x.grad.data, np.arange(6.0).reshape(2, 3))
    xt = x.T  # not contiguous: PyTorch's view would refuse, a reshape copies
    np.testing.assert_array_equal(xt.view(6).data, np.arange(6.0).reshape(2, 3).T.ravel())


def test_cross_entropy_is_softmax_cross_entropy():
    assert F.cross_entropy is F.softmax_cross_entropy


# ----------------------------------------------------------------------------- Layer / Model

class DropNet(Model):
    def __init__(self):
        super().__init__()
        self.fc = L.Linear(50, in_size=4)
        self.blocks = [Sequential(L.Linear(50, in_size=50))]

    def forward(self, x):
        return F.dropout(self.blocks[0](F.dropout(self.fc(x))))


def test_parameters_is_params():
    net = DropNet()
    assert [id(p) for p in net.parameters()] == [id(p) for p in net.params()]
    assert len(list(net.parameters())) == 4


def test_eval_turns_dropout_off_for_the_model_and_its_sublayers():
    np.random.seed(0)
    net = DropNet()
    x = np.random.randn(3, 4).astype(np.float32)
    with dezero.test_mode():
        reference = net(x).data
    assert not np.allclose(net(x).data, reference)  # training mode: dropout is on
    assert net.eval() is net
    assert net.training is False and net.fc.training is False and net.blocks[0].layers[0].training is False
    np.testing.assert_array_equal(net(x).data, reference)
    np.testing.assert_array_equal(net.blocks[0](net.fc(x)).data, reference)  # a sub-layer called alone
    assert Config.train is True  # the global switch is left as it was
    assert net.train() is net and net.blocks[0].training is True
    assert not np.allclose(net(x).data, reference)


def test_test_mode_wins_over_train():
    """DeZero's test_mode() keeps working on a model that PyTorch-style code put in train()."""
    np.random.seed(1)
    net = DropNet().train()
    x = np.random.randn(3, 4).astype(np.float32)
    with dezero.test_mode():
        a, b = net(x).data, net(x).data
    np.testing.assert_array_equal(a, b)


def test_eval_uses_batch_norm_running_statistics():
    np.random.seed(2)
    bn = L.BatchNorm()
    x = np.random.randn(8, 3).astype(np.float32) * 3 + 5
    bn(x)  # one training step updates the running statistics a little
    with dezero.test_mode():
        expected = bn(x).data
    np.testing.assert_allclose(bn.eval()(x).data, expected, rtol=1e-6)
    assert not np.allclose(bn.train()(x).data, expected)


def test_train_mode_must_be_a_bool():
    with pytest.raises(TypeError, match="DropNet.train: mode must be a bool, got 'eval'"):
        DropNet().train("eval")


# ----------------------------------------------------------------------------- Optimizer

def _step_once(use_pytorch_names, opt):
    np.random.seed(3)
    net = L.Linear(2, in_size=3)
    opt.setup(net)
    x = np.random.randn(5, 3).astype(np.float32)
    for _ in range(3):
        if use_pytorch_names:
            opt.zero_grad()
        else:
            net.cleargrads()
        loss = F.sum(net(x) ** 2)
        loss.backward()
        opt.step() if use_pytorch_names else opt.update()
    return net.W.data.copy(), opt


@pytest.mark.parametrize("make", [lambda: optimizers.SGD(lr=0.1), lambda: optimizers.Adam(alpha=0.1)])
def test_step_and_zero_grad_are_update_and_cleargrads(make):
    w_torch, opt = _step_once(True, make())
    w_dezero, _ = _step_once(False, make())
    np.testing.assert_array_equal(w_torch, w_dezero)
    if isinstance(opt, optimizers.Adam):
        assert opt.t == 3
    opt.zero_grad()
    assert all(p.grad is None for p in opt.target.params())


def test_zero_grad_before_setup_raises():
    with pytest.raises(ValueError, match=r"SGD.zero_grad: call setup\(model\) first"):
        optimizers.SGD().zero_grad()


# ----------------------------------------------------------------------------- data

def test_array_dataset_serves_rows():
    X = np.arange(20, dtype=np.float32).reshape(10, 2)
    y = np.arange(10) % 3
    ds = ArrayDataset(X, y)
    assert len(ds) == 10
    x5, t5 = ds[5]
    np.testing.assert_array_equal(x5, [10, 11])
    assert t5 == 2
    assert ArrayDataset(X)[2][1] is None
    assert ArrayDataset([[1, 2], [3, 4]], [0, 1]).data.shape == (2, 2)
    with pytest.raises(ValueError, match="X has 10 examples, y has 9"):
        ArrayDataset(X, y[:9])
    with pytest.raises(TypeError, match="ArrayDataset: X must be a numeric array"):
        ArrayDataset(np.array(["a", "b"]))
    with pytest.raises(TypeError, match="got a scalar"):
        ArrayDataset(np.float32(1))


def test_dataloader_takes_a_tuple_of_arrays():
    X = np.arange(22, dtype=np.float32).reshape(11, 2)
    y = np.arange(11)
    np.random.seed(4)
    loader = DataLoader((X, y), batch_size=4)
    assert len(loader) == 3 and loader.data_size == 11  # before: the tuple was a dataset of 2 "examples"
    seen = []
    for x, t in loader:
        np.testing.assert_array_equal(x[:, 0], 2 * t)  # rows stay paired with their labels
        seen += t.tolist()
    assert sorted(seen) == list(range(11)) and seen != list(range(11))  # all rows, shuffled
    x, t = next(iter(DataLoader((X,), batch_size=5, shuffle=False)))
    assert t is None and x.shape == (5, 2)


# ----------------------------------------------------------------------------- layers in PyTorch's order

def test_conv2d_and_linear_keywords_in_any_order():
    x = np.zeros((2, 1, 28, 28), np.float32)
    for conv in (L.Conv2d(in_channels=1, out_channels=16, kernel_size=3),
                 L.Conv2d(kernel_size=3, out_channels=16, in_channels=1)):
        assert conv.W.shape == (16, 1, 3, 3) and conv(x).shape == (2, 16, 26, 26)
    for fc in (L.Linear(in_size=784, out_size=10), L.Linear(out_size=10, in_size=784)):
        assert fc.W.shape == (784, 10) and fc(x.reshape(2, -1)).shape == (2, 10)


def test_conv2d_kernel_larger_than_the_input_names_the_keyword_form():
    conv = L.Conv2d(1, 32, 3)  # PyTorch's Conv2d(1, 32, 3): here a 32x32 kernel, stride 3
    with pytest.raises(ValueError, match=r"Conv2d: kernel 32x32 is larger than the padded input 28x28.*"
                                         r"Conv2d\(in_channels=1, out_channels=32, kernel_size=3\)"):
        conv(np.zeros((1, 1, 28, 28), np.float32))


def test_conv2d_in_pytorch_order_warns_at_the_callers_line():
    x = np.zeros((2, 1, 28, 28), np.float32)
    conv = L.Conv2d(1, 16, 3)  # legal in DeZero's order: 1 channel out, 16x16 kernel, stride 3
    with pytest.warns(UserWarning, match=r"PyTorch's argument order.*"
                                         r"Conv2d\(in_channels=1, out_channels=16, kernel_size=3\)") as record:
        assert conv(x).shape == (2, 1, 5, 5)
    assert record[0].filename == __file__
    with pytest.warns(UserWarning, match=r"kernel_size=5, stride=1\)"):
        L.Conv2d(3, 6, 5, 1)(np.zeros((1, 3, 32, 32), np.float32))  # PyTorch's (in, out, k, stride)


def test_conv2d_dezero_order_does_not_warn():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        L.Conv2d(16, 3, 1, 1)(np.zeros((1, 16, 8, 8), np.float32))    # same channels, stride 1
        L.Conv2d(8, 3, stride=2)(np.zeros((1, 8, 8, 8), np.float32))   # same channels, small kernel
        L.Conv2d(1, 16, 3, in_channels=1)(np.zeros((1, 1, 28, 28), np.float32))  # stated: meant
        L.Conv2d(6, 5)(np.zeros((1, 1, 28, 28), np.float32))
