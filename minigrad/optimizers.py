"""Optimizers update a target Layer's Parameters from their gradients; hooks adjust the gradients
first (weight decay, gradient clipping, freezing).  State lives on the Parameters' device."""
import math

from minigrad import checks, cuda
from minigrad.core import Parameter, Variable
from minigrad.kernels import blas


class Optimizer:
    """Base class: `setup(target)`, then `update()` after each backward (or PyTorch's `zero_grad()`
    before it and `step()` after it)."""

    def __init__(self):
        self.target = None
        self.hooks = []

    def setup(self, target):
        if not callable(getattr(target, "params", None)):
            raise TypeError(f"{type(self).__name__}.setup: target must be a Layer or Model (something "
                            f"with params()), got {type(target).__name__}")
        self.target = target
        return self

    def update(self):
        if self.target is None:
            raise ValueError(f"{type(self).__name__}.update: call setup(model) first")
        params = [p for p in self.target.params() if p.grad is not None]
        for hook in self.hooks:
            hook(params)
        for param in params:
            if param.grad is not None:
                self.update_one(param)

    def update_one(self, param):
        raise NotImplementedError()

    def step(self):
        """PyTorch's name for update()."""
        self.update()

    def zero_grad(self):
        """PyTorch's name for the target's cleargrads(): every gradient becomes None."""
        if self.target is None:
            raise ValueError(f"{type(self).__name__}.zero_grad: call setup(model) first")
        self.target.cleargrads()

    def add_hook(self, f):
        if not callable(f):
            raise TypeError(f"{type(self).__name__}.add_hook: f must be callable (called with the "
                            f"list of Parameters), got {type(f).__name__}")
        self.hooks.append(f)


class _StatefulOptimizer(Optimizer):
    """An optimizer keeping per-parameter arrays (momentum, squared-gradient sums ...)."""

    def __init__(self):
        super().__init__()
        self.state = {}

    def slots(self, param, *names):
        """This parameter's state arrays `names`, created as zeros on its device the first time, and
        moved with it when the model moved (to_gpu/to_cpu) since the last update."""
        key = id(param)
        state = self.state.get(key)
        if state is None:
            xp = cuda.get_array_module(param.data)
            state = self.state[key] = {name: xp.zeros_like(param.data) for name in names}
        else:
            on_gpu = cuda.is_cupy_array(param.data)
            if cuda.is_cupy_array(state[names[0]]) != on_gpu:
                move = cuda.as_cupy if on_gpu else cuda.as_numpy
                state = self.state[key] = {name: move(a) for name, a in state.items()}
        return state


class SGD(Optimizer):
    def __init__(self, lr=0.01):
        super().__init__()
        self.lr = checks.real_number("SGD", "lr", lr)

    def update_one(self, param):
        blas.axpy(-self.lr, param.grad.data, param.data)


class MomentumSGD(_StatefulOptimizer):
    def __init__(self, lr=0.01, momentum=0.9):
        super().__init__()
        self.lr = checks.real_number("MomentumSGD", "lr", lr)
        self.momentum = checks.real_number("MomentumSGD", "momentum", momentum, high=1.0)

    def update_one(self, param):
        v = self.slots(param, "v")["v"]
        v *= self.momentum
        blas.axpy(-self.lr, param.grad.data, v)
        param.data += v


class AdaGrad(_StatefulOptimizer):
    def __init__(self, lr=0.001, eps=1e-8):
        super().__init__()
        self.lr = checks.real_number("AdaGrad", "lr", lr)
        self.eps = checks.real_number("AdaGrad", "eps", eps, low_ok=False)

    def update_one(self, param):
        xp = cuda.get_array_module(param.data)
        h = self.slots(param, "h")["h"]
        grad = param.grad.data
        h += grad * grad
        param.data -= self.lr * grad / (xp.sqrt(h) + self.eps)


class AdaDelta(_StatefulOptimizer):
    def __init__(self, rho=0.95, eps=1e-6):
        super().__init__()
        self.rho = checks.real_number("AdaDelta", "rho", rho, high=1.0)
        self.eps = checks.real_number("AdaDelta", "eps", eps, low_ok=False)

    def update_one(self, param):
        xp = cuda.get_array_module(param.data)
        s = self.slots(param, "msg", "msdx")
        msg, msdx = s["msg"], s["msdx"]
        rho, eps = self.rho, self.eps
        grad = param.grad.data
        msg *= rho
        msg += (1 - rho) * grad * grad
        dx = xp.sqrt((msdx + eps) / (msg + eps)) * grad
        msdx *= rho
        msdx += (1 - rho) * dx * dx
        param.data -= dx


class Adam(_StatefulOptimizer):
    """Adam with bias correction folded into the step size `lr`."""

    def __init__(self, alpha=0.001, beta1=0.9, beta2=0.999, eps=1e-8):
        super().__init__()
        self.t = 0
        self.alpha = checks.real_number("Adam", "alpha", alpha)
        self.beta1 = checks.real_number("Adam", "beta1", beta1, high=1.0)
        self.beta2 = checks.real_number("Adam", "beta2", beta2, high=1.0)
        self.eps = checks.real_number("Adam", "eps", eps, low_ok=False)

    def update(self, *args, **kwargs):
        self.t += 1
        super().update(*args, **kwargs)

    @property
    def lr(self):
        fix1 = 1.0 - math.pow(self.beta1, self.t)
        fix2 = 1.0 - math.pow(self.beta2, self.t)
        return self.alpha * math.sqrt(fix2) / fix1

    def update_one(self, param):
        xp = cuda.get_array_module(param.data)
        s = self.slots(param, "m", "v")
        m, v = s["m"], s["v"]
        beta1, beta2 = self.beta1, self.beta2
        grad = param.grad.data
        m += (1 - beta1) * (grad - m)
        v += (1 - beta2) * (grad * grad - v)
        param.data -= self.lr * m / (xp.sqrt(v) + self.eps)


# =============================================================================
# Hooks: called with the list of Parameters that have a gradient, before the update.  They bind new
# gradient Variables rather than changing them in place: one gradient may be shared by several inputs.
# =============================================================================
class WeightDecay:
    """L2 regularisation: grad += rate * param."""

    def __init__(self, rate):
        self.rate = checks.real_number("WeightDecay", "rate", rate)

    def __call__(self, params):
        for param in params:
            param.grad = Variable(param.grad.data + self.rate * param.data)


class ClipGrad:
    """Rescale all gradients together so that their global L2 norm is at most `max_norm`."""

    def __init__(self, max_norm):
        self.max_norm = checks.real_number("ClipGrad", "max_norm", max_norm, low_ok=False)

    def __call__(self, params):
        total = 0.0
        for param in params:
            total += float((param.grad.data ** 2).sum())
        rate = self.max_norm / (math.sqrt(total) + 1e-6)
        if rate < 1:
            for param in params:
                param.grad = Variable(param.grad.data * rate)


class FreezeParam:
    """Keep the Parameters of the given layers (or the given Parameters) unchanged."""

    def __init__(self, *layers):
        self.frozen = set()
        for item in layers:
            if isinstance(item, Parameter):
                self.frozen.add(id(item))
            elif callable(getattr(item, "params", None)):
                self.frozen.update(id(p) for p in item.params())
            else:
                raise TypeError(f"FreezeParam: each argument must be a Layer or a Parameter, got "
                                f"{type(item).__name__}")

    def __call__(self, params):
        for param in params:
            if id(param) in self.frozen:
                param.grad = None
