"""Optimizers and hooks: update values against the formulas, and against PyTorch where installed."""
import numpy as np
import pytest

import minigrad.functions as F
import minigrad.layers as L
from minigrad import optimizers as O
from minigrad.core import Parameter


class Quadratic(L.Layer):
    """loss = sum(w * w * c) for a fixed c, so grad = 2 c w."""

    def __init__(self, w):
        super().__init__()
        self.w = Parameter(np.array(w, dtype=np.float64))

    def loss(self, c):
        return F.sum(self.w * self.w * c)


def run(opt, steps=3, w=(1.0, -2.0), c=(1.0, 3.0)):
    model = Quadratic(w)
    opt.setup(model)
    history = []
    for _ in range(steps):
        model.cleargrads()
        model.loss(np.array(c)).backward()
        opt.update()
        history.append(model.w.data.copy())
    return history


def manual(update, steps=3, w=(1.0, -2.0), c=(1.0, 3.0)):
    w = np.array(w)
    c = np.array(c)
    state = {}
    history = []
    for t in range(1, steps + 1):
        w = update(w, 2 * c * w, state, t)
        history.append(w.copy())
    return history


def test_sgd():
    got = run(O.SGD(lr=0.1))
    want = manual(lambda w, g, s, t: w - 0.1 * g)
    np.testing.assert_allclose(got, want)


def test_momentum_sgd():
    def update(w, g, s, t):
        s["v"] = 0.9 * s.get("v", 0) - 0.1 * g
        return w + s["v"]
    np.testing.assert_allclose(run(O.MomentumSGD(lr=0.1)), manual(update))


def test_adagrad():
    def update(w, g, s, t):
        s["h"] = s.get("h", 0) + g * g
        return w - 0.1 * g / (np.sqrt(s["h"]) + 1e-8)
    np.testing.assert_allclose(run(O.AdaGrad(lr=0.1)), manual(update))


def test_adadelta():
    def update(w, g, s, t):
        s["msg"] = 0.95 * s.get("msg", 0) + 0.05 * g * g
        dx = np.sqrt((s.get("msdx", 0) + 1e-6) / (s["msg"] + 1e-6)) * g
        s["msdx"] = 0.95 * s.get("msdx", 0) + 0.05 * dx * dx
        return w - dx
    np.testing.assert_allclose(run(O.AdaDelta()), manual(update))


def test_adam_matches_the_paper():
    def update(w, g, s, t):
        s["m"] = 0.9 * s.get("m", 0) + 0.1 * g
        s["v"] = 0.999 * s.get("v", 0) + 0.001 * g * g
        m_hat = s["m"] / (1 - 0.9 ** t)
        v_hat = s["v"] / (1 - 0.999 ** t)
        return w - 0.01 * m_hat / (np.sqrt(v_hat) + 1e-8)
    np.testing.assert_allclose(run(O.Adam(alpha=0.01)), manual(update), rtol=1e-6, atol=1e-9)


