"""Bad input at the public boundary: one row per call with a wrong type, shape, value or file.

Each row is (call, exception type, regex); the regex names the function and the argument at fault, so a
row fails both when the call succeeds silently and when it fails with an unhelpful message (an
IndexError from deep inside NumPy, an AttributeError on a missing method).  Calls take `d`, a fresh
temporary directory holding the files of `bad_files`.
"""
import hashlib
import os

import numpy as np
import pytest

import minigrad.functions as F
import minigrad.layers as L
from minigrad import files, optimizers as O, transforms as T, utils
from minigrad import datasets as D
from minigrad.core import Parameter, Variable
from minigrad.dataloaders import DataLoader, SeqDataLoader
from minigrad.models import LeNet, MLP, Sequential, VGG16
from minigrad.testing import check_function

x4 = np.ones((2, 3, 5, 5), np.float32)
W4 = np.ones((4, 3, 3, 3), np.float32)
x2 = np.ones((2, 3), np.float32)
logits = np.ones((2, 3), np.float32)


def lazy_linear_load(d, name):
    """Load d/name into a Linear(10) whose weights are still lazy."""
    return L.Linear(10).load_weights(d / name)


def fitted_mlp():
    model = MLP((3, 2))
    model(np.ones((1, 4), np.float32))
    return model


