"""minigrad.onnx.export: every op-table row and whole models run in onnxruntime as they run in minigrad.

Equivalence is checked in float32 on fresh random inputs, at several batch sizes where the batch is
dynamic.  Skips cleanly without onnx or onnxruntime.
"""
import subprocess
import sys

import numpy as np
import pytest

onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")

import minigrad.functions as F  # noqa: E402
import minigrad.layers as L  # noqa: E402
from minigrad import models  # noqa: E402
import minigrad.core  # noqa: E402
from minigrad.core import Function, Parameter, Variable, no_grad  # noqa: E402
from minigrad.onnx import ExportError, export, supported_functions, unsupported_functions  # noqa: E402
from tests.op_table import ALL_CASES  # noqa: E402

RTOL = 1e-5


def session(model_proto):
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    return ort.InferenceSession(model_proto.SerializeToString(), options, providers=["CPUExecutionProvider"])


def assert_close(got, expected, what):
    """Equal within 1e-5 relative in float32 (with an absolute floor at 1e-6 of the largest value)."""
    expected = np.asarray(expected)
    assert got.shape == expected.shape, f"{what}: shape {got.shape} != {expected.shape}"
    scale = float(np.abs(expected).max()) if expected.size else 1.0
    np.testing.assert_allclose(got, expected, rtol=RTOL, atol=1e-6 * max(scale, 1e-3), err_msg=what)


def run_minigrad(fn, *args):
    with minigrad.core.test_mode(), no_grad():
        return fn(*[Variable(a) if isinstance(a, np.ndarray) else a for a in args]).data


# =============================================================================
# The op table: every row exports (or names the Function that has no mapping) and matches
# =============================================================================
def _row_arrays(case, seed):
    """The row's inputs for `seed`, floats as float32."""
    arrays = [np.asarray(a) for a in case["make_inputs"](np.random.default_rng(seed))]
    return [a.astype(np.float32) if a.dtype.kind == "f" else a for a in arrays]


def _row_model(case):
    """(fn of the float inputs, indexes of the float inputs): integer inputs (labels, ids) are
    constants of the row, as the op table passes them as plain arrays."""
    fixed = _row_arrays(case, 0)
    float_idx = [i for i, a in enumerate(fixed) if a.dtype.kind == "f"]

    def fn(*floats):
        args = list(fixed)
        for i, v in zip(float_idx, floats):
            args[i] = v
        return case["fn"](*args)
    return fn, float_idx


def _functions_of(y):
    seen, stack, out = set(), [y.creator] if y.creator else [], set()
    while stack:
        f = stack.pop()
        if id(f) in seen:
            continue
        seen.add(id(f))
        out.add(type(f).__name__)
        stack.extend(x.creator for x in f.inputs if x.creator is not None)
    return out


def _export_row(case, dynamic_batch, fn, example):
    """The exported row, or pytest.skip when a Function of it has no mapping (which must be one of
    those export declares unmapped, named in the error with its node)."""
    try:
        return export(fn, example, None, dynamic_batch=dynamic_batch)
    except ExportError as e:
        assert e.function in unsupported_functions(), f"{case['name']}: a mapped Function failed: {e}"
        assert e.function in str(e) and e.node in str(e)
        pytest.skip(f"{e.function} has no ONNX mapping")


_IDS = [case["name"] for case in ALL_CASES]


@pytest.mark.parametrize("case", ALL_CASES, ids=_IDS)
def test_op_row_matches_onnxruntime(case):
    fn, float_idx = _row_model(case)
    example = [_row_arrays(case, 0)[i] for i in float_idx]
    sess = session(_export_row(case, False, fn, example))
    names = [i.name for i in sess.get_inputs()]
    for seed in (0, 1, 2):  # fresh random inputs of the same shapes
        floats = [_row_arrays(case, 100 + seed)[i] for i in float_idx]
        got = sess.run(None, dict(zip(names, floats)))[0]
        assert_close(got, run_minigrad(fn, *floats), f"{case['name']}, seed {seed}")


def _batch_resized(a, n, rng):
    return rng.standard_normal((n,) + a.shape[1:]).astype(a.dtype)


