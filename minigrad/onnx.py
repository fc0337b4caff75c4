"""Export to ONNX: run a model once, walk the graph it recorded, write the same computation as ONNX.

    import minigrad.onnx
    minigrad.onnx.export(model, x[:1], "lenet.onnx")          # then: onnxruntime.InferenceSession(...)

The model runs once in test mode (dropout off, batch norm on its running statistics) with the graph
recorded; the walk goes from the outputs back to the inputs and maps each Function to ONNX nodes.
Parameters become initializers named by their layer path (`conv1/W`); other constants the graph holds
become initializers too.  With `dynamic_batch=True` the first axis of every input is symbolic
("batch"): each mapping keeps track of where the batch axis went, writes shapes that hold for any
batch size (`Reshape` to [-1, 400], not [100, 400]), and raises when a Function fixes a shape that
depends on the batch (then export with dynamic_batch=False).

A Function with no mapping raises ExportError naming it and its node.  Functions of backward passes
(TanhGrad, GetItemGrad, Conv2DGradW, the pooling gradients) have none.  The onnx package is an
optional dependency (`pip install minigrad[onnx]`), imported only when export runs.
"""
import importlib.metadata
import math

import numpy as np

import minigrad.functions as F
from minigrad import cuda
from minigrad.core import Function, Parameter, Variable, test_mode, using_config
from minigrad.files import atomic_path
from minigrad.layers import Layer

DEFAULT_OPSET = 17  # ReduceSum takes axes as an input from 13 on; onnxruntime 1.14+ runs 17
MIN_OPSET = 13      # Softmax over one axis, Squeeze/Unsqueeze axes as inputs
_INT64_MAX = 2 ** 63 - 1
_INT64_MIN = -2 ** 63


class ExportError(ValueError):
    """A model that cannot be written as ONNX.  `function` is the Function's class name (or None),
    `node` the ONNX node name the Function would have had."""

    def __init__(self, message, function=None, node=None):
        super().__init__(message)
        self.function = function
        self.node = node


# =============================================================================
# The table of mappings: Function class -> converter(ctx, f, xs, ys)
# =============================================================================
def _function_class(name):
    """The Function class called `name`: from minigrad.functions (where every Function class is
    importable), else from minigrad.core or minigrad.functions_conv where they live today; None when
    no such class exists."""
    cls = getattr(F, name, None)
    if cls is None:
        from minigrad import core
        cls = getattr(core, name, None)
    if cls is None:
        try:
            from minigrad import functions_conv
        except ImportError:
            functions_conv = None
        cls = getattr(functions_conv, name, None)
    return cls if isinstance(cls, type) and issubclass(cls, Function) else None


_CONVERTERS = {}  # Function class -> converter
_UNMAPPED = {}    # Function class -> why it has no mapping


def _converts(*names):
    def register(converter):
        for name in names:
            cls = _function_class(name)
            if cls is not None:
                _CONVERTERS[cls] = converter
        return converter
    return register


_BACKWARD_ONLY = ("TanhGrad", "GetItemGrad", "Conv2DGradW", "Pooling2DGrad", "Pooling2DWithIndexes",
                  "AveragePooling2DGrad", "_SumNHW")


def supported_functions():
    """The Function classes export maps, by name."""
    return sorted({cls.__name__ for cls in _CONVERTERS} | set(_PRIVATE_CONVERTERS))


def unsupported_functions():
    """{Function class name: why it has no mapping} for minigrad's Functions that export refuses."""
    return {cls.__name__: why for cls, why in _UNMAPPED.items()}


# =============================================================================
# export
# =============================================================================
def export(model, example_input, path, input_names=None, output_names=None, dynamic_batch=True,
           opset=None):
    """Write `model` (a Model, a Layer or any function of Variables) as an ONNX file at `path`.

    example_input: an array or Variable, or a tuple/list of them for a model of several inputs; the
    model runs once on it in test mode.  input_names / output_names: the graph's names (default
    "input", "output"; "input0", "input1" ... for several).  dynamic_batch: make the first axis of
    every input (and the batch axis of the outputs) symbolic.  opset: the ONNX opset (default 17,
    at least 13).  The file is written atomically; `path=None` writes nothing.  Returns the
    onnx.ModelProto, which has passed onnx.checker.check_model.
    """
    try:
        import onnx
    except ImportError:
        raise ImportError("minigrad.onnx.export needs the onnx package: pip install 'minigrad[onnx]' "
                          "(or pip install onnx onnxruntime)") from None
    opset = DEFAULT_OPSET if opset is None else opset
    newest = onnx.defs.onnx_opset_version()
    if isinstance(opset, bool) or not isinstance(opset, (int, np.integer)) or \
            not MIN_OPSET <= opset <= newest:
        raise ValueError(f"export: opset must be an int from {MIN_OPSET} to {newest} (this onnx "
                         f"package's newest), got {opset!r}")
    inputs = _as_inputs(example_input)
    input_names = _names("input_names", input_names, len(inputs), "input")
    if dynamic_batch:
        sizes = {x.shape[0] for x in inputs if x.ndim}
        if len(sizes) > 1:
            raise ValueError(f"export: dynamic_batch=True makes axis 0 of every input the batch axis, but "
                             f"the inputs' first axes differ ({[x.shape for x in inputs]}); pass "
                             "dynamic_batch=False")
    with using_config("enable_backprop", True), test_mode():
        outputs = model(*inputs)
    outputs = list(outputs) if isinstance(outputs, (tuple, list)) else [outputs]
    for i, y in enumerate(outputs):
        if not isinstance(y, Variable):
            raise TypeError(f"export: the model must return Variables, output {i} is "
                            f"{type(y).__name__}")
    output_names = _names("output_names", output_names, len(outputs), "output")
    if set(input_names) & set(output_names):
        raise ValueError(f"export: input and output names must differ, got {input_names} and "
                         f"{output_names}")

    ctx = _Context(onnx, opset, bool(dynamic_batch), _parameter_paths(model))
    ctx.add_inputs(inputs, input_names)
    graph = ctx.convert(outputs, output_names, type(model).__name__)
    model_proto = onnx.helper.make_model(
        graph, opset_imports=[onnx.helper.make_opsetid("", opset)], producer_name="minigrad",
        producer_version=_minigrad_version())
    # the IR version the opset needs, not the onnx package's newest (which runtimes may not read yet)
    model_proto.ir_version = onnx.helper.find_min_ir_version_for(list(model_proto.opset_import))
    onnx.checker.check_model(model_proto, full_check=True)
    if path is not None:
        with atomic_path(path) as tmp:
            onnx.save(model_proto, tmp)
    return model_proto


