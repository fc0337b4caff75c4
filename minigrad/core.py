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
import copy
import heapq
import html
import sys
import threading
import weakref

import numpy as np

from minigrad import cuda


# =============================================================================
# Config
# =============================================================================
class _ThreadConfig(threading.local):
    """The switches of one thread; a thread starts from the defaults (its __init__ runs per thread)."""

    def __init__(self):
        self.enable_backprop = True
        self.train = True


# Function.__call__ reads _state.enable_backprop directly: 31 ns a read against 13 ns for a plain
# class attribute and 70 ns through Config's property (timeit, Python 3.11).
_state = _ThreadConfig()


class _ConfigType(type):
    """Makes Config.enable_backprop and Config.train read and write the calling thread's switches."""

    @property
    def enable_backprop(cls):
        return _state.enable_backprop

    @enable_backprop.setter
    def enable_backprop(cls, value):
        _state.enable_backprop = value

    @property
    def train(cls):
        return _state.train

    @train.setter
    def train(cls, value):
        _state.train = value


class Config(metaclass=_ConfigType):
    """Switches: `enable_backprop` (build graphs) and `train` (training-mode behaviour).

    Each thread has its own (as PyTorch's grad mode), starting from True and True: `no_grad()` in one
    thread, or a backward pass running there, leaves the graphs of other threads alone.  They are read
    and set as class attributes (`Config.train = False`), as DeZero code does."""


