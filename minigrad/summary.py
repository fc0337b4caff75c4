"""Model summary: a table of layers, output shapes and parameter counts, like Keras's or torchinfo's."""
import numpy as np

from minigrad import cuda
from minigrad.core import Variable, no_grad, test_mode
from minigrad.layers import Layer
from minigrad.checks import positive_int


def count_params(layer):
    """Number of scalar parameters of `layer` (initialised ones)."""
    return int(sum(p.data.size for p in layer.params() if p.data is not None))


def _layer_names(model):
    names = {}

    def walk(layer, prefix):
        for name, obj in layer.named_children():
            if isinstance(obj, Layer):
                full = f"{prefix}.{name}" if prefix else name
                names[id(obj)] = full.replace("/", ".")
                walk(obj, full)
    walk(model, "")
    return names


def _layers(model):
    """`model` and every Layer below it, each once."""
    found = {id(model): model}

    def walk(layer):
        for _, obj in layer.named_children():
            if isinstance(obj, Layer) and id(obj) not in found:
                found[id(obj)] = obj
                walk(obj)
    walk(model)
    return list(found.values())


def _snapshot(model):
    """What a dry run may change: each layer's attributes (in_size, in_channels, a state ...) and
    which Parameters are still lazy."""
    layers = [(layer, dict(layer.__dict__), list(layer.__dict__.get("_params", ())))
              for layer in _layers(model)]
    lazy = [p for p in model.params() if p.data is None]
    return layers, lazy


def _restore(snapshot):
    layers, lazy = snapshot
    for layer, attrs, registered in layers:
        layer.__dict__.clear()
        layer.__dict__.update(attrs)
        layer.__dict__["_params"][:] = registered
    for p in lazy:
        p.data = None
        p.grad = None


def summary(model, input_shape, dtype=np.float32, print_fn=print):
    """Run a zero batch of one sample through `model` and tabulate the layers that have no sub-layers
    (in call order): name, type, output shape (batch axis shown as 1), parameter count.  Returns the
    rows as (name, type, output shape, params) tuples.

    The model is left as it was found: weights that were still lazy are lazy again (so a summary of a
    wrong shape cannot fix the model's input size), and recurrent states are reset."""
    if isinstance(input_shape, (int, np.integer)) and not isinstance(input_shape, bool):
        input_shape = (input_shape,)
    if not isinstance(input_shape, (tuple, list)):
        raise TypeError(f"summary: input_shape must be an int or a tuple of ints (one sample's shape, "
                        f"without the batch axis), got {input_shape!r}")
    input_shape = tuple(positive_int(s, f"summary: input_shape {input_shape!r}: each size")
                        for s in input_shape)
    if not callable(print_fn):
        raise TypeError(f"summary: print_fn must be callable, got {type(print_fn).__name__}")
    names = _layer_names(model)
    calls = []

    def record(layer, inputs, outputs):
        has_children = any(isinstance(obj, Layer) for _, obj in layer.named_children())
        if layer is not model and not has_children:
            calls.append((layer, outputs[0].shape))

    xp = np
    for p in model.params():
        if p.data is not None:
            xp = cuda.get_array_module(p.data)
            break
    x = Variable(xp.zeros((1,) + input_shape, dtype=dtype))
    before = _snapshot(model)
    Layer._call_hooks.append(record)
    try:
        with no_grad(), test_mode():
            y = model(x)
        rows = [(names.get(id(layer), type(layer).__name__), type(layer).__name__, shape,
                 count_params(layer)) for layer, shape in calls]
        total = count_params(model)
        buffers = {id(p): p for layer, _ in calls for name in getattr(layer, "buffers", ())
                   for p in [getattr(layer, name)] if p.data is not None}
        trainable = total - sum(p.data.size for p in buffers.values())
    finally:
        Layer._call_hooks.remove(record)
        _restore(before)
        _reset_states(model)  # the dry run must not leave a recurrent state of batch size 1 behind

    header = ("Layer", "Type", "Output shape", "Params")
    table = [header] + [(n, t, str(s), f"{c:,}") for n, t, s, c in rows]
    widths = [max(len(r[i]) for r in table) for i in range(4)]
    line = "-" * (sum(widths) + 6)

    def fmt(r):
        return f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:<{widths[2]}}  {r[3]:>{widths[3]}}"
    print_fn(f"{type(model).__name__}: input {(1,) + input_shape} -> output {y.shape}")
    print_fn(line)
    print_fn(fmt(header))
    print_fn(line)
    for r in table[1:]:
        print_fn(fmt(r))
    print_fn(line)
    print_fn(f"Total params: {total:,}")
    print_fn(f"Trainable params: {trainable:,}")
    print_fn(f"Non-trainable params: {total - trainable:,}")
    return rows


def _reset_states(layer):
    if hasattr(layer, "reset_state"):
        layer.reset_state()
    for _, obj in layer.named_children():
        if isinstance(obj, Layer):
            _reset_states(obj)