def _minigrad_version():
    try:
        return importlib.metadata.version("minigrad")
    except importlib.metadata.PackageNotFoundError:  # run from a source tree, not installed
        return ""


def _as_inputs(example_input):
    items = list(example_input) if isinstance(example_input, (tuple, list)) else [example_input]
    if not items:
        raise ValueError("export: example_input is empty")
    inputs = []
    for i, x in enumerate(items):
        if isinstance(x, Variable):
            inputs.append(x)
        elif isinstance(x, np.ndarray) or cuda.is_cupy_array(x):
            inputs.append(Variable(x))
        else:
            raise TypeError(f"export: example_input must be arrays or Variables, item {i} is "
                            f"{type(x).__name__}")
    return inputs


def _names(arg, names, n, base):
    if names is None:
        return [base] if n == 1 else [f"{base}{i}" for i in range(n)]
    names = [names] if isinstance(names, str) else list(names)
    if len(names) != n or len(set(names)) != n or not all(isinstance(s, str) and s for s in names):
        raise ValueError(f"export: {arg} must be {n} distinct non-empty strings, got {names!r}")
    return names


def _parameter_paths(model):
    """{id(Parameter): 'conv1/W'} for the Parameters of a Layer, named by their path as
    save_weights names them (first path wins for a Parameter reachable twice)."""
    paths = {}
    if not isinstance(model, Layer):
        return paths
    seen = set()

    def walk(layer, prefix):
        for name, obj in layer.named_children():
            if id(obj) in seen:
                continue
            seen.add(id(obj))
            key = f"{prefix}/{name}" if prefix else name
            if isinstance(obj, Layer):
                walk(obj, key)
            else:
                paths[id(obj)] = key
    walk(model, "")
    return paths