def _row_first_input(case, batch):
    """The row's first input at another batch size: rows of fresh draws of its generator (so the
    values stay in the row's domain: positive for log ...)."""
    draws, rows = 0, []
    while sum(len(r) for r in rows) < batch:
        rows.append(_row_arrays(case, 200 + draws)[0])
        draws += 1
    return np.concatenate(rows)[:batch]


@pytest.mark.parametrize("case", ALL_CASES, ids=_IDS)
def test_op_row_dynamic_batch(case):
    """The row's first float input as the only graph input, its axis 0 the batch: at every batch size
    where minigrad runs the row, the file gives minigrad's answer; or export refuses, saying that a
    shape depends on the batch."""
    fn, float_idx = _row_model(case)
    arrays = _row_arrays(case, 0)
    if not float_idx or float_idx[0] != 0 or arrays[0].ndim == 0:
        pytest.skip("the first input is not a float array with a batch axis")
    rest = [Variable(arrays[i]) for i in float_idx[1:]]

    def first_only(x):
        return fn(x, *rest)
    try:
        proto = export(first_only, arrays[0], None, dynamic_batch=True)
    except ExportError as e:
        if "dynamic_batch=False" in str(e):
            pytest.skip(f"depends on the batch size: {e}")
        assert e.function in unsupported_functions(), f"{case['name']}: a mapped Function failed: {e}"
        pytest.skip(f"{e.function} has no ONNX mapping")
    sess = session(proto)
    n, checked = arrays[0].shape[0], 0
    for batch in (n, n + 2, 1):
        x = _row_first_input(case, batch)
        try:
            expected = run_minigrad(first_only, x)
        except (ValueError, IndexError):  # the row itself fixes the batch (labels of length n ...)
            continue
        assert_close(sess.run(None, {"input": x})[0], expected, f"{case['name']}, batch {batch}")
        checked += 1
    assert checked


def test_every_mapped_function_has_an_exported_row():
    """The rows above exercise every Function export maps (so each mapping is checked against
    onnxruntime), and every row whose Functions are all mapped is one that exports."""
    used = set()
    for case in ALL_CASES:
        fn, float_idx = _row_model(case)
        with minigrad.core.test_mode():
            y = fn(*[Variable(_row_arrays(case, 0)[i]) for i in float_idx])
        used |= _functions_of(y)
    missing = set(supported_functions()) - used
    assert not missing, f"mapped Functions no op-table row exercises: {sorted(missing)}"


def _function_classes():
    import inspect
    import minigrad.core
    modules = [F, minigrad.core]
    try:
        import minigrad.functions_conv
        modules.append(minigrad.functions_conv)
    except ImportError:
        pass
    classes = set()
    for module in modules:
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, Function) and cls.forward is not Function.forward:
                classes.add(cls.__name__)
    return classes


def test_every_function_maps_or_is_refused_with_a_reason():
    classes = _function_classes()
    assert len(classes) > 40
    mapped, refused = set(supported_functions()), unsupported_functions()
    assert not mapped & set(refused)
    assert classes <= mapped | set(refused), sorted(classes - mapped - set(refused))
    assert all(refused.values())


# =============================================================================
# Whole models
# =============================================================================
def check_model(model, example, batches, tmp_path=None, **kwargs):
    """Export (to a file when tmp_path is given), check it, compare at each batch size."""
    path = None if tmp_path is None else tmp_path / "model.onnx"
    proto = export(model, example, path, **kwargs)
    if path is not None:
        onnx.checker.check_model(str(path))
        proto = onnx.load(str(path))
    sess = session(proto)
    rng = np.random.default_rng(3)
    for batch in batches:
        x = _batch_resized(example, batch, rng)
        assert_close(sess.run(None, {"input": x})[0], run_minigrad(model, x), f"batch {batch}")
    return proto


def test_lenet(tmp_path):
    np.random.seed(0)
    model = models.LeNet()
    proto = check_model(model, np.zeros((2, 1, 28, 28), np.float32), (1, 3, 8), tmp_path)
    names = [t.name for t in proto.graph.initializer]
    for key in ("conv1/W", "conv1/b", "conv2/W", "fc1/W", "fc3/b"):
        assert key in names
    batch_dim = proto.graph.input[0].type.tensor_type.shape.dim[0]
    assert batch_dim.dim_param == "batch"
    assert proto.graph.output[0].type.tensor_type.shape.dim[0].dim_param == "batch"