def test_adam_against_torch():
    torch = pytest.importorskip("torch")
    w = torch.tensor([1.0, -2.0], dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([w], lr=0.01)
    for _ in range(5):
        opt.zero_grad()
        (w * w * torch.tensor([1.0, 3.0], dtype=torch.float64)).sum().backward()
        opt.step()
    np.testing.assert_allclose(run(O.Adam(alpha=0.01), steps=5)[-1], w.detach().numpy(), rtol=1e-6)


def test_weight_decay_hook():
    opt = O.SGD(lr=0.1)
    opt.add_hook(O.WeightDecay(0.5))
    got = run(opt, steps=2)
    want = manual(lambda w, g, s, t: w - 0.1 * (g + 0.5 * w), steps=2)
    np.testing.assert_allclose(got, want)


def test_clip_grad_hook_bounds_the_global_norm():
    model = Quadratic((3.0, 4.0))
    model.loss(np.array([1.0, 1.0])).backward()  # grad (6, 8), norm 10
    O.ClipGrad(1.0)([model.w])
    np.testing.assert_allclose(model.w.grad.data, [0.6, 0.8], rtol=1e-5)
    O.ClipGrad(100.0)([model.w])  # under the bound: unchanged
    np.testing.assert_allclose(model.w.grad.data, [0.6, 0.8], rtol=1e-5)


def test_freeze_param_hook_keeps_layer_fixed():
    np.random.seed(0)
    frozen, trained = L.Linear(3, in_size=2), L.Linear(1, in_size=3)

    class Net(L.Layer):
        def __init__(self):
            super().__init__()
            self.a, self.b = frozen, trained

    net = Net()
    before_a = [p.data.copy() for p in frozen.params()]
    before_b = [p.data.copy() for p in trained.params()]
    opt = O.SGD(lr=0.1).setup(net)
    opt.add_hook(O.FreezeParam(frozen))
    F.sum(trained(frozen(np.ones((4, 2), np.float32)))).backward()
    opt.update()
    assert all(np.array_equal(a, p.data) for a, p in zip(before_a, frozen.params()))
    assert not all(np.array_equal(b, p.data) for b, p in zip(before_b, trained.params()))


def test_params_without_gradient_are_skipped():
    model = Quadratic((1.0, 2.0))
    O.Adam().setup(model).update()  # no backward yet: nothing happens
    np.testing.assert_array_equal(model.w.data, [1.0, 2.0])


def test_update_before_setup_is_a_clear_error():
    with pytest.raises(ValueError, match="setup"):
        O.SGD().update()


@pytest.mark.parametrize("make, error, message", [
    (lambda: O.SGD(lr=-0.1), ValueError, r"SGD: lr must be a finite number in \[0, inf\), got -0.1"),
    (lambda: O.SGD(lr=float("nan")), ValueError, r"SGD: lr must be a finite number in \[0, inf\), got nan"),
    (lambda: O.SGD(lr="0.1"), TypeError, r"SGD: lr must be a real number, got str"),
    (lambda: O.SGD(lr=True), TypeError, r"SGD: lr must be a real number, got bool"),
    (lambda: O.MomentumSGD(momentum=-1), ValueError, r"MomentumSGD: momentum must be a finite number in "
                                                     r"\[0, 1\), got -1"),
    (lambda: O.MomentumSGD(momentum=1.0), ValueError, r"MomentumSGD: momentum .* got 1.0"),
    (lambda: O.AdaGrad(lr=float("inf")), ValueError, r"AdaGrad: lr must be a finite number .* got inf"),
    (lambda: O.AdaGrad(eps=0), ValueError, r"AdaGrad: eps must be a finite number in \(0, inf\), got 0"),
    (lambda: O.AdaDelta(rho=1.5), ValueError, r"AdaDelta: rho must be a finite number in \[0, 1\), got 1.5"),
    (lambda: O.Adam(alpha=-1), ValueError, r"Adam: alpha must be a finite number in \[0, inf\), got -1"),
    (lambda: O.Adam(beta1=1), ValueError, r"Adam: beta1 must be a finite number in \[0, 1\), got 1"),
    (lambda: O.Adam(beta2=-0.5), ValueError, r"Adam: beta2 must be a finite number in \[0, 1\), got -0.5"),
    (lambda: O.WeightDecay(-1), ValueError, r"WeightDecay: rate must be a finite number in \[0, inf\), got -1"),
    (lambda: O.ClipGrad(-1), ValueError, r"ClipGrad: max_norm must be a finite number in \(0, inf\), got -1"),
    (lambda: O.ClipGrad(0), ValueError, r"ClipGrad: max_norm must be a finite number in \(0, inf\), got 0"),
    (lambda: O.SGD().setup([Parameter(np.ones(2))]), TypeError,
     r"SGD.setup: target must be a Layer or Model \(something with params\(\)\), got list"),
    (lambda: O.FreezeParam(3), TypeError, r"FreezeParam: each argument must be a Layer or a Parameter, got int"),
    (lambda: O.SGD().add_hook("clip"), TypeError, r"SGD.add_hook: f must be callable"),
])
def test_bad_hyperparameters_are_refused_naming_the_argument(make, error, message):
    with pytest.raises(error, match=message):
        make()


def test_boundary_hyperparameters_still_work():
    model = Quadratic((1.0, 2.0))
    O.SGD(lr=0).setup(model)  # lr 0 (the end of a schedule) changes nothing
    O.MomentumSGD(momentum=0).setup(model)
    O.Adam(alpha=np.float32(0.01), beta1=0).setup(model)
    assert O.SGD(lr=np.float64(0.5)).lr == 0.5


def test_sgd_update_of_a_large_parameter_is_the_rounded_update():
    """A parameter large enough for the library's axpy: the exact update to one float32 rounding of
    the operands' size (the library may fuse the multiply and the add)."""
    p = Parameter(np.linspace(-1, 1, 200_000, dtype=np.float32).reshape(400, 500))
    p.grad = Parameter(np.cos(p.data) * 3)
    step = np.float32(0.1) * p.grad.data.astype(np.float64)
    exact = p.data - step
    bound = np.finfo(np.float32).eps * (np.abs(p.data) + np.abs(step))
    O.SGD(lr=0.1).update_one(p)
    assert p.data.dtype == np.float32
    assert (np.abs(p.data - exact) <= bound).all()


def test_momentum_update_of_a_large_parameter_follows_the_one_line_updates():
    p = Parameter(np.linspace(-1, 1, 200_000, dtype=np.float32).reshape(400, 500))
    p.grad = Parameter(np.cos(p.data) * 3)
    opt = O.MomentumSGD(lr=0.1, momentum=0.9)
    ref_p, ref_v = p.data.copy(), np.zeros_like(p.data)
    for _ in range(3):
        ref_v = ref_v * np.float32(0.9) - np.float32(0.1) * p.grad.data
        ref_p = ref_p + ref_v
        opt.update_one(p)
    assert p.data.dtype == np.float32
    np.testing.assert_allclose(opt.slots(p, "v")["v"], ref_v, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(p.data, ref_p, rtol=1e-6, atol=1e-6)