# =============================================================================
# The conversion context
# =============================================================================
class _Context:
    """Names values, collects nodes and initializers, and tracks the batch axis of every value: a
    Variable's batch info is None (no batch axis: its shape is fixed) or (axis, factor), meaning
    shape[axis] == batch_size * factor (factor > 1 where a reshape folded the batch into an axis)."""

    def __init__(self, onnx, opset, dynamic, param_paths):
        self.onnx = onnx
        self.helper = onnx.helper
        self.opset = opset
        self.dynamic = dynamic
        self.param_paths = param_paths
        self.nodes = []
        self.initializers = []
        self.graph_inputs = []
        self.names = {}        # id(Variable) -> value name
        self.keep = []         # Variables named here, kept alive so their ids stay unique
        self.batch_info = {}   # id(Variable) -> None or (axis, factor)
        self.input_data = {}   # id(array) -> Variable: an input's array met as a constant (embed_id)
        self.used = set()
        self.casts = {}
        self.batch_size = None
        self.node_name = None
        self.function = None
        self.n_nodes = 0

    # --- errors -----------------------------------------------------------------
    def fail(self, message):
        f = self.function
        if f is None:
            raise ExportError(f"export: {message}")
        shapes = ", ".join(str(tuple(x.shape)) for x in f.inputs)
        outs = ", ".join(str(tuple(y.shape)) for y in self._outputs(f) if y is not None)
        raise ExportError(f"export: {type(f).__name__} at node {self.node_name!r} (inputs {shapes} -> "
                          f"{outs}): {message}", type(f).__name__, self.node_name)

    def need_static(self, what):
        """Fail in dynamic mode: `what` fixes a shape that depends on the batch size."""
        self.fail(f"{what}, so the file could not run at other batch sizes; export with "
                  "dynamic_batch=False (the file then runs at the example's batch size only)")

    # --- names --------------------------------------------------------------------
    def unique(self, base):
        name, k = base, 1
        while name in self.used:
            name = f"{base}_{k}"
            k += 1
        self.used.add(name)
        return name

    def add_inputs(self, inputs, names):
        for x, name in zip(inputs, names):
            self.used.add(name)
            self.names[id(x)] = name
            self.keep.append(x)
            self.input_data[id(x.data)] = x
            dims = list(x.shape)
            if self.dynamic and x.ndim:
                self.batch_info[id(x)] = (0, 1)
                self.batch_size = x.shape[0]
                dims[0] = "batch"
            else:
                self.batch_info[id(x)] = None
            self.graph_inputs.append(self.helper.make_tensor_value_info(name, self.elem_type(x.dtype), dims))

    def elem_type(self, dtype):
        try:
            return self.helper.np_dtype_to_tensor_dtype(np.dtype(dtype))
        except (KeyError, TypeError, ValueError):
            self.fail(f"dtype {np.dtype(dtype)} has no ONNX counterpart")

    def initializer(self, array, base):
        array = np.array(cuda.as_numpy(array), order="C")  # (ascontiguousarray makes a 0-d array 1-d)
        name = self.unique(base)
        self.initializers.append(self.onnx.numpy_helper.from_array(array, name))
        return name

    def const(self, value, dtype=None, base=None):
        """An initializer holding `value` (cast to `dtype`)."""
        array = np.asarray(cuda.as_numpy(value) if cuda.is_cupy_array(value) else value)
        if dtype is not None:
            array = array.astype(dtype)
        return self.initializer(array, base or f"{self.node_name}/const")

    def ints(self, values, base=None):
        return self.const(np.asarray(values, dtype=np.int64), base=base)

    def inp(self, var, dtype=None):
        """The value name of Variable `var` (a Cast of it when `dtype` differs from its own)."""
        name = self.names.get(id(var))
        if name is None:
            if var.creator is not None:
                raise RuntimeError(f"export: internal error: {type(var.creator).__name__}'s output "
                                   "used before it was converted")
            name = self._leaf(var)
        if dtype is not None and np.dtype(dtype) != var.dtype:
            key = (name, np.dtype(dtype).str)
            if key not in self.casts:
                self.casts[key] = self.node("Cast", [name], to=self.elem_type(dtype))
            name = self.casts[key]
        return name

    def _leaf(self, var):
        if id(var.data) in self.input_data:  # an input the model wrapped in a Variable of its own
            source = self.input_data[id(var.data)]
            name = self.names[id(source)]
            info = self.batch_info[id(source)]
        elif isinstance(var, Parameter):
            path = self.param_paths.get(id(var)) or var.name or "param"
            name = self.initializer(var.data, path)
            info = None
        else:
            name = self.initializer(var.data, f"{self.node_name}/const" if self.node_name else "const")
            info = None
        self.names[id(var)] = name
        self.keep.append(var)
        self.batch_info[id(var)] = info
        return name

    def out(self, var):
        """The value name for Function output `var`."""
        name = self.names.get(id(var))
        if name is None:
            name = self.unique(f"{self.node_name}:0")
            self.names[id(var)] = name
            self.keep.append(var)
        return name

    # --- nodes --------------------------------------------------------------------
    def node(self, op, inputs, outputs=None, **attrs):
        """Append an ONNX node; returns its (first) output name."""
        if outputs is None:
            outputs = [self.unique(f"{self.node_name}/{op}:0")]
        elif isinstance(outputs, str):
            outputs = [outputs]
        # the first node of a Function takes the name reserved for it, the others are named after it
        name = self.node_name if self.n_nodes == 0 else self.unique(f"{self.node_name}/{op}")
        self.n_nodes += 1
        self.nodes.append(self.helper.make_node(op, list(inputs), list(outputs), name=name, **attrs))
        return outputs[0]

    def reduce(self, op, x, axes, keepdims, output=None):
        """ReduceSum/Mean/Max/Min of value `x` over `axes` (None: all).  Their axes became an input in
        opset 13 (ReduceSum) and 18 (the others)."""
        as_input = op == "ReduceSum" or self.opset >= 18
        if axes is None:
            return self.node(op, [x], output, keepdims=int(keepdims))
        if as_input:
            return self.node(op, [x, self.ints(list(axes))], output, keepdims=int(keepdims))
        return self.node(op, [x], output, axes=list(axes), keepdims=int(keepdims))

    # --- batch tracking --------------------------------------------------------------
    def batch(self, var):
        if id(var) not in self.batch_info:
            self.inp(var)
        return self.batch_info[id(var)]

    def set_batch(self, var, info):
        self.batch_info[id(var)] = info if self.dynamic else None

    def broadcast_batch(self, operands, out_shape):
        """Batch info of an elementwise result of `operands` ((shape, info) pairs) broadcast to
        `out_shape`; fails when an operand without the batch axis has a dimension there."""
        out = None
        for shape, info in operands:
            if info is not None:
                axis = len(out_shape) - len(shape) + info[0]
                if out is not None and out[0] != axis:
                    self.fail("two operands have their batch axes in different places")
                out = (axis, info[1])
        if out is None:
            return None
        for shape, info in operands:
            if info is None:
                p = out[0] - (len(out_shape) - len(shape))
                if 0 <= p < len(shape) and shape[p] != 1:
                    self.need_static(f"an operand of shape {tuple(shape)} without a batch axis spans "
                                     f"the batch axis {out[0]} of the result")
        return out

    # --- the walk -----------------------------------------------------------------------
    @staticmethod
    def _outputs(f):
        return [ref() for ref in f.outputs]

    def convert(self, outputs, output_names, graph_name):
        funcs = _functions_behind(outputs)
        for y, name in zip(outputs, output_names):  # outputs of Functions get the output names
            if y.creator is not None and id(y) not in self.names:
                self.names[id(y)] = name
                self.used.add(name)
                self.keep.append(y)
        scopes = {}
        for f in funcs:
            self.function = f
            cls_name = type(f).__name__
            scope = next((self.param_paths[id(x)].rpartition("/")[0] for x in f.inputs
                          if id(x) in self.param_paths and "/" in self.param_paths[id(x)]), "")
            base = f"{scope}/{cls_name}" if scope else cls_name
            scopes[base] = scopes.get(base, -1) + 1
            self.node_name = self.unique(f"{base}_{scopes[base]}" if scopes[base] else base)
            self.n_nodes = 0
            converter = _converter_for(f)
            if converter is None:
                why = _UNMAPPED.get(type(f), "it is not a minigrad Function this exporter knows; compose "
                                             "it of minigrad's Functions to export it")
                self.fail(f"no ONNX mapping ({why})")
            converter(self, f, list(f.inputs), self._outputs(f))
        self.function = self.node_name = None
        self.n_nodes = 0

        graph_outputs = []
        for y, name in zip(outputs, output_names):
            value = self.inp(y)
            if value != name:
                self.node_name = name
                self.used.add(name)
                self.node("Identity", [value], name)
            dims = list(y.shape)
            info = self.batch_info.get(id(y))
            if info is not None:
                dims[info[0]] = "batch" if info[1] == 1 else None
            graph_outputs.append(self.helper.make_tensor_value_info(name, self.elem_type(y.dtype), dims))
        nodes, initializers = self._pruned(output_names)
        reached = {name for node in nodes for name in node.input}
        for value in self.graph_inputs:
            if value.name not in reached:
                # an input turned into a constant on the way (x.data.astype(...), np.asarray(x) ...)
                # would be baked into the file with the example's values: refuse
                raise ExportError(f"export: input {value.name!r} does not reach the outputs (is it "
                                  "unused, or turned into a constant array inside the model?)")
        return self.helper.make_graph(nodes, graph_name, self.graph_inputs, graph_outputs, initializers)

    def _pruned(self, output_names):
        """The nodes and initializers the outputs need (a fused pattern can leave a node unused)."""
        needed = set(output_names)
        keep = []
        for node in reversed(self.nodes):
            if any(o in needed for o in node.output):
                keep.append(node)
                needed.update(node.input)
        keep.reverse()
        return keep, [t for t in self.initializers if t.name in needed]