def test_lenet_fixed_batch():
    np.random.seed(1)
    model = models.LeNet()
    proto = check_model(model, np.zeros((4, 1, 28, 28), np.float32), (4,), dynamic_batch=False)
    assert proto.graph.input[0].type.tensor_type.shape.dim[0].dim_value == 4


def test_mlp():
    np.random.seed(2)
    check_model(models.MLP((32, 16, 10)), np.zeros((5, 20), np.float32), (1, 5, 7))
    check_model(models.MLP((8, 3), activation=F.tanh), np.zeros((2, 4), np.float32), (1, 6))


def test_vgg16_small_input():
    """Random weights; a 32x32 input makes fc6 512 -> 4096 (it is sized on the first call)."""
    np.random.seed(3)
    model = models.VGG16(num_classes=10)
    proto = check_model(model, np.zeros((2, 3, 32, 32), np.float32), (1, 2))
    ops = [n.op_type for n in proto.graph.node]
    assert ops.count("Conv") == 13 and ops.count("MaxPool") == 5 and "Dropout" not in ops


def test_conv_layers_batch_norm_and_pooling_with_padding():
    np.random.seed(4)
    model = models.Sequential(
        L.Conv2d(4, kernel_size=(3, 2), stride=(2, 1), pad=(1, 0)), L.BatchNorm(), F.relu,
        L.MaxPool2D(3, stride=2, pad=1),
        L.Deconv2d(3, kernel_size=(2, 3), stride=2, pad=(0, 1)),
        L.AveragePool2D((3, 2), stride=1, pad=1), F.tanh, L.Flatten(), L.Linear(5))
    x = np.random.randn(6, 2, 11, 9).astype(np.float32)
    model(Variable(x))  # training-mode call: batch statistics move the running averages
    bn = model.layers[1]
    assert not np.allclose(bn.avg_mean.data, 0)
    check_model(model, x, (1, 6, 2))


def test_max_pooling_pads_with_minus_infinity():
    x = -np.random.default_rng(0).uniform(1, 2, (2, 1, 4, 4)).astype(np.float32)
    sess = session(export(lambda v: F.pooling(v, 3, 2, 1), x, None))
    got = sess.run(None, {"input": x})[0]
    assert (got < 0).all()  # padding with zeros would give 0 at the border windows
    assert_close(got, run_minigrad(lambda v: F.pooling(v, 3, 2, 1), x), "max pooling")


def test_embed_id_with_ids_as_input():
    np.random.seed(5)
    model = models.Sequential(L.EmbedID(20, 6), L.Linear(3))
    ids = np.array([[1, 4, 19], [0, 0, 7]])
    proto = export(model, ids, None)
    assert proto.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.INT64
    sess = session(proto)
    for batch in (1, 2, 5):
        x = np.random.default_rng(batch).integers(0, 20, (batch, 3))
        assert_close(sess.run(None, {"input": x})[0], run_minigrad(model, x), f"batch {batch}")


def test_several_inputs_and_outputs():
    def fn(x, t):
        y = F.linear(x, W)
        return F.softmax(y), F.softmax_cross_entropy(y, t)
    W = Parameter(np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32))
    x = np.random.default_rng(1).standard_normal((5, 4)).astype(np.float32)
    t = np.array([0, 2, 1, 1, 0])
    proto = export(fn, (x, t), None, input_names=["x", "t"], output_names=["p", "loss"])
    sess = session(proto)
    for batch in (5, 2):
        xb, tb = x[:batch], t[:batch]
        p, loss = sess.run(["p", "loss"], {"x": xb, "t": tb})
        with no_grad():
            p_ref, loss_ref = fn(Variable(xb), Variable(tb))
        assert_close(p, p_ref.data, "softmax")
        assert_close(loss, loss_ref.data, "loss")


