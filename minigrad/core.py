"""The define-by-run autograd engine: Config, Variable, Parameter and Function.

Every `Function.__call__` runs `forward` on raw arrays and, while backprop is enabled, links its outputs
to itself.  `Variable.backward()` walks that graph from the output back to the leaves in generation order.
`Function.backward` takes and returns Variables and is written with Functions, so with
`create_graph=True` the backward pass is itself a graph and gradients of any order come for free.

This is the engine tuned for speed; minigrad.core_simple is the same idea in its plainest form.  The
arithmetic Functions live in minigrad.functions, and minigrad.operators installs the operators
(`+ - * / ** @ []`) and tensor methods (`reshape`, `T`, `sum` ...) on Variable.
"""
import contextlib
import heapq
import html
import sys
import weakref

import numpy as np

from minigrad import cuda


# =============================================================================
# Config
# =============================================================================
class Config:
    """Global switches: `enable_backprop` (build graphs) and `train` (training-mode behaviour)."""
    enable_backprop = True
    train = True


@contextlib.contextmanager
def using_config(name, value):
    """Temporarily set `Config.<name>` to `value`."""
    old_value = getattr(Config, name)
    setattr(Config, name, value)
    try:
        yield
    finally:
        setattr(Config, name, old_value)


def no_grad():
    """Context manager: run without recording a graph."""
    return using_config("enable_backprop", False)


def test_mode():
    """Context manager: evaluation behaviour (dropout off, batch norm uses running statistics)."""
    return using_config("train", False)


# =============================================================================
# Variable / Parameter
# =============================================================================
class Variable:
    """A node of the graph: an array `data`, its gradient `grad` (a Variable) and its `creator`."""
    __slots__ = ("data", "name", "grad", "creator", "generation", "__weakref__")
    __array_priority__ = 200

    def __init__(self, data, name=None):
        if data is not None and not isinstance(data, np.ndarray) and not cuda.is_cupy_array(data):
            raise TypeError(f"Variable: data must be a numpy or cupy ndarray (or None), "
                            f"got {type(data).__name__}")
        self.data = data
        self.name = name
        self.grad = None
        self.creator = None
        self.generation = 0

    @property
    def shape(self):
        return self.data.shape

    @property
    def ndim(self):
        return self.data.ndim

    @property
    def size(self):
        return self.data.size

    @property
    def dtype(self):
        return self.data.dtype

    def __len__(self):
        return len(self.data)

    def __repr__(self):
        if self.data is None:
            return "variable(None)"
        body = str(self.data).replace("\n", "\n" + " " * 9)
        return f"variable({body})"

    def _repr_html_(self):
        """Notebook display: name, shape, dtype, device, whether a gradient is held, then the data."""
        facts = ["data None"] if self.data is None else [f"shape {self.shape}", str(self.dtype)]
        if self.data is not None and cuda.is_cupy_array(self.data):
            facts.append("on GPU")
        facts.append("no grad" if self.grad is None else "grad held")
        if self.creator is not None:
            facts.append(f"made by {type(self.creator).__name__}")
        name = "" if self.name is None else f" <code>{html.escape(str(self.name))}</code>"
        return (f"<div><b>{type(self).__name__}</b>{name} &middot; {html.escape(' · '.join(facts))}</div>"
                f"<pre>{html.escape(repr(self))}</pre>")

    def unchain(self):
        """Forget the creator: this Variable becomes a leaf."""
        self.creator = None

    def cleargrad(self):
        self.grad = None

    def backward(self, retain_grad=False, create_graph=False):
        """Backpropagate from this Variable, accumulating `.grad` on the leaves.

        The seed gradient is `self.grad` if set, else ones.  Intermediate gradients are recomputed on
        every call (a stale one from an earlier `retain_grad=True` pass is replaced, not added to) and
        released afterwards unless `retain_grad`.  With `create_graph=True` the backward computation is
        recorded, so the gradients can be differentiated again.
        """
        if self.grad is None:
            xp = cuda.get_array_module(self.data)
            self.grad = Variable(xp.ones_like(self.data))
        if self.creator is None:
            return

        fresh = {id(self)}  # non-leaf Variables whose grad was set during this pass
        seen = {self.creator}
        # Fast path: a heap by generation, not a list re-sorted per Function, and a branch for the
        # single-output case below: the 1,000-op chain's backward 3.1 ms vs 3.4 ms
        # (benchmarks/fast_paths.py).
        heap = [(-self.creator.generation, 0, self.creator)]
        push, pop = heapq.heappush, heapq.heappop
        old_backprop = Config.enable_backprop
        Config.enable_backprop = create_graph
        try:
            while heap:
                f = pop(heap)[2]
                refs = f.outputs
                if len(refs) == 1:
                    y = refs[0]()
                    outputs = (y,)
                    gxs = f.backward(y.grad)
                else:
                    outputs = [ref() for ref in refs]  # an output not reached in this pass has no gradient
                    gxs = f.backward(*[y.grad if y is not None and id(y) in fresh else None
                                       for y in outputs])
                if type(gxs) is not tuple:
                    gxs = (gxs,)
                for x, gx in zip(f.inputs, gxs):
                    if gx is None:
                        continue
                    creator = x.creator
                    if creator is None:  # a leaf: accumulate across calls
                        if x.grad is not None:
                            x.grad = x.grad + gx
                        elif create_graph:
                            x.grad = gx
                        else:  # its own Variable (one gy may reach several leaves; the array is
                            x.grad = Variable(gx.data)  # shared, so never change .data in place)
                    elif id(x) in fresh:
                        x.grad = x.grad + gx
                    else:
                        fresh.add(id(x))
                        x.grad = gx
                        if creator not in seen:
                            seen.add(creator)
                            push(heap, (-creator.generation, len(seen), creator))
                if not retain_grad:
                    for y in outputs:
                        if y is not None and y is not self:
                            y.grad = None
        finally:
            Config.enable_backprop = old_backprop

    def unchain_backward(self):
        """Cut the graph behind this Variable (truncated backprop for RNNs)."""
        if self.creator is None:
            return
        funcs = [self.creator]
        while funcs:
            f = funcs.pop()
            for x in f.inputs:
                if x.creator is not None:
                    funcs.append(x.creator)
                    x.unchain()

    def __dlpack__(self, *args, **kwargs):
        """DLPack export of the array, zero-copy (torch.from_dlpack(v), jax.dlpack.from_dlpack(v) ...)."""
        return self.data.__dlpack__(*args, **kwargs)

    def __dlpack_device__(self):
        return self.data.__dlpack_device__()

    def to_cpu(self):
        if self.data is not None:
            self.data = cuda.as_numpy(self.data)
        if self.grad is not None:
            self.grad.to_cpu()

    def to_gpu(self):
        if self.data is not None:
            self.data = cuda.as_cupy(self.data)
        if self.grad is not None:
            self.grad.to_gpu()


