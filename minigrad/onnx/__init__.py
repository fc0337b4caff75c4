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

Modules, lowest first: batch (where the batch axis went), context (the Context converters write
nodes with; ExportError), ops_shape, ops_math and ops_conv (the converters, grouped as
minigrad.functions groups the Functions), table (Function class -> converter), exporter (export).
"""
from minigrad.onnx.context import ExportError
from minigrad.onnx.exporter import DEFAULT_OPSET, export
from minigrad.onnx.table import supported_functions, unsupported_functions

__all__ = ["export", "ExportError", "supported_functions", "unsupported_functions", "DEFAULT_OPSET"]