ROWS = [
    # ------------------------------------------------------------------ functions: convolution family
    (lambda d: F.conv2d(np.ones((3, 5, 5)), W4), ValueError, r"conv2d: x must be a 4-D array"),
    (lambda d: F.conv2d(x4, np.ones((3, 3, 3))), ValueError, r"conv2d: W must be a 4-D array"),
    (lambda d: F.conv2d(np.ones((2, 2, 5, 5)), W4), ValueError, r"conv2d: x has 2 channels but W expects 3"),
    (lambda d: F.conv2d(x4, W4, np.ones(3)), ValueError, r"conv2d: b must have shape \(4,\)"),
    (lambda d: F.conv2d(x4, W4, stride=0), ValueError, r"conv2d: stride must be positive"),
    (lambda d: F.conv2d(x4, W4, stride=1.5), TypeError, r"conv2d: stride must be an int or a pair"),
    (lambda d: F.conv2d(x4, W4, pad=-1), ValueError, r"conv2d: pad must be non-negative"),
    (lambda d: F.conv2d(x4, W4, pad=(1, 1, 1)), TypeError, r"conv2d: pad must be an int or a pair"),
    (lambda d: F.conv2d(np.ones((1, 3, 2, 2)), W4), ValueError, r"conv2d: kernel 3x3 is larger than the padded input"),
    (lambda d: F.deconv2d(np.ones((2, 2, 5, 5)), W4), ValueError, r"deconv2d: x has 2 channels but W expects 4"),
    (lambda d: F.deconv2d(x2, W4), ValueError, r"deconv2d: x must be a 4-D array"),
    (lambda d: F.pooling(x4, 0), ValueError, r"pooling: kernel_size must be positive"),
    (lambda d: F.pooling(np.ones((3, 4, 4)), 2), ValueError, r"pooling: x must be a 4-D array"),
    (lambda d: F.pooling(x4, 2, stride=-1), ValueError, r"pooling: stride must be positive"),
    (lambda d: F.pooling(x4, "2"), TypeError, r"pooling: kernel_size must be an int or a pair"),
    (lambda d: F.im2col(x4, 0), ValueError, r"im2col: kernel_size must be positive"),
    (lambda d: F.col2im(np.ones((2, 3, 3, 3, 3, 3)), (2, 3, 5), 3), ValueError, r"col2im: img_shape must have 4 entries"),
    # ------------------------------------------------------------------ functions: matrices and losses
    (lambda d: F.linear(x2, np.ones((4, 5))), ValueError, r"linear: x of shape \(2, 3\) does not fit W"),
    (lambda d: F.linear(x2, np.ones((3, 5)), np.ones(4)), ValueError, r"linear: b of shape \(4,\) does not fit W"),
    (lambda d: F.matmul(x2, np.ones((4, 5))), ValueError, r"matmul: shapes \(2, 3\) and \(4, 5\) are not aligned"),
    (lambda d: F.matmul(np.array(1.0), np.ones((4, 5))), ValueError, r"matmul: operands must have at least 1 dim"),
    (lambda d: F.mean_squared_error(np.ones(3), np.ones(4)), ValueError, r"mean_squared_error: shapes \(3,\) and \(4,\)"),
    (lambda d: F.softmax_cross_entropy(logits, np.array([0.0, 1.0])), TypeError,
     r"softmax_cross_entropy: t must hold integer class labels"),
    (lambda d: F.softmax_cross_entropy(logits, np.array([0, 3])), ValueError,
     r"softmax_cross_entropy: class labels must be in \[0, 3\)"),
    (lambda d: F.softmax_cross_entropy(logits, np.array([0, -1])), ValueError,
     r"softmax_cross_entropy: class labels must be in \[0, 3\)"),
    (lambda d: F.softmax_cross_entropy(logits, np.array([0, 1, 2])), ValueError,
     r"softmax_cross_entropy: t must be a 1-D array of 2 class labels"),
    (lambda d: F.softmax_cross_entropy(np.ones(3), np.array([0])), ValueError, r"softmax_cross_entropy: x must be 2-D"),
    (lambda d: F.binary_cross_entropy(np.full(2, 0.5), np.array([0, 1, 1])), ValueError,
     r"binary_cross_entropy: t must have the shape of p \(2,\), got shape \(3,\)"),
    (lambda d: F.dropout(x2, 1.0), ValueError, r"dropout: dropout_ratio must be in \[0, 1\)"),
    (lambda d: F.dropout(x2, -0.1), ValueError, r"dropout: dropout_ratio must be in \[0, 1\)"),
    (lambda d: F.batch_norm(np.ones((2, 3, 4)), np.ones(3), np.zeros(3), np.zeros(3), np.ones(3)), ValueError,
     r"batch_norm: x must be 2-D \(N, C\) or 4-D"),
    (lambda d: F.batch_norm(x2, np.ones(4), np.zeros(4), np.zeros(3), np.ones(3)), ValueError,
     r"batch_norm: gamma/beta have 4/4 elements but x has 3 channels"),
    (lambda d: F.sum_to(x2, (4,)), ValueError, r"sum_to: x of shape \(2, 3\) cannot be summed to \(4,\)"),
    (lambda d: Variable("abc"), TypeError, r"Variable: data must be a numpy or cupy ndarray"),
    (lambda d: Variable([1, 2]), TypeError, r"Variable: data must be a numpy or cupy ndarray"),
    (lambda d: Parameter("x"), TypeError, r"Variable: data must be a numpy or cupy ndarray"),
    # ------------------------------------------------------------------ layers: constructors and calls
    (lambda d: L.Linear(0), ValueError, r"Linear: out_size must be a positive int, got 0"),
    (lambda d: L.Linear(2.5), TypeError, r"Linear: out_size must be a positive int, got 2.5"),
    (lambda d: L.Linear(3, in_size=0), ValueError, r"Linear: in_size must be a positive int, got 0"),
    (lambda d: L.Linear(800, 120), TypeError, r"Linear: nobias must be a bool, got 120\. .*in_size=in_features"),
    (lambda d: L.Linear(3, nobias="no"), TypeError, r"Linear: nobias must be a bool, got 'no'"),
    (lambda d: L.Conv2d(0, 3), ValueError, r"Conv2d: out_channels must be a positive int, got 0"),
    (lambda d: L.Conv2d(3, 0), ValueError, r"Conv2d: kernel_size must be positive"),
    (lambda d: L.Conv2d(3, 3, stride=0), ValueError, r"Conv2d: stride must be positive"),
    (lambda d: L.Conv2d(3, 3, pad=-1), ValueError, r"Conv2d: pad must be non-negative"),
    (lambda d: L.Conv2d(3, 3, in_channels=0), ValueError, r"Conv2d: in_channels must be a positive int"),
    (lambda d: L.Conv2d(16, 3, 1, 1, 1), TypeError, r"Conv2d: nobias must be a bool, got 1\. .*nn\.Conv2d"),
    (lambda d: L.Deconv2d(3, 3, 1, 0, 2), TypeError, r"Deconv2d: nobias must be a bool, got 2\. .*ConvTranspose2d"),
    (lambda d: L.Deconv2d(3, (3, 3, 3)), TypeError, r"Deconv2d: kernel_size must be an int or a pair"),
    (lambda d: L.Conv2d(3, 3)(x2), ValueError, r"Conv2d: x must be a 4-D array"),
    (lambda d: L.MaxPool2D(0), ValueError, r"MaxPool2D: kernel_size must be positive"),
    (lambda d: L.AveragePool2D(2, stride=0), ValueError, r"AveragePool2D: stride must be positive"),
    (lambda d: L.Flatten()(np.array(1.0)), ValueError, r"Flatten: x must have a batch axis"),
    (lambda d: L.RNN(0), ValueError, r"Linear: out_size must be a positive int, got 0"),
    (lambda d: L.LSTM(3, in_size=-1), ValueError, r"Linear: in_size must be a positive int, got -1"),
    (lambda d: L.BatchNorm()(np.ones((2, 3, 4), np.float32)), ValueError, r"batch_norm: x must be 2-D"),
    # ------------------------------------------------------------------ layers: weights files
    (lambda d: lazy_linear_load(d, "conv5.npz"), ValueError, r"conv5.npz does not match the model: wrong shapes W: file \(4, 2, 5, 5\), model \(\*, 10\)"),
    (lambda d: lazy_linear_load(d, "linear7.npz"), ValueError,
     r"linear7.npz does not match the model: wrong shapes W: file \(3, 7\), model \(\*, 10\)"),
    (lambda d: lazy_linear_load(d, "complex.npz"), ValueError, r"complex.npz .*wrong dtypes W: file complex128"),
    (lambda d: lazy_linear_load(d, "dates.npz"), ValueError, r"dates.npz .*wrong dtypes W: file datetime64"),
    (lambda d: lazy_linear_load(d, "bools.npz"), ValueError, r"bools.npz .*wrong dtypes W: file bool"),
    (lambda d: lazy_linear_load(d, "objects.npz"), ValueError, r"objects.npz .*wrong dtypes W: file object"),
    (lambda d: lazy_linear_load(d, "array.npy"), ValueError, r"load_weights: path .*array.npy is a .npy file"),
    (lambda d: lazy_linear_load(d, "text.npz"), ValueError, r"load_weights: .*text.npz is not a readable .npz"),
    (lambda d: lazy_linear_load(d, "nothing.npz"), FileNotFoundError, r"load_weights: no such file: .*nothing.npz"),
    (lambda d: lazy_linear_load(d, "."), ValueError, r"load_weights: path .* is not a file"),
    (lambda d: fitted_mlp().load_weights(d / "linear7.npz"), ValueError, r"missing keys l0/W, l0/b, l1/W, l1/b"),
    (lambda d: L.Linear(3).load_weights(3), TypeError, r"load_weights: path must be a str or os.PathLike, got int"),
    (lambda d: L.Linear(3).save_weights(None), TypeError, r"save_weights: path must be a str or os.PathLike"),
    (lambda d: L.Linear(3).save_weights(b"w.npz"), TypeError, r"save_weights: path must be a str or os.PathLike"),
    # ------------------------------------------------------------------ models
    (lambda d: MLP(3), TypeError, r"MLP: fc_output_sizes must be a non-empty tuple of layer sizes"),
    (lambda d: MLP(()), TypeError, r"MLP: fc_output_sizes must be a non-empty tuple"),
    (lambda d: MLP((3, 0)), ValueError, r"Linear: out_size must be a positive int, got 0"),
    (lambda d: MLP((3,), activation="relu"), TypeError, r"MLP: activation must be callable, got str"),
    (lambda d: LeNet(num_classes=0), ValueError, r"Linear: out_size must be a positive int, got 0"),
    (lambda d: LeNet(in_channels=0), ValueError, r"Conv2d: in_channels must be a positive int"),
    (lambda d: VGG16(pretrained=2.5), TypeError, r"VGG16: pretrained must be True, False or the path"),
    (lambda d: LeNet().summary(2.5), TypeError, r"summary: input_shape must be an int or a tuple of ints"),
    (lambda d: LeNet().summary("28"), TypeError, r"summary: input_shape must be an int or a tuple of ints"),
    (lambda d: LeNet().summary((0, 28)), ValueError, r"summary: input_shape \(0, 28\): each size must be a positive"),
    (lambda d: LeNet().summary((1, 28, 28), print_fn=3), TypeError, r"summary: print_fn must be callable"),
    (lambda d: Sequential(L.Linear(2)).plot(x2, to_file=d / "noext"), ValueError,
     r"plot_dot_graph: to_file .*noext' needs an extension"),
    # ------------------------------------------------------------------ optimizers and hooks
    (lambda d: O.SGD(lr=-0.1), ValueError, r"SGD: lr must be a finite number in \[0, inf\), got -0.1"),
    (lambda d: O.SGD(lr=float("nan")), ValueError, r"SGD: lr must be a finite number .* got nan"),
    (lambda d: O.SGD(lr="0.1"), TypeError, r"SGD: lr must be a real number, got str"),
    (lambda d: O.SGD(lr=None), TypeError, r"SGD: lr must be a real number, got NoneType"),
    (lambda d: O.MomentumSGD(momentum=-1), ValueError, r"MomentumSGD: momentum must be a finite number in \[0, 1\)"),
    (lambda d: O.MomentumSGD(lr=float("inf")), ValueError, r"MomentumSGD: lr must be a finite number"),
    (lambda d: O.AdaGrad(lr=float("inf")), ValueError, r"AdaGrad: lr must be a finite number .* got inf"),
    (lambda d: O.AdaGrad(eps=-1e-8), ValueError, r"AdaGrad: eps must be a finite number in \(0, inf\)"),
    (lambda d: O.AdaDelta(rho=1), ValueError, r"AdaDelta: rho must be a finite number in \[0, 1\), got 1"),
    (lambda d: O.AdaDelta(eps=0), ValueError, r"AdaDelta: eps must be a finite number in \(0, inf\)"),
    (lambda d: O.Adam(alpha=-1), ValueError, r"Adam: alpha must be a finite number in \[0, inf\), got -1"),
    (lambda d: O.Adam(beta1=1), ValueError, r"Adam: beta1 must be a finite number in \[0, 1\), got 1"),
    (lambda d: O.Adam(beta2=1.5), ValueError, r"Adam: beta2 must be a finite number in \[0, 1\)"),
    (lambda d: O.Adam(eps=0), ValueError, r"Adam: eps must be a finite number in \(0, inf\)"),
    (lambda d: O.WeightDecay(-1), ValueError, r"WeightDecay: rate must be a finite number in \[0, inf\)"),
    (lambda d: O.WeightDecay("1e-4"), TypeError, r"WeightDecay: rate must be a real number"),
    (lambda d: O.ClipGrad(-1), ValueError, r"ClipGrad: max_norm must be a finite number in \(0, inf\), got -1"),
    (lambda d: O.ClipGrad(0), ValueError, r"ClipGrad: max_norm must be a finite number in \(0, inf\), got 0"),
    (lambda d: O.SGD().setup([Parameter(np.ones(2))]), TypeError, r"SGD.setup: target must be a Layer or Model"),
    (lambda d: O.Adam().setup(None), TypeError, r"Adam.setup: target must be a Layer or Model .*got NoneType"),
    (lambda d: O.FreezeParam(3), TypeError, r"FreezeParam: each argument must be a Layer or a Parameter, got int"),
    (lambda d: O.SGD().add_hook(0.5), TypeError, r"SGD.add_hook: f must be callable"),
    (lambda d: O.SGD().update(), ValueError, r"SGD.update: call setup\(model\) first"),
    # ------------------------------------------------------------------ datasets
    (lambda d: D.MNIST(train="test"), TypeError, r"MNIST: train must be a bool, got 'test'"),
    (lambda d: D.Spiral(train=1), TypeError, r"Spiral: train must be a bool, got 1"),
    (lambda d: D.SinCurve(transform="flatten"), TypeError, r"SinCurve: transform must be callable or None"),
    (lambda d: D.Spiral(target_transform=3), TypeError, r"Spiral: target_transform must be callable or None"),
    (lambda d: D.MNIST(sample="yes"), ValueError, r"MNIST: sample must be None, True, False or 'auto'"),
    (lambda d: D.Spiral()["a"], TypeError, r"Spiral: index must be an int, got str"),
    (lambda d: D.load_idx_pair(d / "truncated.gz", d / "truncated.gz"), ValueError,
     r"truncated.gz: damaged or truncated gzip file"),
    (lambda d: D.MNIST(root=d / "typo"), D.DataNotFoundError, r"mnist files not found locally .*pass root=DIR"),
    # ------------------------------------------------------------------ dataloaders
    (lambda d: DataLoader(D.Spiral(), 0), ValueError, r"DataLoader: batch_size must be a positive int, got 0"),
    (lambda d: DataLoader(D.Spiral(), 2.0), TypeError, r"DataLoader: batch_size must be a positive int, got 2.0"),
    (lambda d: DataLoader(3, 2), TypeError, r"DataLoader: dataset must be a Dataset .*got int"),
    (lambda d: DataLoader(D.Spiral(), 2, shuffle="yes"), TypeError, r"DataLoader: shuffle must be a bool"),
    (lambda d: DataLoader(D.Spiral(), 2, gpu=1), TypeError, r"DataLoader: gpu must be a bool, got 1"),
    (lambda d: SeqDataLoader(D.SinCurve(), 1000), ValueError, r"SeqDataLoader: batch_size 1000 exceeds"),
    (lambda d: SeqDataLoader(D.SinCurve(), -1), ValueError, r"SeqDataLoader: batch_size must be a positive int"),
    # ------------------------------------------------------------------ transforms
    (lambda d: T.Compose(3), TypeError, r"Compose: transforms must be a list of callables, got int"),
    (lambda d: T.Compose([T.Flatten(), 3]), TypeError, r"Compose: transforms\[1\] must be callable, got int"),
    (lambda d: T.Normalize(0, 0), ValueError, r"Normalize: std must be non-zero"),
    (lambda d: T.Normalize([0, 0], [1, 0]), ValueError, r"Normalize: std must be non-zero"),
    (lambda d: T.Normalize("a", 1), TypeError, r"Normalize: mean must be a number or a sequence of numbers"),
    (lambda d: T.Normalize(0, float("nan")), ValueError, r"Normalize: std must be finite numbers"),
    (lambda d: T.Normalize([1, 2, 3], 1)(np.ones((2, 4, 4))), ValueError,
     r"Normalize: mean/std have 3 values but the input has 2 channels"),
    (lambda d: T.AsType("notadtype"), TypeError, r"AsType: dtype 'notadtype' is not a NumPy dtype"),
    (lambda d: T.ToInt("int77"), TypeError, r"ToInt: dtype 'int77' is not a NumPy dtype"),
    (lambda d: T.CenterCrop(0), ValueError, r"CenterCrop: size must be positive"),
    (lambda d: T.CenterCrop(8)(np.ones((1, 4, 4))), ValueError, r"CenterCrop: crop size .* exceeds the image"),
    (lambda d: T.Resize(1.5), TypeError, r"Resize: size must be an int or a pair"),
    (lambda d: T.ToArray()(3), TypeError, r"ToArray: expected a PIL image or a NumPy array, got int"),
    (lambda d: T.Convert("L")(np.ones((2, 4, 4))), ValueError, r"Convert: expected an array of shape \(C, H, W\)"),
    (lambda d: T.RandomHorizontalFlip(1.5), ValueError, r"RandomHorizontalFlip: p must be in \[0, 1\]"),
    (lambda d: T.RandomHorizontalFlip("half"), TypeError, r"RandomHorizontalFlip: p must be a probability"),
    # ------------------------------------------------------------------ files and utils
    (lambda d: utils.get_file("https://example.org/x", file_name="../.."), ValueError,
     r"get_file: file_name must be a plain file name"),
    (lambda d: utils.get_file("https://example.org/x", file_name="/etc/passwd"), ValueError,
     r"get_file: file_name must be a plain file name"),
    (lambda d: utils.get_file("https://example.org/x", file_name="sub/x"), ValueError,
     r"get_file: file_name must be a plain file name"),
    (lambda d: utils.get_file("https://example.org/x", file_name=3), TypeError, r"get_file: file_name must be a str"),
    (lambda d: utils.get_file("https://example.org/dir/"), ValueError, r"get_file: cannot name a file after"),
    (lambda d: utils.get_file("https://example.org/x", md5="not-a-checksum"), ValueError,
     r"get_file: md5 must be None or 32 hex digits"),
    (lambda d: utils.get_file(b"https://example.org/x"), TypeError, r"get_file: url must be a str"),
    (lambda d: utils.get_file("https://example.org/w.npz", md5="0" * 32), OSError, r"MD5 [0-9a-f]{32} != 0{32}"),
    (lambda d: files.atomic_path(d).__enter__(), IsADirectoryError, r"atomic_path: .* is a directory"),
    (lambda d: utils.pair(1.5, "kernel_size"), TypeError, r"kernel_size must be an int or a pair of ints, got 1.5"),
    (lambda d: utils.pair((1, 2, 3), "stride"), TypeError, r"stride must be an int or a pair of ints"),
    (lambda d: utils.positive_int(-1, "n"), ValueError, r"n must be a positive int, got -1"),
    (lambda d: utils.positive_int(True, "n"), TypeError, r"n must be a positive int, got True"),
    (lambda d: utils.plot_dot_graph(Variable(np.ones(2)), to_file=d / "graph"), ValueError,
     r"plot_dot_graph: to_file .*graph' needs an extension"),
    (lambda d: check_function(3, [np.ones(2)]), TypeError, r"minigrad.testing: fn must be a Function class"),
]


