"""Optimizers update a target Layer's Parameters from their gradients; hooks adjust the gradients
first (weight decay, gradient clipping, freezing).  State lives on the Parameters' device."""
import math

from minigrad import cuda
from minigrad.core import Parameter, Variable


class Optimizer:
    """Base class: `setup(target)`, then `update()` after each backward (or PyTorch's `zero_grad()`
    before it and `step()` after it)."""

    def __init__(self):
        self.target = None
        self.hooks = []

    def setup(self, target):
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
        self.hooks.append(f)


class _StatefulOptimizer(Optimizer):
    """An optimizer keeping per-parameter arrays (momentum, squared-gradient sums ...)."""

    def __init__(self):
        super().__init__()
        self.state = {}

    def slots(self, param, *names):
        """This parameter's state arrays `names`, created as zeros on its device the first time."""
        key = id(param)
        if key not in self.state:
            xp = cuda.get_array_module(param.data)
            self.state[key] = {name: xp.zeros_like(param.data) for name in names}
        return self.state[key]


class SGD(Optimizer):
    def __init__(self, lr=0.01):
        super().__init__()
        self.lr = lr

    def update_one(self, param):
        param.data -= self.lr * param.grad.data


class MomentumSGD(_StatefulOptimizer):
    def __init__(self, lr=0.01, momentum=0.9):
        super().__init__()
        self.lr = lr
        self.momentum = momentum

    def update_one(self, param):
        v = self.slots(param, "v")["v"]
        v *= self.momentum
        v -= self.lr * param.grad.data
        param.data += v


class AdaGrad(_StatefulOptimizer):
    def __init__(self, lr=0.001, eps=1e-8):
        super().__init__()
        self.lr = lr
        self.eps = eps

    def update_one(self, param):
        xp = cuda.get_array_module(param.data)
        h = self.slots(param, "h")["h"]
        grad = param.grad.data
        h += grad * grad
        param.data -= self.lr * grad / (xp.sqrt(h) + self.eps)


class AdaDelta(_StatefulOptimizer):
    def __init__(self, rho=0.95, eps=1e-6):
        super().__init__()
        self.rho = rho
        self.eps = eps

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
        self.alpha = alpha
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps

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
        self.rate = rate

    def __call__(self, params):
        for param in params:
            param.grad = Variable(param.grad.data + self.rate * param.data)


class ClipGrad:
    """Rescale all gradients together so that their global L2 norm is at most `max_norm`."""

    def __init__(self, max_norm):
        self.max_norm = max_norm

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
            else:
                self.frozen.update(id(p) for p in item.params())

    def __call__(self, params):
        for param in params:
            if id(param) in self.frozen:
                param.grad = None
