"""export: run a model once in test mode, walk the graph it recorded from the outputs back to the
inputs, convert each Function through the table, then build, check and write the ONNX model."""
import importlib.metadata

import numpy as np

from minigrad import cuda
from minigrad.core import Variable, test_mode, using_config
from minigrad.files import atomic_path
from minigrad.layers import Layer
from minigrad.onnx.context import Context, ExportError, outputs_of
from minigrad.onnx.table import CONVERTERS, UNMAPPED

DEFAULT_OPSET = 17  # ReduceSum takes axes as an input from 13 on; onnxruntime 1.14+ runs 17
MIN_OPSET = 13      # Softmax over one axis, Squeeze/Unsqueeze axes as inputs
_UNKNOWN = ("it is not a minigrad Function this exporter knows; compose it of minigrad's Functions to "
            "export it")


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

    ctx = Context(onnx, opset, bool(dynamic_batch), _parameter_paths(model))
    ctx.add_inputs(inputs, input_names)
    graph = _graph(ctx, outputs, output_names, type(model).__name__)
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
    """{id(Parameter): 'conv1/W'} for the Parameters of a Layer, named as save_weights names them."""
    if not isinstance(model, Layer):
        return {}
    return {id(param): key for key, param in model.named_params()}


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


def _node_name(ctx, f, counts):
    """The name of Function f's first node: its class, in the scope of the layer whose Parameters it
    takes ('conv1/Conv2d'), numbered from the second on ('Linear_1')."""
    paths = ctx.param_paths
    scope = next((paths[id(x)].rpartition("/")[0] for x in f.inputs
                  if id(x) in paths and "/" in paths[id(x)]), "")
    base = f"{scope}/{type(f).__name__}" if scope else type(f).__name__
    counts[base] = counts.get(base, -1) + 1
    return ctx.unique(f"{base}_{counts[base]}" if counts[base] else base)


def _graph(ctx, outputs, output_names, graph_name):
    """The GraphProto computing `outputs` from the inputs added to `ctx`."""
    funcs = _functions_behind(outputs)
    for y, name in zip(outputs, output_names):  # outputs of Functions get the output names
        if y.creator is not None:
            ctx.name_output(y, name)
    counts = {}
    for f in funcs:
        ctx.begin(f, _node_name(ctx, f, counts))
        converter = CONVERTERS.get(type(f))
        if converter is None:
            ctx.fail(f"no ONNX mapping ({UNMAPPED.get(type(f), _UNKNOWN)})")
        converter(ctx, f, list(f.inputs), outputs_of(f))
    ctx.begin(None, None)

    graph_outputs = [ctx.graph_output(y, name) for y, name in zip(outputs, output_names)]
    nodes, initializers = ctx.pruned(output_names)
    reached = {name for node in nodes for name in node.input}
    for value in ctx.graph_inputs:
        if value.name not in reached:
            # an input turned into a constant on the way (x.data.astype(...), np.asarray(x) ...)
            # would be baked into the file with the example's values: refuse
            raise ExportError(f"export: input {value.name!r} does not reach the outputs (is it "
                              "unused, or turned into a constant array inside the model?)")
    return ctx.helper.make_graph(nodes, graph_name, ctx.graph_inputs, graph_outputs, initializers)