class Parameter(Variable):
    """A Variable that a Layer registers and an Optimizer updates."""
    __slots__ = ()


def as_variable(obj):
    """Wrap an array in a Variable (Variables pass through)."""
    if isinstance(obj, Variable):
        return obj
    return Variable(obj)


def as_array(x, array_module=np, dtype=None):
    """Turn a Python/NumPy scalar (or array) into an array of `array_module` (arrays of that module
    pass through when no dtype is asked)."""
    if isinstance(x, np.ndarray) and dtype is None and array_module is np:
        return x
    if cuda.is_cupy_array(x) and dtype is None:
        return x
    return array_module.asarray(x, dtype=dtype)


# =============================================================================
# Function
# =============================================================================
class Function:
    """An operation of the graph: `forward` maps arrays to arrays; `backward` maps output-gradient
    Variables to input-gradient Variables, written with Functions so it is differentiable again."""

    generation = 0
    _array_inputs = ()  # positions of the inputs passed as plain arrays (see needs_input_grad)

    def __call__(self, *inputs):
        for x in inputs:
            if not isinstance(x, Variable):
                self._array_inputs = tuple([i for i, x in enumerate(inputs) if not isinstance(x, Variable)])
                inputs = tuple([as_variable(x) for x in inputs])
                break
        # Fast paths: one and two inputs without lists, the device check only once CuPy is loaded, and
        # the lean single-output return below: forward of the 1,000-op chain 1.9 ms vs 3.8 ms for the
        # plain version (benchmarks/fast_paths.py).
        n_inputs = len(inputs)
        if n_inputs == 1:
            x = inputs[0]
            ys = self.forward(x.data)
            generation = x.generation
        elif n_inputs == 2:
            x0, x1 = inputs
            if "cupy" in sys.modules:
                cuda.check_same_device(type(self).__name__, (x0.data, x1.data))
            ys = self.forward(x0.data, x1.data)
            generation = x0.generation if x0.generation > x1.generation else x1.generation
        else:
            xs = [x.data for x in inputs]
            if "cupy" in sys.modules:
                cuda.check_same_device(type(self).__name__, xs)
            ys = self.forward(*xs)
            generation = max([x.generation for x in inputs])

        if type(ys) is not tuple:  # the common single-output case
            y = Variable(ys if type(ys) is np.ndarray else as_array(ys))
            if Config.enable_backprop:
                self.generation = generation
                y.creator = self
                y.generation = generation + 1
                self.inputs = inputs
                self.outputs = (weakref.ref(y),)
            return y

        outputs = [Variable(as_array(y)) for y in ys]
        if Config.enable_backprop:
            self.generation = generation
            for y in outputs:
                y.creator = self
                y.generation = generation + 1
            self.inputs = inputs
            self.outputs = tuple([weakref.ref(y) for y in outputs])
        return outputs if len(outputs) > 1 else outputs[0]

    @property
    def needs_input_grad(self):
        """One bool per input: False for an input passed as a plain array, whose gradient nobody can
        observe, so `backward` may return None for it instead of computing it."""
        return tuple([i not in self._array_inputs for i in range(len(self.inputs))])

    def forward(self, *xs):
        raise NotImplementedError()

    def backward(self, *gys):
        raise NotImplementedError()
