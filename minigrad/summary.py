"""Model summary: a table of layers, output shapes and parameter counts, like Keras's or torchinfo's.

`summarize` builds a Summary (text with str(), an HTML table in a notebook); `summary` prints it and
returns None, so a notebook cell ending with `model.summary(...)` shows the table once.
"""
import html

import numpy as np

from minigrad import cuda
from minigrad.core import Variable, no_grad, test_mode
from minigrad.layers import Layer
from minigrad.checks import positive_int


def count_params(layer):
    """Number of scalar parameters of `layer` (initialised ones)."""
    return int(sum(p.data.size for p in layer.params() if p.data is not None))


def _layers(model):
    """(dotted name, layer) of every Layer below `model`, each once, in definition order."""
    return [(path.replace("/", "."), layer) for path, layer in model.named_layers() if layer is not model]


def _is_leaf(layer):
    return not any(isinstance(obj, Layer) for _, obj in layer.named_children())


def _weights(layer):
    """The layer's own Parameters as text: `W (6, 1, 5, 5), b (6,)`; `W ?` until initialised."""
    parts = []
    for name, obj in layer.named_children():
        if not isinstance(obj, Layer):
            parts.append(f"{name} {obj.shape}" if obj.data is not None else f"{name} ?")
    return ", ".join(parts)


class Summary:
    """A model's layer table.  `rows` holds (name, type, output shape, params) per layer without
    sub-layers: in call order with output shapes when an input shape was given, else in definition
    order with output shape None (the third column then shows the weights' shapes)."""

    def __init__(self, model, rows, weights, input_shape=None, output_shape=None):
        self.model_name = type(model).__name__
        self.rows = rows
        self.weights = weights
        self.input_shape = input_shape
        self.output_shape = output_shape
        self.total = count_params(model)
        buffers = {id(getattr(layer, name)): getattr(layer, name) for _, layer in _layers(model)
                   for name in getattr(layer, "buffers", ())}
        self.non_trainable = int(sum(p.data.size for p in buffers.values() if p.data is not None))
        self.trainable = self.total - self.non_trainable

    def _table(self):
        third = "Output shape" if self.input_shape is not None else "Weights"
        body = [(n, t, str(s) if s is not None else w, f"{c:,}")
                for (n, t, s, c), w in zip(self.rows, self.weights)]
        return ("Layer", "Type", third, "Params"), body

    def _title(self):
        if self.input_shape is None:
            return f"{self.model_name} (output shapes need an input shape: summary(input_shape))"
        return f"{self.model_name}: input {self.input_shape} -> output {self.output_shape}"

    def _totals(self):
        return [("Total params", self.total), ("Trainable params", self.trainable),
                ("Non-trainable params", self.non_trainable)]

    def lines(self):
        """The table as lines of text."""
        header, body = self._table()
        widths = [max(len(r[i]) for r in [header] + body) for i in range(4)]
        rule = "-" * (sum(widths) + 6)

        def fmt(r):
            return f"{r[0]:<{widths[0]}}  {r[1]:<{widths[1]}}  {r[2]:<{widths[2]}}  {r[3]:>{widths[3]}}"
        return ([self._title(), rule, fmt(header), rule] + [fmt(r) for r in body] + [rule]
                + [f"{k}: {v:,}" for k, v in self._totals()])

    def __str__(self):
        return "\n".join(self.lines())

    __repr__ = __str__

    def _repr_html_(self):
        esc = html.escape
        header, body = self._table()
        left, right = 'style="text-align:left"', 'style="text-align:right"'
        head = "".join(f"<th {right if i == 3 else left}>{esc(h)}</th>" for i, h in enumerate(header))
        rows = "".join("<tr>" + "".join(f"<td {right if i == 3 else left}>{esc(c)}</td>"
                                        for i, c in enumerate(r)) + "</tr>" for r in body)
        foot = "".join(f'<tr><td colspan="3" {left}>{esc(k)}</td><td {right}>{v:,}</td></tr>'
                       for k, v in self._totals())
        return (f'<table><caption style="text-align:left">{esc(self._title())}</caption>'
                f"<thead><tr>{head}</tr></thead><tbody>{rows}</tbody><tfoot>{foot}</tfoot></table>")


def summarize(model, input_shape=None, dtype=np.float32):
    """The Summary of `model`.  With `input_shape` (one sample, without the batch axis) a zero batch of
    one sample runs through the model (no graph, test mode) to record each layer's output shape;
    without it, the layers are listed from the model's structure and nothing runs."""
    if input_shape is None:
        leaves = [(name, layer) for name, layer in _layers(model) if _is_leaf(layer)]
        rows = [(name, type(layer).__name__, None, count_params(layer)) for name, layer in leaves]
        return Summary(model, rows, [_weights(layer) for _, layer in leaves])

    if isinstance(input_shape, (int, np.integer)) and not isinstance(input_shape, bool):
        input_shape = (input_shape,)
    if not isinstance(input_shape, (tuple, list)):
        raise TypeError(f"summary: input_shape must be an int or a tuple of ints (one sample's shape, "
                        f"without the batch axis), got {input_shape!r}")
    input_shape = tuple(positive_int(s, f"summary: input_shape {input_shape!r}: each size")
                        for s in input_shape)
    names = {id(layer): name for name, layer in _layers(model)}
    calls = []

    def record(layer, inputs, outputs):
        if layer is not model and _is_leaf(layer):
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
        return Summary(model, rows, [_weights(layer) for layer, _ in calls], (1,) + input_shape, y.shape)
    finally:
        Layer._call_hooks.remove(record)
        _restore(before)
        _reset_states(model)  # the dry run must not leave a recurrent state of batch size 1 behind


def _snapshot(model):
    """What a dry run may change: each layer's attributes (in_size, in_channels, a state ...) and
    which Parameters are still lazy."""
    layers = [model] + [layer for _, layer in _layers(model)]
    saved = [(layer, dict(layer.__dict__), list(layer.__dict__.get("_params", ()))) for layer in layers]
    return saved, [p for p in model.params() if p.data is None]


def _restore(snapshot):
    """Put back what _snapshot saw: a summary leaves the model as it found it (a lazy weight stays
    lazy, so a summary of a wrong shape cannot fix the model's input size)."""
    saved, lazy = snapshot
    for layer, attrs, registered in saved:
        layer.__dict__.clear()
        layer.__dict__.update(attrs)
        layer.__dict__["_params"][:] = registered
    for p in lazy:
        p.data = None
        p.grad = None


def summary(model, input_shape=None, dtype=np.float32, print_fn=print):
    """Print `model`'s Summary (see summarize) line by line with `print_fn`; returns None."""
    if not callable(print_fn):
        raise TypeError(f"summary: print_fn must be callable, got {type(print_fn).__name__}")
    for line in summarize(model, input_shape, dtype).lines():
        print_fn(line)


def _reset_states(model):
    for _, layer in model.named_layers():
        if hasattr(layer, "reset_state"):
            layer.reset_state()
