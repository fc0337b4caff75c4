"""The conversion Context: what converters write ONNX with.  It names values, appends nodes, turns
constants into initializers and raises ExportError naming the Function at hand and its node."""
import numpy as np

from minigrad import cuda
from minigrad.core import Parameter
from minigrad.onnx.batch import BatchAxes


class ExportError(ValueError):
    """A model that cannot be written as ONNX.  `function` is the Function's class name (or None),
    `node` the ONNX node name the Function would have had."""

    def __init__(self, message, function=None, node=None):
        super().__init__(message)
        self.function = function
        self.node = node


def outputs_of(f):
    """Function f's output Variables (None for one no longer alive)."""
    return [ref() for ref in f.outputs]


class Context(BatchAxes):
    """One conversion: the graph's inputs, nodes and initializers, the value name of every Variable
    met, and the Function being converted (`begin`), after which nodes and constants are named."""

    def __init__(self, onnx, opset, dynamic, param_paths):
        super().__init__(dynamic)
        self.onnx = onnx
        self.helper = onnx.helper
        self.opset = opset
        self.param_paths = param_paths  # id(Parameter) -> its layer path ('conv1/W')
        self.nodes = []
        self.initializers = []
        self.graph_inputs = []
        self.names = {}        # id(Variable) -> value name
        self.keep = []         # Variables named here, kept alive so their ids stay unique
        self.input_data = {}   # id(array) -> Variable: an input's array met as a constant (embed_id)
        self.used = set()
        self.casts = {}
        self.node_name = None
        self.function = None
        self.n_nodes = 0

    def begin(self, f, node_name):
        """Convert Function `f` next (None: no Function); its first node is called `node_name`."""
        self.function, self.node_name, self.n_nodes = f, node_name, 0

    # --- errors -----------------------------------------------------------------
    def fail(self, message):
        f = self.function
        if f is None:
            raise ExportError(f"export: {message}")
        shapes = ", ".join(str(tuple(x.shape)) for x in f.inputs)
        outs = ", ".join(str(tuple(y.shape)) for y in outputs_of(f) if y is not None)
        raise ExportError(f"export: {type(f).__name__} at node {self.node_name!r} (inputs {shapes} -> "
                          f"{outs}): {message}", type(f).__name__, self.node_name)

    # --- names --------------------------------------------------------------------
    def unique(self, base):
        name, k = base, 1
        while name in self.used:
            name = f"{base}_{k}"
            k += 1
        self.used.add(name)
        return name

    def _name(self, var, name):
        self.names[id(var)] = name
        self.keep.append(var)

    def add_inputs(self, inputs, names):
        for x, name in zip(inputs, names):
            self.used.add(name)
            self._name(x, name)
            self.input_data[id(x.data)] = x
            self.track_input(x)
            self.graph_inputs.append(self.helper.make_tensor_value_info(name, self.elem_type(x.dtype),
                                                                        self.dims(x)))

    def name_output(self, var, name):
        """Give Function output `var` the graph output name `name`, unless it has a name already (a
        Variable returned twice)."""
        if id(var) not in self.names:
            self.used.add(name)
            self._name(var, name)

    def graph_output(self, var, name):
        """The ValueInfo of graph output `name` holding `var` (through an Identity where `var`'s
        value has another name)."""
        value = self.inp(var)
        if value != name:
            self.node_name = name
            self.used.add(name)
            self.node("Identity", [value], name)
        return self.helper.make_tensor_value_info(name, self.elem_type(var.dtype), self.dims(var))

    def elem_type(self, dtype):
        try:
            return self.helper.np_dtype_to_tensor_dtype(np.dtype(dtype))
        except (KeyError, TypeError, ValueError):
            self.fail(f"dtype {np.dtype(dtype)} has no ONNX counterpart")

    # --- constants ------------------------------------------------------------------
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

    # --- values -------------------------------------------------------------------
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
        self._name(var, name)
        self.batch_info[id(var)] = info
        return name

    def out(self, var):
        """The value name for Function output `var`."""
        name = self.names.get(id(var))
        if name is None:
            name = self.unique(f"{self.node_name}:0")
            self._name(var, name)
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

    def pruned(self, output_names):
        """The nodes and initializers the outputs need (a fused pattern can leave a node unused)."""
        needed = set(output_names)
        keep = []
        for node in reversed(self.nodes):
            if any(o in needed for o in node.output):
                keep.append(node)
                needed.update(node.input)
        keep.reverse()
        return keep, [t for t in self.initializers if t.name in needed]