def _functions_behind(outputs):
    """Every Function the outputs depend on, in an order where each comes after its inputs' creators
    (ascending generation; a Function's generation exceeds its inputs' creators')."""
    funcs, seen = [], set()
    stack = [y.creator for y in outputs if y.creator is not None]
    while stack:
        f = stack.pop()
        if id(f) in seen:
            continue
        seen.add(id(f))
        funcs.append(f)
        stack.extend(x.creator for x in f.inputs if x.creator is not None)
    order = {id(f): k for k, f in enumerate(funcs)}
    return sorted(funcs, key=lambda f: (f.generation, order[id(f)]))


def _converter_for(f):
    converter = _CONVERTERS.get(type(f))
    if converter is None and type(f).__name__ in _PRIVATE_CONVERTERS:
        # module-private helper Functions (pooling_simple's padding) are matched by name: their class
        # objects are not part of minigrad's public surface
        converter = _PRIVATE_CONVERTERS[type(f).__name__]
    return converter


def _is_scalar(c):
    return np.ndim(c) == 0


# =============================================================================
# Elementwise
# =============================================================================
def _elementwise(ctx, op, xs, y, consts=()):
    """Node `op` over Variables xs (then constants) with output y; batch info by broadcasting."""
    names = [ctx.inp(x, y.dtype) for x in xs]
    operands = [(x.shape, ctx.batch(x)) for x in xs]
    for c in consts:
        names.append(ctx.const(c, y.dtype))
        operands.append((np.shape(c), None))
    ctx.set_batch(y, ctx.broadcast_batch(operands, y.shape))
    ctx.node(op, names, ctx.out(y))


def _unary(op, **attrs):
    def convert(ctx, f, xs, ys):
        ctx.node(op, [ctx.inp(xs[0], ys[0].dtype)], ctx.out(ys[0]), **attrs)
        ctx.set_batch(ys[0], ctx.batch(xs[0]))
    return convert


for _name, _op in (("Neg", "Neg"), ("Exp", "Exp"), ("Log", "Log"), ("Sin", "Sin"), ("Cos", "Cos"),
                   ("Tanh", "Tanh"), ("Sigmoid", "Sigmoid"), ("ReLU", "Relu")):
    _converts(_name)(_unary(_op))

for _name, _op in (("Add", "Add"), ("Sub", "Sub"), ("Mul", "Mul"), ("Div", "Div"), ("PowVar", "Pow")):
    _converts(_name)(lambda ctx, f, xs, ys, _op=_op: _elementwise(ctx, _op, xs, ys[0]))


@_converts("AddConstant")
def _add_constant(ctx, f, xs, ys):
    _elementwise(ctx, "Add", xs, ys[0], [f.c])


@_converts("DivConstant")
def _div_constant(ctx, f, xs, ys):
    _elementwise(ctx, "Div", xs, ys[0], [f.c])


@_converts("Scale")
def _scale(ctx, f, xs, ys):
    x, y = xs[0], ys[0]
    s = x.creator
    if _is_scalar(f.c) and isinstance(s, _function_class("Sum")) and s.inputs[0].size and \
            math.isclose(float(f.c), x.size / s.inputs[0].size, rel_tol=1e-6):  # c may be a float32
        # F.average is sum(x) * (y.size / x.size): one ReduceMean, right for any batch size
        ctx.reduce("ReduceMean", ctx.inp(s.inputs[0], y.dtype), _sum_axes(s), s.keepdims, ctx.out(y))
        ctx.set_batch(y, ctx.batch(x))
        return
    _elementwise(ctx, "Mul", xs, y, [f.c])


@_converts("Pow")
def _pow(ctx, f, xs, ys):
    _elementwise(ctx, "Pow", xs, ys[0], [f.c])