def test_mean_and_loss_follow_the_batch_size():
    """average over the batch axis and the losses' division by len(x) are not baked in."""
    def fn(x):
        return F.mean(x, axis=0) + F.mean_squared_error(x, x * 0.5) + F.sum(x) / 7.0
    x = np.random.default_rng(0).standard_normal((4, 3)).astype(np.float32)
    sess = session(export(fn, x, None))
    for batch in (4, 1, 9):
        xb = np.random.default_rng(batch).standard_normal((batch, 3)).astype(np.float32)
        assert_close(sess.run(None, {"input": xb})[0], run_minigrad(fn, xb), f"batch {batch}")


# =============================================================================
# Clear errors
# =============================================================================
class Cube(Function):
    def forward(self, x):
        return x ** 3

    def backward(self, gy):
        return gy * 3 * self.inputs[0] ** 2


def test_unknown_function_is_named_with_its_node():
    with pytest.raises(ExportError, match=r"Cube at node 'Cube'.*no ONNX mapping") as info:
        export(lambda x: F.relu(Cube()(x)), np.ones((2, 3), np.float32), None)
    assert info.value.function == "Cube" and info.value.node == "Cube"


def test_backward_function_is_refused():
    def grad_of_tanh(x):
        y = F.tanh(x)
        y.backward(create_graph=True)
        return x.grad
    with pytest.raises(ExportError, match=r"TanhGrad .*backward pass"):
        export(grad_of_tanh, np.ones((2, 3), np.float32), None)


def test_batch_dependent_shape_needs_a_fixed_batch():
    def fn(x):
        return F.reshape(x, (3, 4))  # (2, 6) -> (3, 4): the batch is mixed into both axes
    x = np.ones((2, 6), np.float32)
    with pytest.raises(ExportError, match=r"Reshape .*dynamic_batch=False"):
        export(fn, x, None)
    sess = session(export(fn, x, None, dynamic_batch=False))
    assert_close(sess.run(None, {"input": x})[0], x.reshape(3, 4), "fixed batch")


def test_input_turned_into_a_constant_is_refused():
    with pytest.raises(ExportError, match="does not reach the outputs"):
        export(lambda x: F.exp(Variable(x.data * 2)), np.ones((2, 3), np.float32), None)


def test_bad_arguments():
    x = np.ones((2, 3), np.float32)
    with pytest.raises(ValueError, match="opset"):
        export(F.exp, x, None, opset=9)
    with pytest.raises(ValueError, match="output_names"):
        export(F.exp, x, None, output_names=["a", "b"])
    with pytest.raises(TypeError, match="example_input"):
        export(F.exp, [1.0], None)


def test_opset_18_reductions():
    def fn(x):
        return F.max(x, axis=1) + F.mean(x, axis=1) - F.min(x, axis=1)
    x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    proto = export(fn, x, None, opset=18)
    assert proto.opset_import[0].version == 18
    assert_close(session(proto).run(None, {"input": x})[0], run_minigrad(fn, x), "opset 18")


def test_import_minigrad_does_not_import_onnx():
    code = "import sys, minigrad, minigrad.models; print('onnx' in sys.modules, 'onnxruntime' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_example_export_onnx(tmp_path):
    """examples/export_onnx.py (short run): onnxruntime's accuracy equals minigrad's on the same
    1,000 test digits of the bundled sample."""
    import os
    from pathlib import Path
    root = Path(__file__).resolve().parent.parent
    paths = [str(root)] + ([os.environ["PYTHONPATH"]] if os.environ.get("PYTHONPATH") else [])
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(paths))
    out = tmp_path / "lenet.onnx"
    proc = subprocess.run([sys.executable, str(root / "examples" / "export_onnx.py"), "--epochs", "1",
                           "--limit", "1000", "--out", str(out)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.strip().splitlines()
    assert "predictions agree on 1,000 of 1,000 test digits" in lines
    ours, theirs = lines[-2].split(": "), lines[-1].split(": ")
    assert ours[0] == "minigrad test accuracy" and theirs[0] == "onnxruntime test accuracy"
    assert ours[1] == theirs[1] and float(ours[1]) > 0.5
    onnx.checker.check_model(str(out))