@contextlib.contextmanager
def using_config(name, value):
    """Temporarily set `Config.<name>` to `value` (in this thread, for enable_backprop and train)."""
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

        The seed gradient is `self.grad` if set (it must have this Variable's shape), else ones.
        Intermediate gradients are recomputed on every call (a stale one from an earlier
        `retain_grad=True` pass is replaced, not added to) and released afterwards unless `retain_grad`.
        With `create_graph=True` the backward computation is recorded, so the gradients can be
        differentiated again.  Each leaf's gradient owns a writable array, so in-place updates of one
        (`p.grad.data *= 0.5`, as optimizer hooks do) never reach another.
        """
        if self.data is None:
            raise ValueError(f"backward: {_describe(self)} holds no data")
        if self.grad is None:
            xp = cuda.get_array_module(self.data)
            self.grad = Variable(xp.ones_like(self.data))
        elif self.grad.shape != self.data.shape:
            raise ValueError(f"backward: the seed gradient ({_describe(self)}.grad) has shape "
                             f"{self.grad.shape} but the Variable has shape {self.data.shape}")
        if self.creator is None:
            return

        fresh = {self}  # non-leaf Variables whose grad was set during this pass (hashed by identity)
        seen = {self.creator}
        # memory owners of the arrays given to leaves as their gradient this pass (and of the seed):
        # a leaf whose gradient would share one gets a copy instead
        claimed = {id(_owner(self.grad.data))}
        # Fast path: a heap by generation, not a list re-sorted per Function, and a branch for the
        # single-output case below: the 1,000-op chain's backward 3.2 ms vs 4.0 ms
        # (benchmarks/fast_paths.py).  While a single Function is pending (a chain: most of an MLP or a
        # CNN), it is simply the next one, held in `single`, and the heap is not touched.
        heap = []
        single = self.creator
        push, pop = heapq.heappush, heapq.heappop
        state = _state
        old_backprop = state.enable_backprop
        state.enable_backprop = create_graph
        try:
            while True:
                if single is not None:
                    f, single = single, None
                elif heap:
                    f = pop(heap)[2]
                else:
                    break
                refs = f.outputs
                # an output's gradient is released once its Function has used it, unless retain_grad;
                # kept gradients are claimed too: a leaf must not share theirs
                if len(refs) == 1:
                    y = refs[0]()
                    gxs = f.backward(y.grad)
                    if retain_grad:
                        claimed.add(id(_owner(y.grad.data)))
                    elif y is not self:
                        y.grad = None
                else:
                    outputs = [ref() for ref in refs]  # an output not reached in this pass has no gradient
                    gxs = f.backward(*[y.grad if y is not None and y in fresh else None
                                       for y in outputs])
                    for y in outputs:
                        if y is None or y.grad is None:
                            continue
                        if retain_grad:
                            claimed.add(id(_owner(y.grad.data)))
                        elif y is not self:
                            y.grad = None
                if type(gxs) is not tuple:
                    gxs = (gxs,)
                for x, gx in zip(f.inputs, gxs):
                    if gx is None:
                        continue
                    creator = x.creator
                    if creator is None:  # a leaf: accumulate across calls
                        if x.grad is not None:
                            x.grad = x.grad + gx  # a new array
                        else:
                            x.grad = _leaf_grad(gx, claimed, create_graph)
                    elif x in fresh:
                        x.grad = x.grad + gx
                    else:
                        fresh.add(x)
                        x.grad = gx
                        if creator not in seen:
                            seen.add(creator)
                            if single is None and not heap:
                                single = creator
                            else:
                                if single is not None:  # it was the last one added to seen
                                    push(heap, (-single.generation, len(seen) - 1, single))
                                    single = None
                                push(heap, (-creator.generation, len(seen), creator))
        finally:
            state.enable_backprop = old_backprop

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


def _describe(v):
    return f"Variable {v.name!r}" if v.name else "the Variable"


def _owner(a):
    """The array that owns a's memory: a itself, or the array it is a view of."""
    base = a.base
    return a if base is None else base


def _writable(a):
    """Whether a can be updated in place on its own: not a read-only (e.g. broadcast) view."""
    try:
        return a.flags.writeable
    except AttributeError:  # CuPy has no writeable flag: a zero stride marks a broadcast view
        return 0 not in a.strides


def _leaf_grad(gx, claimed, create_graph):
    """The gradient to store on a leaf: gx itself when its array is writable and no other leaf (nor
    the seed) holds it, else a copy (a recorded one under create_graph).  One gy reaching two leaves
    (a + b) or a broadcast view (the gradient of a sum) would otherwise be shared or read-only."""
    data = gx.data
    if _writable(data):
        owner = id(_owner(data))
        if owner not in claimed:
            claimed.add(owner)
            return gx if create_graph else Variable(data)
    return Copy()(gx) if create_graph else Variable(data.copy())


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
    Variables to input-gradient Variables, written with Functions so it is differentiable again.

    A Function object is one node of the graph.  Calling one again after it recorded a graph (`f =
    Sin(); f(f(x))`) runs the call on a copy of it, so the first call's node (its inputs and what its
    forward kept for backward) stays intact; the new outputs' creator is that copy."""

    generation = 0
    outputs = None  # weak references to the outputs, once a call recorded a graph
    _array_inputs = ()  # positions of the inputs passed as plain arrays (see needs_input_grad)

    def __call__(self, *inputs):
        if self.outputs is not None:  # already a node of a graph: this call gets its own node
            self = self._fresh_copy()
        # Fast paths: one and two inputs without lists or loops, the device check only once CuPy is
        # loaded, and the lean single-output return below: forward of the 1,000-op chain 2.2 ms vs
        # 4.9 ms for the plain version (benchmarks/fast_paths.py).  Checking each input's type in its
        # branch instead of a loop over the inputs saves 70 ns per call (1,000-op chain, Python 3.11).
        array_inputs = ()  # positions of inputs passed as plain arrays, made Variables here
        n_inputs = len(inputs)
        try:  # free in Python 3.11 when nothing is raised
            if n_inputs == 1:
                x = inputs[0]
                if not isinstance(x, Variable):
                    array_inputs, inputs = _wrap_arrays(inputs)
                    x = inputs[0]
                ys = self.forward(x.data)
                generation = x.generation
            elif n_inputs == 2:
                x0, x1 = inputs
                if not isinstance(x0, Variable) or not isinstance(x1, Variable):
                    array_inputs, inputs = _wrap_arrays(inputs)
                    x0, x1 = inputs
                if "cupy" in sys.modules:
                    cuda.check_same_device(type(self).__name__, (x0.data, x1.data))
                ys = self.forward(x0.data, x1.data)
                generation = x0.generation if x0.generation > x1.generation else x1.generation
            else:
                array_inputs, inputs = _wrap_arrays(inputs)
                xs = [x.data for x in inputs]
                if "cupy" in sys.modules:
                    cuda.check_same_device(type(self).__name__, xs)
                ys = self.forward(*xs)
                generation = max([x.generation for x in inputs])
        except (AttributeError, TypeError):  # a clearer error when an input holds no data
            require_data(type(self).__name__, inputs)
            raise

        if type(ys) is not tuple:  # the common single-output case
            if type(ys) is np.ndarray:  # a Variable built without __init__'s type check: 5% of the chain
                y = _new_variable(Variable)
                y.data, y.name, y.grad = ys, None, None
            else:
                y = Variable(as_array(ys))
            if _state.enable_backprop:
                self.generation = generation
                y.creator = self
                y.generation = generation + 1
                self.inputs = inputs
                self.outputs = (weakref.ref(y),)
                if array_inputs:
                    self._array_inputs = array_inputs
            else:
                y.creator, y.generation = None, 0
            return y

        outputs = [Variable(as_array(y)) for y in ys]
        if _state.enable_backprop:
            self.generation = generation
            for y in outputs:
                y.creator = self
                y.generation = generation + 1
            self.inputs = inputs
            self.outputs = tuple([weakref.ref(y) for y in outputs])
            if array_inputs:
                self._array_inputs = array_inputs
        return outputs if len(outputs) > 1 else outputs[0]

    def _fresh_copy(self):
        """A copy of this Function (its settings) that is not yet part of any graph."""
        new = copy.copy(self)
        for name in ("inputs", "outputs", "generation", "_array_inputs"):
            new.__dict__.pop(name, None)
        return new

    @property
    def needs_input_grad(self):
        """One bool per input: False for an input passed as a plain array, whose gradient nobody can
        observe, so `backward` may return None for it instead of computing it."""
        return tuple([i not in self._array_inputs for i in range(len(self.inputs))])

    def forward(self, *xs):
        raise NotImplementedError()

    def backward(self, *gys):
        raise NotImplementedError()


_new_variable = object.__new__


def _wrap_arrays(inputs):
    """(positions of the inputs that are not Variables, the inputs as Variables)."""
    array_inputs = tuple([i for i, x in enumerate(inputs) if not isinstance(x, Variable)])
    if array_inputs:
        inputs = tuple([as_variable(x) for x in inputs])
    return array_inputs, inputs


def require_data(fname, inputs):
    """Raise a ValueError naming the first of the Variables `inputs` that holds no data (is
    Variable(None)), if any."""
    for i, x in enumerate(inputs):
        if isinstance(x, Variable) and x.data is None:
            which = f"input {i} ({_describe(x)})" if len(inputs) > 1 else _describe(x)
            raise ValueError(f"{fname}: {which} holds no data (it is Variable(None))")


class Copy(Function):
    """y = a copy of x; the gradient passes through unchanged.  The engine gives a leaf its own
    gradient array with it under create_graph (see Variable.backward)."""

    def forward(self, x):
        return x.copy()

    def backward(self, gy):
        return gy
