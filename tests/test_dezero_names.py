"""The book's names that DeZero code uses with `import minigrad as dezero`: Variable.dot/matmul,
F.batch_nrom and F.BatchNorm, dataloaders.pil_available, the datasets and models of the last steps."""
import importlib.util

import numpy as np

import minigrad as dezero
import minigrad.functions as F
from minigrad import Variable, using_config


def test_variable_dot_and_matmul():
    x = Variable(np.arange(6.0).reshape(2, 3))
    w = np.arange(12.0).reshape(3, 4)
    for method in ("dot", "matmul", "matmaul"):  # matmaul: DeZero's spelling
        y = getattr(x, method)(w)
        np.testing.assert_array_equal(y.data, x.data @ w)
        x.cleargrad()
        y.backward()
        np.testing.assert_array_equal(x.grad.data, np.ones((2, 4)) @ w.T)


def test_batch_nrom_is_batch_norm_and_BatchNorm_is_dezeros_function():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, 3)).astype(np.float32)
    gamma, beta = rng.standard_normal(3).astype(np.float32), rng.standard_normal(3).astype(np.float32)
    mean, var = np.zeros(3, np.float32), np.ones(3, np.float32)
    with using_config("train", True):
        y = F.batch_nrom(x, gamma, beta, mean, var)
        f = F.BatchNorm(np.zeros(3, np.float32), np.ones(3, np.float32), 0.9, 2e-5)
        y2 = f(x, gamma, beta)
    assert isinstance(f, dezero.Function) and y.dtype == np.float32
    expected = (x - x.mean(0)) / np.sqrt(x.var(0) + 2e-5) * gamma + beta
    np.testing.assert_allclose(y.data, expected, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(y.data, y2.data)
    np.testing.assert_allclose(f.avg_mean, 0.1 * x.mean(0), rtol=1e-5)  # running statistics, in place
    np.testing.assert_allclose(mean, f.avg_mean)


def test_pil_available():
    assert dezero.dataloaders.pil_available is (importlib.util.find_spec("PIL") is not None)


def test_book_names_exist():
    for name in ("CIFAR10", "CIFAR100", "ImageNet", "Shakespear", "load_cache_npz", "save_cache_npz"):
        assert hasattr(dezero.datasets, name), name
    for name in ("ResNet", "ResNet50", "ResNet101", "ResNet152", "BuildingBlock", "BottleneckA",
                 "BottleneckB", "VGG16"):
        assert hasattr(dezero.models, name), name
    assert callable(dezero.datasets.MNIST.show) and callable(dezero.datasets.ImageNet.labels)