@_converts("RPow")
def _rpow(ctx, f, xs, ys):
    x, y = xs[0], ys[0]
    ctx.set_batch(y, ctx.broadcast_batch([(np.shape(f.c), None), (x.shape, ctx.batch(x))], y.shape))
    ctx.node("Pow", [ctx.const(f.c, y.dtype), ctx.inp(x, y.dtype)], ctx.out(y))


@_converts("LeakyReLU")
def _leaky_relu(ctx, f, xs, ys):
    _unary("LeakyRelu", alpha=float(f.slope))(ctx, f, xs, ys)


@_converts("Softmax")
def _softmax(ctx, f, xs, ys):
    _unary("Softmax", axis=int(f.axis))(ctx, f, xs, ys)


@_converts("LogSoftmax")
def _log_softmax(ctx, f, xs, ys):
    _unary("LogSoftmax", axis=int(f.axis))(ctx, f, xs, ys)


@_converts("Clip")
def _clip(ctx, f, xs, ys):
    x, y = xs[0], ys[0]
    ctx.node("Clip", [ctx.inp(x, y.dtype), ctx.const(f.x_min, y.dtype), ctx.const(f.x_max, y.dtype)],
             ctx.out(y))
    ctx.set_batch(y, ctx.batch(x))


# =============================================================================
# Shapes
# =============================================================================
@_converts("Reshape")
def _reshape(ctx, f, xs, ys):
    x, y = xs[0], ys[0]
    target = list(y.shape)
    info, out = ctx.batch(x), None
    if info is not None:
        b = info[0]
        if x.shape[:b + 1] == y.shape[:b + 1]:
            target[b] = 0  # ONNX Reshape: 0 copies the input's dimension
            out = info
        elif b == 0 and y.ndim and ctx.batch_size and y.shape[0] % ctx.batch_size == 0:
            target[0] = -1  # the batch folded into (or out of) axis 0; the rest is per sample
            out = (0, y.shape[0] // ctx.batch_size)
        else:
            ctx.need_static(f"the reshape to {tuple(y.shape)} mixes the batch axis with others")
    ctx.node("Reshape", [ctx.inp(x), ctx.ints(target)], ctx.out(y))
    ctx.set_batch(y, out)


@_converts("Transpose")
def _transpose(ctx, f, xs, ys):
    x, y = xs[0], ys[0]
    n = x.ndim
    perm = list(range(n))[::-1] if f.axes is None else [int(a) % n for a in f.axes]
    ctx.node("Transpose", [ctx.inp(x)], ctx.out(y), perm=perm)
    info = ctx.batch(x)
    ctx.set_batch(y, None if info is None else (perm.index(info[0]), info[1]))


@_converts("BroadcastTo")
def _broadcast_to(ctx, f, xs, ys):
    x, y = xs[0], ys[0]
    if ctx.batch(x) is not None:  # (at batch size 1, minigrad would broadcast the batch axis too)
        ctx.need_static(f"broadcast_to's target shape {tuple(y.shape)} holds the batch size")
    ctx.node("Expand", [ctx.inp(x), ctx.ints(list(y.shape))], ctx.out(y))
    ctx.set_batch(y, None)


def _is_array(s):
    return isinstance(s, (np.ndarray, list)) or cuda.is_cupy_array(s)


@_converts("GetItem")
def _get_item(ctx, f, xs, ys):
    x, y = xs[0], ys[0]
    s = f.slices
    if (isinstance(s, np.ndarray) or cuda.is_cupy_array(s)) and id(s) in ctx.input_data:
        _gather_by_input(ctx, x, y, ctx.input_data[id(s)])
        return
    items = s if isinstance(s, tuple) else (s,)
    if any(_is_array(it) for it in items):
        _advanced_index(ctx, x, y, items)
    else:
        _basic_index(ctx, x, y, items)


def _gather_by_input(ctx, x, y, ids):
    """x[ids] for integer ids that are a graph input (embed_id(ids, W) is get_item(W, ids))."""
    if ids.dtype.kind not in "iu":
        ctx.fail(f"index array of dtype {ids.dtype} (integers expected)")
    if ctx.batch(x) is not None:
        ctx.need_static("indexing a batch with a batch of indices")
    index = ctx.inp(ids, None if ids.dtype in (np.int32, np.int64) else np.int64)
    ctx.node("Gather", [ctx.inp(x), index], ctx.out(y), axis=0)
    ctx.set_batch(y, ctx.batch(ids))


def _advanced_index(ctx, x, y, items):
    """x[a0, a1, ..., :, ...] with index arrays on the leading axes: Gather (one) or GatherND."""
    arrays = []
    for k, it in enumerate(items):
        if _is_array(it):
            if len(arrays) < k:
                ctx.fail("an index array after a slice has no ONNX mapping (index arrays must come first)")
            a = np.asarray(cuda.as_numpy(it) if cuda.is_cupy_array(it) else it)
            arrays.extend(a.nonzero() if a.dtype == bool else [a])
        elif not (it is Ellipsis or (isinstance(it, slice) and it == slice(None))):
            ctx.fail(f"index {it!r} together with index arrays has no ONNX mapping")
    if any(a.dtype.kind not in "iu" for a in arrays):
        ctx.fail("index arrays must hold integers or booleans")
    k = len(arrays)
    info = ctx.batch(x)
    if info is not None and info[0] < k:
        ctx.need_static("the index arrays pick fixed samples of the batch axis")
    if k == 1:
        ctx.node("Gather", [ctx.inp(x), ctx.ints(arrays[0])], ctx.out(y), axis=0)
        n_index_dims = arrays[0].ndim
    else:
        arrays = [a % x.shape[i] for i, a in enumerate(np.broadcast_arrays(*arrays))]
        ctx.node("GatherND", [ctx.inp(x), ctx.ints(np.stack(arrays, axis=-1))], ctx.out(y))
        n_index_dims = arrays[0].ndim
    ctx.set_batch(y, None if info is None else (info[0] - k + n_index_dims, info[1]))


def _basic_index(ctx, x, y, items):
    """Integers, slices, None and Ellipsis: one Slice, a Gather per integer, one Unsqueeze."""
    n_consumed = sum(1 for it in items if it is not None and it is not Ellipsis)
    if sum(1 for it in items if it is Ellipsis) > 1:
        ctx.fail("more than one Ellipsis")
    expanded = []
    for it in items:
        if it is Ellipsis:
            expanded.extend([slice(None)] * (x.ndim - n_consumed))
        else:
            expanded.append(it)
    info = ctx.batch(x)
    slices, ints, nones = [], [], []
    axis = pos = 0
    out_batch = None
    for it in expanded:
        if it is None:
            nones.append(pos)
            pos += 1
            continue
        if isinstance(it, slice):
            step = 1 if it.step is None else int(it.step)
            if (it.start, it.stop, step) != (None, None, 1):
                if info is not None and info[0] == axis:
                    ctx.need_static(f"slicing the batch axis with {it!r}")
                start = (0 if step > 0 else _INT64_MAX) if it.start is None else int(it.start)
                stop = (_INT64_MAX if step > 0 else _INT64_MIN) if it.stop is None else int(it.stop)
                slices.append((axis, start, stop, step))
            if info is not None and info[0] == axis:
                out_batch = (pos, info[1])
            pos += 1
        else:  # an integer: Gather with a scalar index drops the axis
            ints.append((axis, int(it)))
        axis += 1
    if info is not None and info[0] >= axis:
        out_batch = (pos + info[0] - axis, info[1])

    cur = ctx.inp(x)
    if slices:
        axes, starts, stops, steps = zip(*slices)
        cur = ctx.node("Slice", [cur, ctx.ints(starts), ctx.ints(stops), ctx.ints(axes), ctx.ints(steps)])
    for a, i in sorted(ints, reverse=True):  # from the last axis, so the others keep their numbers
        cur = ctx.node("Gather", [cur, ctx.ints(i)], axis=a)
    if nones:
        cur = ctx.node("Unsqueeze", [cur, ctx.ints(nones)])
    ctx.node("Identity", [cur], ctx.out(y))
    ctx.set_batch(y, out_batch)


# =============================================================================
# Reductions
# =============================================================================
def _sum_axes(f):
    """The axes a Sum/Max/Min reduces, normalised, or None for all."""
    if f.axis is None:
        return None
    ndim = f.inputs[0].ndim
    axes = f.axis if isinstance(f.axis, tuple) else (f.axis,)
    return sorted(int(a) % ndim for a in axes)


def _reduced_batch(ctx, x, axes, keepdims):
    info = ctx.batch(x)
    if info is None or axes is None or info[0] in axes:
        return None
    if keepdims:
        return info
    return (info[0] - sum(1 for a in axes if a < info[0]), info[1])


def _reduction(op):
    def convert(ctx, f, xs, ys):
        x, y = xs[0], ys[0]
        axes = _sum_axes(f)
        ctx.reduce(op, ctx.inp(x, y.dtype), axes, f.keepdims, ctx.out(y))
        ctx.set_batch(y, _reduced_batch(ctx, x, axes, f.keepdims))
    return convert


_converts("Sum")(_reduction("ReduceSum"))
_converts("Max")(_reduction("ReduceMax"))
_converts("Min")(_reduction("ReduceMin"))


@_converts("SumTo")
def _sum_to(ctx, f, xs, ys):
    x, y = xs[0], ys[0]
    lead = x.ndim - y.ndim
    axes = list(range(lead)) + [lead + i for i, s in enumerate(y.shape) if s == 1 and x.shape[lead + i] != 1]
    cur = ctx.inp(x, y.dtype)
    if axes:
        cur = ctx.reduce("ReduceSum", cur, axes, True)
    if lead:
        cur = ctx.node("Squeeze", [cur, ctx.ints(list(range(lead)))])
    ctx.node("Identity", [cur], ctx.out(y))
    info = _reduced_batch(ctx, x, axes, True)
    ctx.set_batch(y, None if info is None else (info[0] - lead, info[1]))


# =============================================================================
# Matrix products
# =============================================================================
@_converts("MatMul")
def _matmul(ctx, f, xs, ys):
    x, W = xs
    y = ys[0]
    xi, wi = ctx.batch(x), ctx.batch(W)
    if xi is not None and xi[0] == x.ndim - 1 or wi is not None and wi[0] == W.ndim - 2:
        ctx.need_static("the batch axis is the contracted axis of the matrix product")
    # the rows of x and the columns of W carry a batch as they are; the stacked axes broadcast
    out, stacked = None, []
    for v, info, own_axis, y_axis in ((x, xi, x.ndim - 2, y.ndim - 2), (W, wi, W.ndim - 1, y.ndim - 1)):
        if info is not None and info[0] == own_axis:
            if out is not None:
                ctx.fail("both operands carry the batch axis")
            out = (y_axis, info[1])
            info = None
        stacked.append((v.shape[:-2], info))
    in_stack = ctx.broadcast_batch(stacked, y.shape[:-2])
    if in_stack is not None:
        if out is not None:
            ctx.fail("both operands carry the batch axis")
        out = in_stack
    ctx.node("MatMul", [ctx.inp(x, y.dtype), ctx.inp(W, y.dtype)], ctx.out(y))
    ctx.set_batch(y, out)


@_converts("Linear")
def _linear(ctx, f, xs, ys):
    x, W = xs[0], xs[1]
    b = xs[2] if len(xs) > 2 else None
    y = ys[0]
    info = ctx.batch(x)
    if info is not None and info[0] == x.ndim - 1:
        ctx.need_static("the batch axis is the contracted axis of linear")
    if ctx.batch(W) is not None or (b is not None and ctx.batch(b) is not None):
        ctx.need_static("linear's weight or bias carries the batch axis")
    names = [ctx.inp(x, y.dtype), ctx.inp(W, y.dtype)]
    if x.ndim == 2 and (b is None or b.ndim == 1):
        ctx.node("Gemm", names + ([ctx.inp(b, y.dtype)] if b is not None else []), ctx.out(y))
    elif b is None:
        ctx.node("MatMul", names, ctx.out(y))
    else:
        ctx.node("Add", [ctx.node("MatMul", names), ctx.inp(b, y.dtype)], ctx.out(y))
    ctx.set_batch(y, info)


# =============================================================================
# Losses
# =============================================================================
def _length(ctx, info, n, value, dtype):
    """len(...) as a scalar of `dtype`: n, or read from `value`'s shape when axis 0 is the batch."""
    if info is None or info[0] != 0:
        return ctx.const(n, dtype)
    n = ctx.node("Gather", [ctx.node("Shape", [value]), ctx.ints(0)], axis=0)
    return ctx.node("Cast", [n], to=ctx.elem_type(dtype))


@_converts("MeanSquaredError")
def _mse(ctx, f, xs, ys):
    x0, x1 = xs
    y = ys[0]
    shape = np.broadcast_shapes(x0.shape, x1.shape)
    info = ctx.broadcast_batch([(x0.shape, ctx.batch(x0)), (x1.shape, ctx.batch(x1))], shape)
    diff = ctx.node("Sub", [ctx.inp(x0, y.dtype), ctx.inp(x1, y.dtype)])
    total = ctx.reduce("ReduceSum", ctx.node("Mul", [diff, diff]), None, False)
    ctx.node("Div", [total, _length(ctx, info, shape[0], diff, y.dtype)], ctx.out(y))
    ctx.set_batch(y, None)


@_converts("SoftmaxCrossEntropy")
def _softmax_cross_entropy(ctx, f, xs, ys):
    x, t = xs
    y = ys[0]
    if ctx.batch(x) is not None and ctx.batch(t) is None:
        ctx.need_static("the labels are a constant of the example's batch size")
    log_p = ctx.node("LogSoftmax", [ctx.inp(x, y.dtype)], axis=1)
    labels = ctx.node("Unsqueeze", [ctx.inp(t, np.int64), ctx.ints([1])])
    picked = ctx.node("GatherElements", [log_p, labels], axis=1)
    ctx.node("Neg", [ctx.reduce("ReduceMean", picked, None, False)], ctx.out(y))
    ctx.set_batch(y, None)


@_converts("SigmoidCrossEntropy")
def _sigmoid_cross_entropy(ctx, f, xs, ys):
    x, t = xs
    y = ys[0]
    ctx.broadcast_batch([(x.shape, ctx.batch(x)), (t.shape, ctx.batch(t))], x.shape)
    xv, tv = ctx.inp(x, y.dtype), ctx.inp(t, y.dtype)
    # max(x, 0) - x t + log(1 + exp(-|x|)), summed, over len(x)
    loss = ctx.node("Add", [ctx.node("Sub", [ctx.node("Relu", [xv]), ctx.node("Mul", [xv, tv])]),
                            ctx.node("Softplus", [ctx.node("Neg", [ctx.node("Abs", [xv])])])])
    total = ctx.reduce("ReduceSum", loss, None, False)
    ctx.node("Div", [total, _length(ctx, ctx.batch(x), x.shape[0], xv, y.dtype)], ctx.out(y))
    ctx.set_batch(y, None)


# =============================================================================
# Convolution and pooling
# =============================================================================
def _nchw_batch(ctx, x, what):
    info = ctx.batch(x)
    if info is not None and info[0] != 0:
        ctx.need_static(f"{what} needs the batch on axis 0, but it is on axis {info[0]}")
    return info


def _pads(pad):
    return [int(pad[0]), int(pad[1]), int(pad[0]), int(pad[1])]


@_converts("Conv2d")
def _conv2d(ctx, f, xs, ys):
    x, W = xs[0], xs[1]
    y = ys[0]
    info = _nchw_batch(ctx, x, "conv2d")
    names = [ctx.inp(v, y.dtype) for v in xs]
    ctx.node("Conv", names, ctx.out(y), kernel_shape=list(W.shape[2:]), strides=list(f.stride),
             pads=_pads(f.pad))
    ctx.set_batch(y, info)


@_converts("Deconv2d")
def _deconv2d(ctx, f, xs, ys):
    x, W = xs[0], xs[1]
    y = ys[0]
    info = _nchw_batch(ctx, x, "deconv2d")
    (SH, SW), (PH, PW) = f.stride, f.pad
    KH, KW = W.shape[2:]
    natural = (SH * (x.shape[2] - 1) + KH - 2 * PH, SW * (x.shape[3] - 1) + KW - 2 * PW)
    extra = [int(y.shape[2] - natural[0]), int(y.shape[3] - natural[1])]  # outsize beyond the default
    attrs = dict(kernel_shape=[KH, KW], strides=[SH, SW], pads=_pads(f.pad))
    if any(extra):
        attrs["output_padding"] = extra
    ctx.node("ConvTranspose", [ctx.inp(v, y.dtype) for v in xs], ctx.out(y), **attrs)
    ctx.set_batch(y, info)


@_converts("Pooling")
def _max_pooling(ctx, f, xs, ys):
    # ONNX MaxPool ignores padding (as minigrad's -inf padding does); floor output sizes in both
    x, y = xs[0], ys[0]
    info = _nchw_batch(ctx, x, "pooling")
    ctx.node("MaxPool", [ctx.inp(x)], ctx.out(y), kernel_shape=list(f.kernel_size),
             strides=list(f.stride), pads=_pads(f.pad))
    ctx.set_batch(y, info)


@_converts("AveragePooling")
def _average_pooling(ctx, f, xs, ys):
    x, y = xs[0], ys[0]
    info = _nchw_batch(ctx, x, "average_pooling")
    ctx.node("AveragePool", [ctx.inp(x)], ctx.out(y), kernel_shape=list(f.kernel_size),
             strides=list(f.stride), pads=_pads(f.pad), count_include_pad=1)  # padding counts as zeros
    ctx.set_batch(y, info)


def _scaled(info, divisor, ctx):
    if info is None:
        return None
    if info[1] % divisor:
        ctx.need_static("the batch axis does not hold whole samples here")
    return (info[0], info[1] // divisor)


@_converts("Im2col")
def _im2col(ctx, f, xs, ys):
    """One strided Slice per kernel offset, stacked: exact for any values (-inf padding included)."""
    x, y = xs[0], ys[0]
    info = _nchw_batch(ctx, x, "im2col")
    (KH, KW), (SH, SW), (PH, PW) = f.kernel_size, f.stride, f.pad
    N, C, H, W = x.shape
    OH, OW = (H + 2 * PH - KH) // SH + 1, (W + 2 * PW - KW) // SW + 1
    cur = ctx.inp(x)
    if PH or PW:
        cur = ctx.node("Pad", [cur, ctx.ints([0, 0, PH, PW, 0, 0, PH, PW])])
    parts = []
    for i in range(KH):
        for j in range(KW):
            stops = [i + SH * (OH - 1) + 1, j + SW * (OW - 1) + 1]
            part = ctx.node("Slice", [cur, ctx.ints([i, j]), ctx.ints(stops), ctx.ints([2, 3]),
                                      ctx.ints([SH, SW])])
            parts.append(ctx.node("Unsqueeze", [part, ctx.ints([2])]))
    col = ctx.node("Concat", parts, axis=2) if len(parts) > 1 else parts[0]   # (N, C, KH*KW, OH, OW)
    col = ctx.node("Reshape", [col, ctx.ints([0, C, KH, KW, OH, OW])])
    if f.to_matrix:
        col = ctx.node("Transpose", [col], perm=[0, 4, 5, 1, 2, 3])
        col = ctx.node("Reshape", [col, ctx.ints([-1, C * KH * KW])])
        info = None if info is None else (0, info[1] * OH * OW)
    ctx.node("Identity", [col], ctx.out(y))
    ctx.set_batch(y, info)


@_converts("Col2im")
def _col2im(ctx, f, xs, ys):
    """The adjoint of im2col: a ConvTranspose of each (sample, channel) with a one-hot kernel per offset."""
    x, y = xs[0], ys[0]
    (KH, KW), (SH, SW), (PH, PW) = f.kernel_size, f.stride, f.pad
    N, C, H, W = f.input_shape
    OH, OW = (H + 2 * PH - KH) // SH + 1, (W + 2 * PW - KW) // SW + 1
    info = _nchw_batch(ctx, x, "col2im")
    cur = ctx.inp(x)
    if f.to_matrix:
        info = _scaled(info, OH * OW, ctx)
        cur = ctx.node("Reshape", [cur, ctx.ints([-1, OH, OW, C, KH, KW])])
        cur = ctx.node("Transpose", [cur], perm=[0, 3, 4, 5, 1, 2])
    cur = ctx.node("Reshape", [cur, ctx.ints([-1, KH * KW, OH, OW])])  # (N*C, KH*KW, OH, OW)
    onehot = np.zeros((KH * KW, 1, KH, KW), dtype=y.dtype)
    for k in range(KH * KW):
        onehot[k, 0, k // KW, k % KW] = 1
    extra = [H + 2 * PH - KH - SH * (OH - 1), W + 2 * PW - KW - SW * (OW - 1)]
    attrs = dict(kernel_shape=[KH, KW], strides=[SH, SW], pads=_pads(f.pad))
    if any(extra):
        attrs["output_padding"] = extra
    cur = ctx.node("ConvTranspose", [cur, ctx.const(onehot)], **attrs)
    ctx.node("Reshape", [cur, ctx.ints([-1, C, H, W])], ctx.out(y))
    ctx.set_batch(y, info)


def _pad_constant(ctx, f, xs, ys):
    x, y = xs[0], ys[0]
    info = _nchw_batch(ctx, x, "padding")
    PH, PW = f.pad
    ctx.node("Pad", [ctx.inp(x), ctx.ints([0, 0, PH, PW, 0, 0, PH, PW]), ctx.const(f.value, y.dtype)],
             ctx.out(y), mode="constant")
    ctx.set_batch(y, info)


_PRIVATE_CONVERTERS = {"_PadConstant": _pad_constant}


for _name in _BACKWARD_ONLY:
    _cls = _function_class(_name)
    if _cls is not None:
        _UNMAPPED[_cls] = "it is part of a backward pass; export the forward computation"

__all__ = ["export", "ExportError", "supported_functions", "unsupported_functions", "DEFAULT_OPSET"]

del _name, _op, _cls
