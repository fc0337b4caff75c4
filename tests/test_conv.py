"""The convolution family: references, adjointness, higher orders, layers, errors, dtypes, PyTorch.

The per-op checks of minigrad.testing (forward, first and second order, dtype, repeat, non-contiguous
inputs) run over the rows of tests/op_table_conv.py in tests/test_op_table.py; this file checks what a
row cannot express.
"""
import numpy as np
import pytest

import minigrad.functions as F
import minigrad.functions_conv as FC
import minigrad.layers as LC
import minigrad.kernels.geometry as KG
from minigrad import utils
from minigrad.core import Variable, no_grad
from minigrad.kernels.reduction import sum_channels
from tests.op_table import ALL_CASES, make_inputs
from tests.op_table_conv import (CONV_CASES, ref_avg_pool, ref_conv2d, ref_conv2d_grad_w, ref_deconv2d,
                                 ref_max_pool, ref_max_pool_grad)


def _rng(seed=0):
    return np.random.default_rng(seed)


def _grad(y, *xs, seed=None, create_graph=False):
    """Gradients of sum(y * seed) (seed default ones) with respect to the Variables xs."""
    for x in xs:
        x.cleargrad()
    y.grad = Variable(np.ones(y.shape, dtype=y.dtype) if seed is None else seed)
    y.backward(create_graph=create_graph)
    return [x.grad for x in xs]


def _random_geometry(rng, stride_max=3):
    """A random valid (x shape, W shape, stride, pad) for conv2d."""
    while True:
        N, C, OC = rng.integers(1, 4), rng.integers(1, 4), rng.integers(1, 5)
        H, W = rng.integers(1, 10), rng.integers(1, 10)
        KH, KW = rng.integers(1, 5), rng.integers(1, 5)
        SH, SW = rng.integers(1, stride_max + 1), rng.integers(1, stride_max + 1)
        PH, PW = rng.integers(0, 3), rng.integers(0, 3)
        if KH <= H + 2 * PH and KW <= W + 2 * PW:
            return (int(N), int(C), int(H), int(W)), (int(OC), int(C), int(KH), int(KW)), \
                (int(SH), int(SW)), (int(PH), int(PW))


# =============================================================================
# The table's rows (their coverage of every Function: tests/test_op_table.py)
# =============================================================================
def test_conv_rows_are_in_the_shared_table():
    names = {c["name"] for c in ALL_CASES}
    assert {c["name"] for c in CONV_CASES} <= names


@pytest.mark.parametrize("name", ["conv2d_3x3", "conv2d_2x3_stride21_pad10", "deconv2d_2x3_stride2_pad1",
                                  "pooling_3x3_stride1_pad1", "average_pooling_2x3_stride12_pad10"])
def test_rows_pass_utils_gradient_check(name):
    """The DeZero-style utils.gradient_check agrees too (first and second order, all inputs)."""
    case = next(c for c in CONV_CASES if c["name"] == name)
    assert utils.gradient_check(case["fn"], *make_inputs(case), second_order=True)