@pytest.fixture
def d(tmp_path, monkeypatch):
    """A directory of bad files; downloads are offline and the cache lives inside it."""
    monkeypatch.setenv("MINIGRAD_DATA", str(tmp_path / "cache"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))

    def fetch(url, path):
        if url.endswith("/w.npz"):
            open(path, "wb").write(b"not the file")
            return
        raise OSError("network disabled in tests")
    monkeypatch.setattr(files, "fetch", fetch)
    np.savez(tmp_path / "conv5.npz", W=np.ones((4, 2, 5, 5), np.float32), b=np.zeros(4, np.float32))
    np.savez(tmp_path / "linear7.npz", W=np.ones((3, 7)), b=np.zeros(7))
    np.savez(tmp_path / "complex.npz", W=np.ones((3, 10), complex), b=np.zeros(10))
    np.savez(tmp_path / "dates.npz", W=np.zeros((3, 10), "datetime64[s]"), b=np.zeros(10))
    np.savez(tmp_path / "bools.npz", W=np.ones((3, 10), bool), b=np.zeros(10))
    np.savez(tmp_path / "objects.npz", W=np.empty((3, 10), object), b=np.zeros(10))
    np.save(tmp_path / "array.npy", np.ones((3, 10)))
    (tmp_path / "text.npz").write_text("not a zip")
    (tmp_path / "truncated.gz").write_bytes(b"\x1f\x8b\x08\x00")
    return tmp_path


def test_the_table_is_large_and_covers_every_area():
    assert len(ROWS) >= 100


@pytest.mark.parametrize("call, error, message", ROWS, ids=[f"row{i:03d}" for i in range(len(ROWS))])
def test_bad_input_raises_naming_the_argument(d, call, error, message):
    before = os.getcwd()
    with pytest.raises(error, match=message):
        call(d)
    assert os.getcwd() == before
