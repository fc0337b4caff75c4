"""Device handling: CPU fallbacks and errors everywhere; the same results on CuPy where a GPU exists."""
import subprocess
import sys
import types

import numpy as np
import pytest

import minigrad.functions as F
from minigrad import cuda, testing
from minigrad.core import Variable
from tests.op_table import ALL_CASES, make_inputs, options, tolerances

gpu = pytest.mark.skipif(not cuda.gpu_enable, reason="needs CuPy and a CUDA GPU")


def test_import_does_not_load_cupy():
    code = "import sys, minigrad, minigrad.functions_conv; print('cupy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_numpy_arrays_stay_on_numpy():
    x = np.ones(3)
    assert cuda.get_array_module(x) is np
    assert cuda.get_array_module(Variable(x)) is np
    assert cuda.as_numpy(x) is x
    assert cuda.as_numpy(Variable(x)) is x
    np.testing.assert_array_equal(cuda.as_numpy(2.5), np.array(2.5))
    assert cuda.device_name(x) == "cpu"


@pytest.mark.skipif(cuda.gpu_enable, reason="checks the behaviour without a GPU")
def test_to_gpu_without_gpu_says_what_is_missing():
    v = Variable(np.ones(2))
    with pytest.raises((ImportError, RuntimeError), match="CuPy|GPU"):
        v.to_gpu()
    np.testing.assert_array_equal(v.data, np.ones(2))  # nothing lost


class _FakeDevice:
    def __init__(self, i):
        self.id = i


class _FakeGpuArray(np.ndarray):
    """A host array posing as a CuPy array, to exercise the device checks without a GPU.  Like a CuPy
    array, its `.data` is not an array (a CuPy array's is a memory pointer)."""
    device = _FakeDevice(0)

    @property
    def data(self):
        return "<MemoryPointer>"


@pytest.fixture
def fake_cupy(monkeypatch):
    module = types.ModuleType("cupy")
    module.ndarray = _FakeGpuArray
    module.__getattr__ = lambda name: getattr(np, name)  # array functions: NumPy's
    monkeypatch.setitem(sys.modules, "cupy", module)
    return module


def test_gpu_arrays_are_not_mistaken_for_variables(fake_cupy):
    g = np.ones(3).view(_FakeGpuArray)
    assert cuda.get_array_module(g) is fake_cupy
    assert cuda.get_array_module(Variable(g)) is fake_cupy
    assert cuda.get_array_module(np.ones(3)) is np


def test_mixing_devices_names_both(fake_cupy):
    cpu = Variable(np.ones(3))
    gpu_array = np.ones(3).view(_FakeGpuArray)
    assert cuda.is_cupy_array(gpu_array)
    assert cuda.device_name(gpu_array) == "gpu:0"
    with pytest.raises(TypeError, match=r"Mul: inputs live on different devices \(cpu, gpu:0\)"):
        cpu * Variable(gpu_array)
    with pytest.raises(TypeError, match="different devices"):
        F.matmul(Variable(np.ones((2, 3)).view(_FakeGpuArray)), Variable(np.ones((3, 2))))


def test_same_device_passes_the_check(fake_cupy):
    a = Variable(np.ones(3).view(_FakeGpuArray))
    b = Variable(np.full(3, 2.0).view(_FakeGpuArray))
    np.testing.assert_array_equal(np.asarray((a * b).data), np.full(3, 2.0))


# ---------------------------------------------------------------------------------------- on a GPU
@gpu
def test_gpu_results_match_cpu():
    import cupy
    rng = np.random.default_rng(0)
    x = rng.standard_normal((4, 3)).astype(np.float32)
    W = rng.standard_normal((3, 5)).astype(np.float32)
    t = np.array([0, 1, 4, 2])

    def loss(xv, Wv, tv):
        y = F.softmax_cross_entropy(F.tanh(F.linear(xv, Wv)), tv)
        y.backward()
        return y

    xc, Wc = Variable(x), Variable(W)
    yc = loss(xc, Wc, t)
    xg, Wg = Variable(cupy.asarray(x)), Variable(cupy.asarray(W))
    yg = loss(xg, Wg, cupy.asarray(t))
    assert isinstance(yg.data, cupy.ndarray)
    np.testing.assert_allclose(cuda.as_numpy(yg), yc.data, rtol=1e-5)
    np.testing.assert_allclose(cuda.as_numpy(Wg.grad), Wc.grad.data, rtol=1e-4, atol=1e-6)