# =============================================================================
# Against direct loops, on random sizes
# =============================================================================
@pytest.mark.parametrize("seed", range(40))
def test_conv2d_matches_direct_loop_random_sizes(seed):
    rng = _rng(seed)
    xs, ws, stride, pad = _random_geometry(rng)
    x, W, b = rng.standard_normal(xs), rng.standard_normal(ws), rng.standard_normal(ws[0])
    y = FC.conv2d(Variable(x), Variable(W), Variable(b), stride, pad)
    np.testing.assert_allclose(y.data, ref_conv2d(x, W, b, stride, pad), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("seed", range(20))
def test_conv2d_gradients_match_direct_loops_random_sizes(seed):
    """gx by the adjoint (deconv) loop, gW by the weight-gradient loop, gb by a sum."""
    rng = _rng(100 + seed)
    xs, ws, stride, pad = _random_geometry(rng)
    x, W, b = Variable(rng.standard_normal(xs)), Variable(rng.standard_normal(ws)), \
        Variable(rng.standard_normal(ws[0]))
    y = FC.conv2d(x, W, b, stride, pad)
    gy = rng.standard_normal(y.shape)
    gx, gW, gb = _grad(y, x, W, b, seed=gy)
    np.testing.assert_allclose(gW.data, ref_conv2d_grad_w(x.data, gy, ws[2:], stride, pad), rtol=1e-10,
                               atol=1e-12)
    np.testing.assert_allclose(gb.data, gy.sum(axis=(0, 2, 3)), rtol=1e-10, atol=1e-12)
    expected_gx = ref_deconv2d(gy, W.data, None, stride, pad, outsize=xs[2:])
    np.testing.assert_allclose(gx.data, expected_gx, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("seed", range(15))
def test_pooling_matches_direct_loops_random_sizes(seed):
    rng = _rng(200 + seed)
    N, C, H, W = (int(v) for v in rng.integers(1, 8, 4))
    KH, KW = int(rng.integers(1, min(H, 4) + 1)), int(rng.integers(1, min(W, 4) + 1))
    SH, SW = (int(v) for v in rng.integers(1, 4, 2))
    PH, PW = int(rng.integers(0, KH)), int(rng.integers(0, KW))
    x = rng.permutation(N * C * H * W).reshape(N, C, H, W) - 0.5 * N * C * H * W  # distinct values
    k, s, p = (KH, KW), (SH, SW), (PH, PW)
    xv = Variable(x.astype(np.float64))
    y = FC.pooling(xv, k, s, p)
    np.testing.assert_array_equal(y.data, ref_max_pool(x, k, s, p))
    gy = rng.standard_normal(y.shape)
    gx, = _grad(y, xv, seed=gy)
    np.testing.assert_allclose(gx.data, ref_max_pool_grad(x, gy, k, s, p), rtol=1e-12, atol=1e-12)
    xa = Variable(rng.standard_normal((N, C, H, W)))
    ya = FC.average_pooling(xa, k, s, p)
    np.testing.assert_allclose(ya.data, ref_avg_pool(xa.data, k, s, p), rtol=1e-12, atol=1e-12)


# =============================================================================
# Adjointness
# =============================================================================
@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("to_matrix", [True, False])
def test_im2col_col2im_are_adjoint(seed, to_matrix):
    """<im2col(x), y> == <x, col2im(y)> for random geometries."""
    rng = _rng(300 + seed)
    xs, ws, stride, pad = _random_geometry(rng)
    kernel = ws[2:]
    x = rng.standard_normal(xs)
    col = FC.im2col_array(x, kernel, stride, pad, to_matrix)
    y = rng.standard_normal(col.shape)
    back = FC.col2im_array(y, xs, kernel, stride, pad, to_matrix)
    assert back.shape == xs
    np.testing.assert_allclose(np.vdot(col, y), np.vdot(x, back), rtol=1e-11)


@pytest.mark.parametrize("seed", range(12))
def test_deconv_is_the_adjoint_of_conv(seed):
    """<conv2d(x, W), y> == <x, deconv2d(y, W, outsize=x's size)> with the same W, stride, pad."""
    rng = _rng(400 + seed)
    xs, ws, stride, pad = _random_geometry(rng)
    x, W = rng.standard_normal(xs), rng.standard_normal(ws)
    y_conv = FC.conv2d(Variable(x), Variable(W), None, stride, pad).data
    z = rng.standard_normal(y_conv.shape)
    x_back = FC.deconv2d(Variable(z), Variable(W), None, stride, pad, outsize=xs[2:]).data
    assert x_back.shape == xs
    np.testing.assert_allclose(np.vdot(y_conv, z), np.vdot(x, x_back), rtol=1e-11)


def test_deconv_default_outsize_and_layer_shape():
    x = np.zeros((2, 3, 4, 5), dtype=np.float32)
    y = FC.deconv2d(x, np.zeros((3, 7, 3, 2), dtype=np.float32), stride=(2, 3), pad=(1, 0))
    assert y.shape == (2, 7, 2 * 3 + 3 - 2, 3 * 4 + 2)


# =============================================================================
# Chunking and the internal code paths
# =============================================================================
@pytest.mark.parametrize("stride,pad,oc,c", [(1, 1, 8, 3), (1, 0, 2, 3), ((2, 1), (1, 2), 3, 3),
                                             (1, (0, 2), 9, 3), (1, 1, 5, 6)])
def test_chunked_batches_give_the_same_result(monkeypatch, row_col_everywhere, stride, pad, oc, c):
    """The batch is processed in chunks; tiny chunks (with a partial last one) change nothing (the
    row col included)."""
    rng = _rng(7)
    x, W, b = (rng.standard_normal((7, c, 6, 7)), rng.standard_normal((oc, c, 3, 3)),
               rng.standard_normal(oc))
    assert KG.geometry(x.shape, (3, 3), FC.pair(stride), FC.pair(pad)).rows is (c == 6)
    gy = None
    results = []
    for chunk_bytes in (KG.CPU_CHUNK_BYTES, 1, 3 * 3 * 3 * 8 * 6 * 9 * 2 + 1):
        monkeypatch.setattr(KG, "CPU_CHUNK_BYTES", chunk_bytes)
        xv, Wv, bv = Variable(x), Variable(W), Variable(b)
        y = FC.conv2d(xv, Wv, bv, stride, pad)
        gy = rng.standard_normal(y.shape) if gy is None else gy
        results.append([y.data] + [g.data for g in _grad(y, xv, Wv, bv, seed=gy)])
    for other in results[1:]:
        for a, c in zip(results[0], other):
            np.testing.assert_allclose(c, a, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(results[0][0], ref_conv2d(x, W, b, stride, pad), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("x_shape,kernel,stride,pad,covers", [
    ((2, 3, 16, 16), (4, 4), (2, 2), (1, 1), True),   # the deconv benchmark's transpose
    ((1, 2, 5, 6), (2, 2), (2, 2), (0, 0), False),    # row 4 lies in no window
    ((1, 2, 5, 7), (2, 4), (1, 2), (0, 1), True),
])
def test_strided_windows_with_kernel_a_multiple_of_the_stride_run_over_phases(x_shape, kernel, stride,
                                                                             pad, covers):
    """Such a window is a stride-1 window over the input's phases; the three convolution kernels on
    it equal the strided reference, and positions no window reads get a zero gradient."""
    import minigrad.kernels.conv as KC
    g = KG.geometry(x_shape, kernel, stride, pad)
    s2d = g.space_to_depth
    assert s2d is not None and s2d.inner.flat and s2d.covers is covers
    assert s2d.inner.out_shape[2:] == g.out_shape[2:]
    rng = _rng(30)
    x = rng.standard_normal(x_shape)
    W = rng.standard_normal((3, x_shape[1]) + kernel)
    y, _ = KC.conv_forward(x, W, None, stride, pad)
    np.testing.assert_allclose(y, ref_conv2d(x, W, None, stride, pad), rtol=1e-10, atol=1e-12)
    gy = rng.standard_normal(y.shape)
    np.testing.assert_allclose(KC.conv_backward_weight(x, gy, kernel, stride, pad),
                               ref_conv2d_grad_w(x, gy, kernel, stride, pad), rtol=1e-10, atol=1e-12)
    gx = KC.conv_backward_data(gy, W, x_shape[2:], stride, pad)
    np.testing.assert_allclose(gx, ref_deconv2d(gy, W, None, stride, pad,
                                                x_shape[2:]), rtol=1e-10, atol=1e-12)
    if not covers:
        assert not gx[:, :, 4].any()
    assert KG.geometry(x_shape, (3, 3), (2, 2), (1, 1)).space_to_depth is None  # zero taps: strided


@pytest.fixture
def row_col_everywhere(monkeypatch):
    """The row col for every window that allows it, however small (fresh geometries, then cleared)."""
    KG.geometry.cache_clear()
    monkeypatch.setattr(KG, "ROWS_MIN_COL", 0)
    yield
    KG.geometry.cache_clear()


@pytest.mark.parametrize("case", [c for c in CONV_CASES if "row_col" in c["name"]],
                         ids=lambda c: c["name"])
def test_row_col_rows_pass_every_property(monkeypatch, row_col_everywhere, case):
    """The op-table rows meant for the row col, run through it (their inputs are too small for it by
    default): forward against the reference, first and second order, dtype, repeat, layout."""
    from minigrad import testing
    calls = []
    row_col = KG.ConvGeometry.row_col

    def counting_row_col(self, src, out):
        calls.append(self.kernel)
        return row_col(self, src, out)

    monkeypatch.setattr(KG.ConvGeometry, "row_col", counting_row_col)
    testing.check_function(case["fn"], make_inputs(case), case["reference"], name=case["name"])
    assert calls, f"{case['name']} never built a row col"


@pytest.fixture(params=["native", "numpy"])
def direct_everywhere(request, monkeypatch):
    """The channel-major direct path for every stride-1 window, however few its channels (fresh
    geometries, then cleared), on the library's GEMM or on the NumPy fallback inside blas.gemm."""
    import minigrad.kernels.blas as KB
    if request.param == "native" and not KB.native:
        pytest.skip("NumPy's BLAS library has no cblas_?gemm that minigrad can call")
    if request.param == "numpy":
        monkeypatch.setattr(KB, "_GEMM", {})
        monkeypatch.setattr(KB, "native", True)
    KG.geometry.cache_clear()
    monkeypatch.setattr(KG, "DIRECT_MIN_C", 0)
    yield
    KG.geometry.cache_clear()


_DIRECT_ROWS = [c for c in CONV_CASES if c["name"].startswith(("conv2d", "deconv2d"))
                and "simple" not in c["name"]]


@pytest.mark.parametrize("case", _DIRECT_ROWS, ids=lambda c: c["name"])
def test_conv_rows_pass_every_property_on_the_direct_path(monkeypatch, direct_everywhere, case):
    """Every conv2d, deconv2d and weight-gradient row of the op table through the channel-major
    direct path: forward against the reference, first and second order, dtype, repeat, layout."""
    import minigrad.kernels.conv as KC
    from minigrad import testing
    calls = []
    forward, weight_grad = KC._forward_direct, KC._weight_grad_direct

    def counting_forward(*args):
        calls.append("forward")
        return forward(*args)

    def counting_weight_grad(*args):
        calls.append("weight")
        return weight_grad(*args)

    monkeypatch.setattr(KC, "_forward_direct", counting_forward)
    monkeypatch.setattr(KC, "_weight_grad_direct", counting_weight_grad)
    testing.check_function(case["fn"], make_inputs(case), case["reference"], name=case["name"])
    # every row is or contains a stride-1 window (strided ones through their phases) except those
    # whose stride leaves zero taps, which stay strided
    if case["name"] not in ("conv2d_2x3_stride21_pad10", "conv2d_3x2_stride2_pad1_nobias",
                            "conv2d_1x3_stride12_pad01", "conv2d_grad_w_2x3_stride21_pad1",
                            "conv2d_pad_larger_than_kernel", "conv2d_scalar_loop_reference",
                            "deconv2d_2x3_stride2_pad1", "deconv2d_3x2_stride21_pad01_nobias",
                            "deconv2d_stride2_outsize"):
        assert calls, f"{case['name']} never ran the direct path"


@pytest.mark.parametrize("seed", range(16))
def test_direct_path_matches_the_references_for_random_stride1_geometries(direct_everywhere, seed):
    """Random stride-1 shapes, pads up to twice the kernel included (where the shared-padding
    layout widens its rows): output and both gradients equal the references."""
    import minigrad.kernels.conv as KC
    rng = _rng(600 + seed)
    xs, ws, _, pad = _random_geometry(rng, stride_max=1)
    x, W = rng.standard_normal(xs), rng.standard_normal(ws)
    y, src = KC.conv_forward(x, W, None, (1, 1), pad)
    np.testing.assert_allclose(y, ref_conv2d(x, W, None, 1, pad), rtol=1e-10, atol=1e-12)
    gy = rng.standard_normal(y.shape)
    np.testing.assert_allclose(KC.conv_backward_weight(x, gy, ws[2:], (1, 1), pad, src),
                               ref_conv2d_grad_w(x, gy, ws[2:], 1, pad), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(KC.conv_backward_data(gy, W, xs[2:], (1, 1), pad),
                               ref_deconv2d(gy, W, None, 1, pad, xs[2:]), rtol=1e-10, atol=1e-12)


def test_direct_path_equals_the_col_path_at_benchmark_like_sizes(monkeypatch):
    """64 channels (the conv benchmark's layer, smaller): the direct path and the row-col path give
    the same output and gradients, in float32 as trained."""
    import minigrad.kernels.blas as KB
    rng = _rng(41)
    x = rng.standard_normal((3, 64, 9, 11)).astype(np.float32)
    W = (rng.standard_normal((32, 64, 3, 3)) * 0.1).astype(np.float32)
    b = rng.standard_normal(32).astype(np.float32)
    results = []
    for native in (KB.native, False):
        KG.geometry.cache_clear()
        monkeypatch.setattr(KB, "native", native)
        monkeypatch.setattr(KG, "ROWS_MIN_COL", 0)
        xv, Wv, bv = Variable(x), Variable(W), Variable(b)
        y = FC.conv2d(xv, Wv, bv, 1, 1)
        results.append([y.data] + [g.data for g in _grad(y, xv, Wv, bv)])
    KG.geometry.cache_clear()
    for a, c in zip(*results):
        assert a.dtype == np.float32
        np.testing.assert_allclose(a, c, rtol=2e-5, atol=2e-5 * np.abs(c).max())
    np.testing.assert_allclose(results[0][0], ref_conv2d(x, W, b, 1, 1), rtol=1e-4, atol=1e-4)


def test_input_gradient_is_skipped_for_plain_arrays_only():
    """conv2d(ndarray, W): the input's gradient cannot be observed, so it is not computed; W's is."""
    rng = _rng(8)
    x, W = rng.standard_normal((2, 2, 5, 5)), rng.standard_normal((3, 2, 3, 3))
    Wa = Variable(W)
    y = FC.conv2d(x, Wa, None, 1, 1)
    _grad(y, Wa)
    assert y.creator.inputs[0].grad is None
    xv, Wb = Variable(x), Variable(W)
    y2 = FC.conv2d(xv, Wb, None, 1, 1)
    _grad(y2, xv, Wb)
    assert xv.grad is not None and xv.grad.shape == x.shape
    np.testing.assert_allclose(Wa.grad.data, Wb.grad.data, rtol=1e-12)


def test_dezero_style_function_calls_with_b_none():
    """DeZero calls Conv2d(stride, pad)(x, W, b) with b None; that works and gives no bias gradient."""
    rng = _rng(21)
    x, W = Variable(rng.standard_normal((2, 2, 5, 5))), Variable(rng.standard_normal((3, 2, 3, 3)))
    y = FC.Conv2d(1, 1)(x, W, None)
    np.testing.assert_allclose(y.data, ref_conv2d(x.data, W.data, None, 1, 1), rtol=1e-10)
    gx, gW = _grad(y, x, W)
    assert gx.shape == x.shape and gW.shape == W.shape
    Wd = Variable(rng.standard_normal((2, 3, 3, 3)))
    z = FC.Deconv2d(2, 1)(x, Wd, None)
    np.testing.assert_allclose(z.data, ref_deconv2d(x.data, Wd.data, None, 2, 1), rtol=1e-10)
    assert FC.pair(3) == (3, 3) and FC.get_conv_outsize(5, 3, 1, 1) == 5


def test_pooling_of_integer_images():
    x = np.arange(16, dtype=np.int64).reshape(1, 1, 4, 4)
    np.testing.assert_array_equal(FC.pooling(x, 2, 2, 1).data, ref_max_pool(x, 2, 2, 1))
    np.testing.assert_allclose(FC.average_pooling(x, 2, 2).data, ref_avg_pool(x, 2, 2, 0))


def test_average_pooling_of_integer_images_does_not_overflow():
    x = np.full((1, 1, 2, 2), 200, np.uint8)
    np.testing.assert_array_equal(F.average_pooling(x, 2, 2).data, [[[[200.0]]]])


@pytest.mark.parametrize("op, w_shape", [
    (lambda x, W, b: FC.conv2d(x, W, b, 1, 1), (4, 3, 3, 3)),
    (lambda x, W, b: FC.conv2d(x, W, b, 2, 0), (4, 3, 3, 3)),
    (lambda x, W, b: FC.deconv2d(x, W, b, 1, 0), (3, 4, 3, 3)),
    (lambda x, W, b: FC.deconv2d(x, W, b, 2, 1), (3, 4, 3, 3)),
], ids=["conv_stride1", "conv_stride2", "deconv_stride1", "deconv_stride2"])
def test_an_empty_batch_gives_zero_parameter_gradients(op, w_shape):
    # backward with batch 0 raised AttributeError: 'NoneType' object has no attribute 'T'
    x = Variable(np.zeros((0, 3, 6, 6), dtype=np.float32))
    W = Variable(np.ones(w_shape, dtype=np.float32))
    b = Variable(np.ones(4, dtype=np.float32))
    y = op(x, W, b)
    assert y.shape[:2] == (0, 4)
    F.sum(y).backward(create_graph=True)
    assert x.grad.shape == x.shape
    np.testing.assert_array_equal(W.grad.data, np.zeros(w_shape, dtype=np.float32))
    np.testing.assert_array_equal(b.grad.data, np.zeros(4, dtype=np.float32))
    assert W.grad.dtype == b.grad.dtype == np.float32
    gW = W.grad
    W.cleargrad()
    F.sum(gW * gW).backward()  # second order through the empty batch


def test_no_grad_keeps_no_padded_copy():
    W = Variable(np.ones((2, 1, 3, 3), dtype=np.float32))
    f = FC.Conv2d(1, 1)
    with no_grad():
        f(np.ones((1, 1, 4, 4), dtype=np.float32), W)
    assert f._src is None


def test_conv2d_backward_twice_same_graph():
    rng = _rng(9)
    x, W = Variable(rng.standard_normal((2, 2, 5, 5))), Variable(rng.standard_normal((3, 2, 3, 3)))
    y = FC.conv2d(x, W, None, 1, 1)
    g1 = [g.data.copy() for g in _grad(y, x, W)]
    g2 = [g.data.copy() for g in _grad(y, x, W)]
    for a, b in zip(g1, g2):
        np.testing.assert_array_equal(a, b)


# =============================================================================
# Higher orders
# =============================================================================
def test_third_order_through_max_pooling():
    """z = sum(pooling(x)^4): d^3 z / dx^3 (diagonal, summed) = 24 x at each selected input position,
    times the number of windows that select it (overlapping windows)."""
    rng = _rng(10)
    shape = (2, 2, 5, 6)
    x0 = (rng.permutation(int(np.prod(shape))).reshape(shape) - 30.0) * 0.1
    k, s, p = 3, 2, 1
    x = Variable(x0)
    z = F.sum(FC.pooling(x, k, s, p) ** 4)
    z.backward(create_graph=True)
    g1 = x.grad
    x.cleargrad()
    F.sum(g1).backward(create_graph=True)
    g2 = x.grad
    x.cleargrad()
    F.sum(g2).backward(create_graph=True)
    g3 = x.grad
    times_selected = ref_max_pool_grad(x0, np.ones(ref_max_pool(x0, k, s, p).shape), k, s, p)
    assert times_selected.max() >= 2  # the windows overlap: some position is selected twice
    np.testing.assert_allclose(g1.data, 4 * x0 ** 3 * times_selected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(g2.data, 12 * x0 ** 2 * times_selected, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(g3.data, 24 * x0 * times_selected, rtol=1e-12, atol=1e-12)
    # and a fourth derivative exists too (constant 24)
    x.cleargrad()
    F.sum(g3).backward()
    np.testing.assert_allclose(x.grad.data, 24 * times_selected, rtol=1e-12)


def test_third_order_through_average_pooling():
    rng = _rng(11)
    x0 = rng.standard_normal((1, 2, 4, 5))
    x = Variable(x0)
    z = F.sum(FC.average_pooling(x, (2, 3), 1, (1, 0)) ** 3)
    z.backward(create_graph=True)
    for _ in range(2):
        g = x.grad
        x.cleargrad()
        F.sum(g).backward(create_graph=True)
    assert x.grad is not None and x.grad.shape == x0.shape
    assert np.isfinite(x.grad.data).all() and np.abs(x.grad.data).sum() > 0


def test_second_order_through_conv_weight_gradient():
    """Hessian-vector products through Conv2DGradW against finite differences of the gradient.
    (DeZero's Conv2DGradW.backward reads its outputs instead of ggW and fails here.)"""
    rng = _rng(12)
    x0, W0 = rng.standard_normal((2, 2, 5, 6)), rng.standard_normal((3, 2, 2, 3))
    stride, pad = (2, 1), (1, 1)
    V = rng.standard_normal(W0.shape)

    def grads(x_arr, W_arr, create_graph):
        x, W = Variable(x_arr), Variable(W_arr)
        loss = F.sum(FC.conv2d(x, W, None, stride, pad) ** 2)
        loss.backward(create_graph=create_graph)
        return x, W

    x, W = grads(x0, W0, True)
    s = F.sum(W.grad * Variable(V))  # <dL/dW, V>
    x.cleargrad()
    W.cleargrad()
    s.backward()
    eps = 1e-6
    for which, base in (("x", x0), ("W", W0)):
        direction = rng.standard_normal(base.shape)

        def s_at(t):
            xa = x0 + t * direction if which == "x" else x0
            Wa = W0 + t * direction if which == "W" else W0
            _, Wv = grads(xa, Wa, False)
            return float((Wv.grad.data * V).sum())

        numeric = (s_at(eps) - s_at(-eps)) / (2 * eps)
        got = (x if which == "x" else W).grad.data
        np.testing.assert_allclose(float((got * direction).sum()), numeric, rtol=1e-6)


def test_conv2d_grad_w_backward_uses_the_incoming_gradient():
    rng = _rng(13)
    x, gy = Variable(rng.standard_normal((2, 2, 5, 6))), Variable(rng.standard_normal((2, 3, 3, 7)))
    f = FC.Conv2DGradW(kernel_size=(3, 2), stride=(2, 1), pad=(1, 1))
    gW = f(x, gy)
    np.testing.assert_allclose(gW.data, ref_conv2d_grad_w(x.data, gy.data, (3, 2), (2, 1), (1, 1)),
                               rtol=1e-10)
    ggW = rng.standard_normal(gW.shape)
    gx, ggy = _grad(gW, x, gy, seed=ggW)
    np.testing.assert_allclose(gx.data, ref_deconv2d(gy.data, ggW, None, (2, 1), (1, 1), (5, 6)),
                               rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ggy.data, ref_conv2d(x.data, ggW, None, (2, 1), (1, 1)), rtol=1e-10,
                               atol=1e-12)


# =============================================================================
# Pooling specifics
# =============================================================================
def test_max_pooling_pads_with_minus_infinity():
    x = -np.arange(1.0, 17.0).reshape(1, 1, 4, 4)  # all negative
    y = FC.pooling(x, 3, 2, 1)
    # DeZero pads with 0 and would return zeros at the border windows
    np.testing.assert_array_equal(y.data, [[[[-1.0, -2.0], [-5.0, -6.0]]]])
    xv = Variable(x)
    gx, = _grad(FC.pooling(xv, 3, 2, 1), xv)
    expected = np.zeros((1, 1, 4, 4))
    expected[0, 0, [0, 0, 1, 1], [0, 1, 0, 1]] = 1
    np.testing.assert_array_equal(gx.data, expected)


def test_max_pooling_ties_go_to_the_first_element():
    xv = Variable(np.zeros((1, 1, 4, 4), dtype=np.float32))  # e.g. after a ReLU
    gx, = _grad(FC.pooling(xv, 2, 2), xv)
    expected = np.zeros((4, 4), dtype=np.float32)
    expected[::2, ::2] = 1
    np.testing.assert_array_equal(gx.data[0, 0], expected)


def test_max_pooling_propagates_nan():
    x = np.arange(16.0).reshape(1, 1, 4, 4)
    x[0, 0, 1, 1] = np.nan
    y = FC.pooling(x, 2, 2).data
    assert np.isnan(y[0, 0, 0, 0]) and not np.isnan(y[0, 0, 1, 1])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_max_pooling_sends_a_nan_windows_gradient_to_the_nan(dtype):
    # It went to the window's last element (NaN != NaN, so no element matched the max); PyTorch
    # sends it to the NaN.  With several NaNs in a window, minigrad picks the first.
    x = np.arange(16.0, dtype=dtype).reshape(1, 1, 4, 4)
    x[0, 0, 0, 1] = np.nan  # window (0, 0): the NaN is not the last element
    x[0, 0, 2, 2] = x[0, 0, 3, 2] = np.nan  # window (1, 1): two NaNs, both before the last element
    xv = Variable(x)
    gx, = _grad(FC.pooling(xv, 2, 2), xv)
    expected = np.zeros((4, 4), dtype=dtype)
    expected[0, 1] = expected[2, 2] = 1  # the NaNs
    expected[1, 3] = expected[3, 1] = 1  # the maxima of the windows without NaN
    np.testing.assert_array_equal(gx.data[0, 0], expected)
    # overlapping windows with padding: each NaN window's gradient reaches the NaN
    x = np.arange(9.0, dtype=dtype).reshape(1, 1, 3, 3)
    x[0, 0, 1, 1] = np.nan  # the only NaN, in every 2x2 window of stride 1
    xv = Variable(x)
    gx, = _grad(FC.pooling(xv, 2, 1), xv)
    expected = np.zeros((3, 3), dtype=dtype)
    expected[1, 1] = 4
    np.testing.assert_array_equal(gx.data[0, 0], expected)


def test_average_pooling_non_square_kernel_values_and_gradient():
    x = np.arange(24.0).reshape(1, 1, 4, 6)
    y = FC.average_pooling(x, (2, 3), (2, 3))
    np.testing.assert_allclose(y.data, [[[[(0 + 1 + 2 + 6 + 7 + 8) / 6, (3 + 4 + 5 + 9 + 10 + 11) / 6],
                                          [(12 + 13 + 14 + 18 + 19 + 20) / 6,
                                           (15 + 16 + 17 + 21 + 22 + 23) / 6]]]])
    xv = Variable(x)
    gx, = _grad(FC.average_pooling(xv, (2, 3), (2, 3)), xv)
    np.testing.assert_allclose(gx.data, np.full((1, 1, 4, 6), 1 / 6))
    # padding counts as zeros (PyTorch's default count_include_pad=True)
    y = FC.average_pooling(np.ones((1, 1, 2, 3)), (2, 3), 1, (1, 0))
    np.testing.assert_allclose(y.data, [[[[0.5], [1.0], [0.5]]]])


def test_pooling_simple_agrees_with_pooling():
    rng = _rng(14)
    x = rng.permutation(60).reshape(2, 2, 3, 5) - 70.0  # all negative, distinct
    for k, s, p in [(2, 2, 0), (3, 1, 1), ((2, 3), (1, 2), (1, 1))]:
        np.testing.assert_array_equal(FC.pooling_simple(x, k, s, p).data, FC.pooling(x, k, s, p).data)


# =============================================================================
# Layers
# =============================================================================
def test_conv2d_layer_lazy_in_channels_and_parameters():
    layer = LC.Conv2d(8, kernel_size=(3, 2), stride=1, pad=1)
    assert layer.W.data is None
    x = np.random.default_rng(15).standard_normal((2, 5, 7, 6)).astype(np.float32)
    y = layer(x)
    assert layer.in_channels == 5
    assert layer.W.shape == (8, 5, 3, 2) and layer.b.shape == (8,)
    assert [p.name for p in layer.params()] == ["W", "b"]
    assert sum(p.size for p in layer.params()) == 8 * 5 * 3 * 2 + 8
    assert layer.W.dtype == np.float32 and layer.b.dtype == np.float32 and y.dtype == np.float32
    assert y.shape == (2, 8, 7 + 2 - 3 + 1, 6 + 2 - 2 + 1)
    nobias = LC.Conv2d(4, 3, nobias=True, in_channels=2)
    assert nobias.b is None and [p.name for p in nobias.params()] == ["W"]
    assert nobias.W.shape == (4, 2, 3, 3)


def test_conv2d_layer_he_initialisation():
    np.random.seed(0)
    layer = LC.Conv2d(64, kernel_size=3, in_channels=32)
    fan_in = 32 * 9
    assert abs(layer.W.data.std() - np.sqrt(2.0 / fan_in)) < 0.05 * np.sqrt(2.0 / fan_in)
    assert abs(layer.W.data.mean()) < 0.01


def test_conv2d_layer_gradients_reach_parameters():
    layer = LC.Conv2d(3, kernel_size=3, pad=1)
    x = Variable(np.random.default_rng(16).standard_normal((2, 2, 4, 4)).astype(np.float32))
    y = layer(x)
    F.sum(y * y).backward()
    assert layer.W.grad.shape == layer.W.shape and layer.W.grad.dtype == np.float32
    assert layer.b.grad.shape == (3,) and x.grad.shape == x.shape


def test_deconv2d_layer():
    layer = LC.Deconv2d(4, kernel_size=(3, 2), stride=2, pad=1)
    x = np.random.default_rng(17).standard_normal((2, 3, 5, 4)).astype(np.float32)
    y = layer(x)
    assert layer.W.shape == (3, 4, 3, 2) and layer.W.dtype == np.float32
    assert y.shape == (2, 4, 2 * 4 + 3 - 2, 2 * 3 + 2 - 2) and y.dtype == np.float32
    np.testing.assert_allclose(y.data, ref_deconv2d(x.astype(np.float64), layer.W.data.astype(np.float64),
                                                    layer.b.data.astype(np.float64), 2, 1), rtol=1e-5,
                               atol=1e-5)


def test_pool_layers_default_stride_is_kernel():
    x = np.arange(36.0, dtype=np.float32).reshape(1, 1, 6, 6)
    assert LC.MaxPool2D(2)(x).shape == (1, 1, 3, 3)
    np.testing.assert_array_equal(LC.MaxPool2D(3)(x).data, [[[[14.0, 17.0], [32.0, 35.0]]]])
    assert LC.MaxPool2D(3, stride=1, pad=1)(x).shape == (1, 1, 6, 6)
    np.testing.assert_allclose(LC.AveragePool2D((2, 3))(x).data,
                               ref_avg_pool(x.astype(np.float64), (2, 3), (2, 3), 0))
    assert LC.AveragePool2D(2)(x).dtype == np.float32


def test_flatten_round_trip_and_gradient_shape():
    x = Variable(np.random.default_rng(18).standard_normal((3, 4, 2, 5)).astype(np.float32))
    y = LC.Flatten()(x)
    assert y.shape == (3, 40) and y.dtype == np.float32
    np.testing.assert_array_equal(F.reshape(y, x.shape).data, x.data)
    F.sum(y * Variable(np.arange(120.0, dtype=np.float32).reshape(3, 40))).backward()
    assert x.grad.shape == (3, 4, 2, 5)
    np.testing.assert_array_equal(x.grad.data, np.arange(120.0, dtype=np.float32).reshape(3, 4, 2, 5))


def test_lenet_shaped_stack_float32_end_to_end():
    import minigrad.layers as L
    rng = _rng(19)
    layers = [LC.Conv2d(6, 5), LC.MaxPool2D(2), LC.Conv2d(16, 5), LC.AveragePool2D(2), LC.Flatten(),
              L.Linear(10)]
    x = rng.standard_normal((4, 1, 28, 28)).astype(np.float32)
    h = x
    for layer in layers:
        h = layer(h) if not isinstance(layer, LC.Conv2d) else F.relu(layer(h))
    assert h.shape == (4, 10) and h.dtype == np.float32
    loss = F.softmax_cross_entropy(h, rng.integers(0, 10, 4))
    loss.backward()
    for layer in layers:
        for p in layer.params():
            assert p.grad is not None and p.grad.dtype == np.float32, p.name


def test_layers_are_reexported_from_layers():
    import minigrad.layers as L
    for name in ("Conv2d", "Deconv2d", "MaxPool2D", "AveragePool2D", "Flatten"):
        assert getattr(L, name) is getattr(LC, name)


# =============================================================================
# Bad input
# =============================================================================
_X4 = np.zeros((2, 3, 5, 5), dtype=np.float32)
_W4 = np.zeros((4, 3, 3, 3), dtype=np.float32)


@pytest.mark.parametrize("call,message", [
    (lambda: FC.conv2d(np.zeros((3, 5, 5)), _W4),
     r"conv2d: x must be a 4-D array \(N, C, H, W\), got shape \(3, 5, 5\)"),
    (lambda: FC.conv2d(_X4, np.zeros((4, 3, 3))), r"conv2d: W must be a 4-D array \(OC, C, KH, KW\)"),
    (lambda: FC.conv2d(_X4, np.zeros((2, 1, 3, 3))), r"^conv2d: x has 3 channels but W expects 1$"),
    (lambda: FC.conv2d(_X4, _W4, np.zeros(5)), r"conv2d: b must have shape \(4,\), got \(5,\)"),
    (lambda: FC.conv2d(_X4, np.zeros((4, 3, 6, 3))), r"conv2d: kernel 6x3 is larger than the padded input 5x5"),
    (lambda: FC.conv2d(_X4, np.zeros((4, 3, 8, 3)), pad=1), r"conv2d: kernel 8x3 is larger than the padded input 7x7"),
    (lambda: FC.conv2d(_X4, _W4, stride=0), r"conv2d: stride must be positive, got 0"),
    (lambda: FC.conv2d(_X4, _W4, stride=(1, -2)), r"conv2d: stride must be positive, got \(1, -2\)"),
    (lambda: FC.conv2d(_X4, _W4, pad=-1), r"conv2d: pad must be non-negative, got -1"),
    (lambda: FC.deconv2d(_X4, np.zeros((1, 2, 3, 3))), r"^deconv2d: x has 3 channels but W expects 1$"),
    (lambda: FC.deconv2d(np.zeros((5, 5)), _W4), r"deconv2d: x must be a 4-D array"),
    (lambda: FC.deconv2d(_X4, np.zeros((3, 2, 3, 3)), stride=0), r"deconv2d: stride must be positive"),
    (lambda: FC.deconv2d(_X4, np.zeros((3, 2, 3, 3)), pad=(0, -1)), r"deconv2d: pad must be non-negative"),
    (lambda: FC.deconv2d(_X4, np.zeros((3, 2, 3, 3)), stride=2, outsize=(20, 11)),
     r"deconv2d: output size 20x11 does not fit input 5x5"),
    (lambda: FC.deconv2d(_X4, np.zeros((3, 2, 3, 3)), b=np.zeros(3)), r"deconv2d: b must have shape \(2,\)"),
    (lambda: FC.pooling(np.zeros((5, 5)), 2), r"pooling: x must be a 4-D array"),
    (lambda: FC.pooling(_X4, 6), r"pooling: kernel 6x6 is larger than the padded input 5x5"),
    (lambda: FC.pooling(_X4, 2, stride=0), r"pooling: stride must be positive"),
    (lambda: FC.pooling(_X4, 2, pad=-1), r"pooling: pad must be non-negative"),
    (lambda: FC.pooling(_X4, 2, pad=2), r"pooling: pad \(2, 2\) must be smaller than kernel_size \(2, 2\)"),
    (lambda: FC.pooling(_X4, (0, 2)), r"pooling: kernel_size must be positive"),
    (lambda: FC.average_pooling(np.zeros((2, 5, 5)), 2), r"average_pooling: x must be a 4-D array"),
    (lambda: FC.average_pooling(_X4, (2, 7)), r"average_pooling: kernel 2x7 is larger than the padded input 5x5"),
    (lambda: FC.average_pooling(_X4, 2, stride=-1), r"average_pooling: stride must be positive"),
    (lambda: FC.average_pooling(_X4, 2, pad=-2), r"average_pooling: pad must be non-negative"),
    (lambda: FC.im2col(np.zeros((5, 5)), 2), r"im2col: img must be a 4-D array"),
    (lambda: FC.im2col(_X4, 6), r"im2col: kernel 6x6 is larger than the padded input 5x5"),
    (lambda: FC.im2col(_X4, 2, stride=0), r"im2col: stride must be positive"),
    (lambda: FC.col2im(np.zeros((3, 3)), (2, 3, 5, 5), 2), r"col2im: col must have shape \(32, 12\)"),
    (lambda: FC.col2im(np.zeros((32, 12)), (2, 3, 5), 2), r"col2im: img_shape must have 4 entries"),
    (lambda: FC.col2im(np.zeros((32, 12)), (2, 3, 5, 5), 2, pad=-1), r"col2im: pad must be non-negative"),
    (lambda: FC.conv2d_simple(_X4, np.zeros((2, 1, 3, 3))), r"conv2d_simple: x has 3 channels but W expects 1"),
    (lambda: FC.pooling_simple(np.zeros((5, 5)), 2), r"pooling_simple: x must be a 4-D array"),
    (lambda: LC.Conv2d(4, 3)(np.zeros((3, 5, 5), dtype=np.float32)), r"Conv2d: x must be a 4-D array"),
    (lambda: LC.Conv2d(4, 3, in_channels=2)(_X4), r"conv2d: x has 3 channels but W expects 2"),
    (lambda: LC.Conv2d(0, 3), r"Conv2d: out_channels must be a positive int"),
    (lambda: LC.Conv2d(4, 3, stride=0), r"Conv2d: stride must be positive"),
    (lambda: LC.MaxPool2D(2, pad=-1), r"MaxPool2D: pad must be non-negative"),
    (lambda: FC.Conv2DGradW(kernel_size=3)(_X4, np.zeros((2, 4, 3, 2))),
     r"Conv2DGradW: gy must have shape \(2, OC, 3, 3\)"),
])
def test_bad_input_raises_value_error(call, message):
    with pytest.raises(ValueError, match=message):
        call()


@pytest.mark.parametrize("call,message", [
    (lambda: FC.conv2d(_X4, _W4, stride=1.5), r"conv2d: stride must be an int or a pair of ints, got 1.5"),
    (lambda: FC.conv2d(_X4, _W4, pad="1"), r"conv2d: pad must be an int or a pair of ints"),
    (lambda: FC.conv2d(_X4, _W4, pad=(1, 1, 1)), r"conv2d: pad must be an int or a pair of ints"),
    (lambda: FC.conv2d(_X4, _W4, stride=True), r"conv2d: stride must be an int or a pair of ints"),
    (lambda: FC.deconv2d(_X4, np.zeros((3, 2, 3, 3)), stride=(1.0, 1)), r"deconv2d: stride must be an int"),
    (lambda: FC.pooling(_X4, 2.0), r"pooling: kernel_size must be an int or a pair of ints, got 2.0"),
    (lambda: FC.pooling(_X4, 2, stride=None), r"pooling: stride must be an int or a pair of ints"),
    (lambda: FC.average_pooling(_X4, [2, 2.5]), r"average_pooling: kernel_size must be an int or a pair"),
    (lambda: FC.im2col(_X4, "3"), r"im2col: kernel_size must be an int or a pair of ints"),
    (lambda: FC.col2im(np.zeros((32, 12)), (2, 3, 5, 5), 2, stride=0.5), r"col2im: stride must be an int"),
    (lambda: LC.Conv2d(4, 2.5), r"Conv2d: kernel_size must be an int or a pair of ints"),
    (lambda: LC.Conv2d(4.0, 3), r"Conv2d: out_channels must be a positive int"),
    (lambda: LC.AveragePool2D((2, None)), r"AveragePool2D: kernel_size must be an int or a pair"),
])
def test_bad_parameter_types_raise_type_error(call, message):
    with pytest.raises(TypeError, match=message):
        call()


@pytest.mark.parametrize("value", [2, (2, 2), [2, 2], np.int64(2), (np.int32(2), 2), np.array([2, 2])])
def test_kernel_stride_pad_accept_ints_pairs_lists_numpy_ints(value):
    x = np.arange(50.0).reshape(1, 2, 5, 5)
    W = np.ones((1, 2, 2, 2))
    expected = ref_conv2d(x, W, None, 2, 2)
    np.testing.assert_allclose(FC.conv2d(x, W, stride=value, pad=value).data, expected)
    np.testing.assert_array_equal(FC.pooling(x, value, value).data, ref_max_pool(x, 2, 2, 0))


# =============================================================================
# dtypes
# =============================================================================
@pytest.mark.parametrize("op", ["conv2d", "deconv2d", "pooling", "average_pooling", "im2col"])
def test_float32_stays_float32(op):
    rng = _rng(20)
    x = Variable(rng.standard_normal((2, 3, 6, 6)).astype(np.float32))
    W = Variable(rng.standard_normal((4, 3, 3, 3)).astype(np.float32))
    b = Variable(np.zeros(4, dtype=np.float32))
    fns = {"conv2d": lambda: FC.conv2d(x, W, b, 1, 1),
           "deconv2d": lambda: FC.deconv2d(x, Variable(W.data.transpose(1, 0, 2, 3).copy()), b, 2, 1),
           "pooling": lambda: FC.pooling(x, 3, 2, 1),
           "average_pooling": lambda: FC.average_pooling(x, 3, 2, 1),
           "im2col": lambda: FC.im2col(x, 3, 2, 1)}
    y = fns[op]()
    assert y.dtype == np.float32
    F.sum(y * y).backward(create_graph=True)
    assert x.grad.dtype == np.float32
    g = x.grad
    x.cleargrad()
    F.sum(g * g).backward()
    assert x.grad.dtype == np.float32


def test_im2col_array_semantics_match_dezero():
    x = np.arange(2 * 2 * 4 * 5, dtype=np.float32).reshape(2, 2, 4, 5)
    col6 = FC.im2col_array(x, (2, 3), (1, 2), (1, 0), to_matrix=False)
    OH, OW = (4 + 2 - 2) // 1 + 1, (5 - 3) // 2 + 1
    assert col6.shape == (2, 2, 2, 3, OH, OW) and col6.dtype == np.float32
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (0, 0)))
    for i in range(2):
        for j in range(3):
            np.testing.assert_array_equal(col6[:, :, i, j], xp[:, :, i:i + OH, j:j + 2 * OW - 1:2])
    colm = FC.im2col_array(x, (2, 3), (1, 2), (1, 0))
    assert colm.shape == (2 * OH * OW, 2 * 2 * 3)
    np.testing.assert_array_equal(colm, col6.transpose(0, 4, 5, 1, 2, 3).reshape(2 * OH * OW, -1))


# =============================================================================
# PyTorch cross-check (skipped without torch)
# =============================================================================
@pytest.mark.parametrize("seed", range(6))
def test_against_pytorch(seed):
    torch = pytest.importorskip("torch")
    tf = torch.nn.functional
    rng = _rng(500 + seed)
    xs, ws, stride, pad = _random_geometry(rng)
    x, W, b = rng.standard_normal(xs), rng.standard_normal(ws), rng.standard_normal(ws[0])
    gy = rng.standard_normal(ref_conv2d(x, W, b, stride, pad).shape)

    def t(a):
        return torch.tensor(a, requires_grad=True)

    tx, tW, tb = t(x), t(W), t(b)
    ty = tf.conv2d(tx, tW, tb, stride=stride, padding=pad)
    ty.backward(torch.tensor(gy))
    mx, mW, mb = Variable(x), Variable(W), Variable(b)
    my = FC.conv2d(mx, mW, mb, stride, pad)
    gx, gW, gb = _grad(my, mx, mW, mb, seed=gy)
    for mine, theirs in ((my, ty), (gx, tx.grad), (gW, tW.grad), (gb, tb.grad)):
        np.testing.assert_allclose(mine.data, theirs.detach().numpy(), rtol=1e-9, atol=1e-10)

    # transposed convolution with the same geometry (W as (C, OC, KH, KW) = the conv's W)
    z = rng.standard_normal(ty.shape)
    tz = t(z)
    tW2 = t(W)
    out = tf.conv_transpose2d(tz, tW2, stride=stride, padding=pad,
                              output_padding=tuple(int(v) for v in (np.array(xs[2:]) - (
                                  (np.array(ty.shape[2:]) - 1) * np.array(stride) + np.array(ws[2:])
                                  - 2 * np.array(pad)))))
    mz, mW2 = Variable(z), Variable(W)
    mo = FC.deconv2d(mz, mW2, None, stride, pad, outsize=xs[2:])
    np.testing.assert_allclose(mo.data, out.detach().numpy(), rtol=1e-9, atol=1e-10)

    # pooling
    k = (min(ws[2], xs[2] + 2 * pad[0]), min(ws[3], xs[3] + 2 * pad[1]))
    p = (min(pad[0], k[0] // 2), min(pad[1], k[1] // 2))
    xd = rng.permutation(int(np.prod(xs))).reshape(xs) * 0.5 - 3.0
    tx = t(xd)
    tp = tf.max_pool2d(tx, k, stride, p)
    mxd = Variable(xd)
    mp = FC.pooling(mxd, k, stride, p)
    np.testing.assert_array_equal(mp.data, tp.detach().numpy())
    gp = rng.standard_normal(tp.shape)
    tp.backward(torch.tensor(gp))
    g, = _grad(mp, mxd, seed=gp)
    np.testing.assert_allclose(g.data, tx.grad.numpy(), rtol=1e-12, atol=1e-12)
    ta = tf.avg_pool2d(torch.tensor(x), k, stride, p)
    np.testing.assert_allclose(FC.average_pooling(x, k, stride, p).data, ta.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("shape", [(32, 64, 32, 32), (100, 6, 24, 24), (1, 3, 5, 7), (0, 3, 4, 4),
                                   (2, 0, 4, 4), (2, 3, 0, 4)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_bias_gradient_sums_every_sample_and_pixel_per_channel(shape, dtype):
    """kernels.reduction.sum_channels (the conv bias gradient, a matrix-vector product with ones):
    the float64 sum over N, H and W, also for empty batches, channels and images."""
    gy = np.random.default_rng(sum(shape)).standard_normal(shape).astype(dtype)
    gb = sum_channels(gy)
    assert gb.shape == (shape[1],) and gb.dtype == dtype
    tol = 1e-4 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(gb, gy.astype(np.float64).sum(axis=(0, 2, 3)), rtol=tol, atol=tol)