@gpu
def test_model_moves_and_saves_from_gpu(tmp_path):
    import cupy
    from minigrad.models import MLP
    model = MLP((4, 2))
    x = np.ones((3, 5), np.float32)
    y_cpu = model(x).data
    model.to_gpu()
    assert all(isinstance(p.data, cupy.ndarray) for p in model.params())
    path = tmp_path / "w.npz"
    model.save_weights(path)
    assert all(isinstance(p.data, cupy.ndarray) for p in model.params())  # not moved by saving
    other = MLP((4, 2))
    other(x)
    other.to_gpu()
    other.load_weights(path)
    assert all(isinstance(p.data, cupy.ndarray) for p in other.params())
    np.testing.assert_allclose(cuda.as_numpy(other(cupy.asarray(x))), y_cpu, rtol=1e-5)


@gpu
def test_optimizer_state_on_parameter_device():
    import cupy
    from minigrad import optimizers
    from minigrad.models import MLP
    model = MLP((3, 2))
    x = cupy.ones((4, 2), dtype=cupy.float32)
    model(cuda.as_numpy(x))
    model.to_gpu()
    opt = optimizers.Adam().setup(model)
    loss = F.sum(model(x))
    loss.backward()
    opt.update()
    for state in opt.state.values():
        assert all(isinstance(a, cupy.ndarray) for a in state.values())


def test_absent_optional_input_is_not_a_device(fake_cupy):
    from minigrad.functions_conv import Conv2d
    x = Variable(np.ones((1, 1, 3, 3)).view(_FakeGpuArray))
    W = Variable(np.ones((1, 1, 2, 2)).view(_FakeGpuArray))
    y = Conv2d()(x, W, None)  # DeZero-style call with an explicit None bias
    np.testing.assert_array_equal(np.asarray(y.data), np.full((1, 1, 2, 2), 4.0))


# The op table on CuPy: forward values and first-order gradients equal the CPU's; and the public
# harness, given CuPy inputs, checks Functions on the GPU.
@gpu
@pytest.mark.parametrize("case", ALL_CASES, ids=[c["name"] for c in ALL_CASES])
def test_op_table_on_gpu_matches_cpu(case):
    import cupy
    if case["name"].startswith("dropout_train"):
        pytest.skip("CuPy's random stream differs from NumPy's: masks are not comparable")
    arrays = make_inputs(case)
    y_cpu, grads_cpu = testing.gradients(case["fn"], [a.copy() for a in arrays])
    try:
        y, grads = testing.gradients(case["fn"], [cupy.asarray(a) for a in arrays])
    except TypeError as e:
        if "different devices" in str(e):
            pytest.skip("this row mixes in NumPy constants, which is rightly refused on the GPU")
        raise
    assert isinstance(y.data, cupy.ndarray)
    np.testing.assert_allclose(cuda.as_numpy(y), y_cpu.data, rtol=1e-6, atol=1e-8)
    for a, g, g_cpu in zip(arrays, grads, grads_cpu):
        if a.dtype.kind != "f":
            continue
        g = np.zeros(a.shape) if g is None else cuda.as_numpy(g)
        g_cpu = np.zeros(a.shape) if g_cpu is None else g_cpu.data
        np.testing.assert_allclose(g, g_cpu, rtol=1e-6, atol=1e-8)


@gpu
@pytest.mark.parametrize("name", ["sin", "matmul_batched_both", "softmax_cross_entropy", "get_item_slices",
                                  "conv2d_2x3_stride21_pad10", "pooling_3x3_stride1_pad1",
                                  "average_pooling_3x3_stride2_pad1"])
def test_harness_checks_functions_on_the_gpu(name):
    import cupy
    case = next(c for c in ALL_CASES if c["name"] == name)
    inputs = [cupy.asarray(a) for a in make_inputs(case)]
    testing.check_function(case["fn"], inputs, case["reference"], **tolerances(case), **options(case))
