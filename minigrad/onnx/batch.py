"""Where the batch axis of every value went, so that a file exported with dynamic_batch=True runs at
any batch size.

A value's batch info is None (no batch axis: its shape is fixed) or (axis, factor), meaning
shape[axis] == batch_size * factor (factor > 1 where a reshape folded the batch into an axis).  Each
converter sets the info of its outputs from its inputs'; one that would have to write a shape holding
the batch size calls need_static, which refuses the export and suggests dynamic_batch=False.
"""


class BatchAxes:
    """The batch tracking of a conversion, mixed into its Context: it relies on the Context's `inp`
    (which names a value met for the first time and records its batch info) and `fail`."""

    def __init__(self, dynamic):
        self.dynamic = dynamic
        self.batch_info = {}   # id(Variable) -> None or (axis, factor)
        self.batch_size = None

    def track_input(self, x):
        """Record graph input `x`: in dynamic mode its axis 0 (if any) is the batch."""
        if self.dynamic and x.ndim:
            self.batch_info[id(x)] = (0, 1)
            self.batch_size = x.shape[0]
        else:
            self.batch_info[id(x)] = None

    def dims(self, var):
        """`var`'s shape for its ONNX type: the batch axis is "batch" (unnamed where it holds a
        multiple of the batch size)."""
        dims = list(var.shape)
        info = self.batch_info.get(id(var))
        if info is not None:
            dims[info[0]] = "batch" if info[1] == 1 else None
        return dims

    def batch(self, var):
        if id(var) not in self.batch_info:
            self.inp(var)
        return self.batch_info[id(var)]

    def set_batch(self, var, info):
        self.batch_info[id(var)] = info if self.dynamic else None

    def need_static(self, what):
        """Fail in dynamic mode: `what` fixes a shape that depends on the batch size."""
        self.fail(f"{what}, so the file could not run at other batch sizes; export with "
                  "dynamic_batch=False (the file then runs at the example's batch size only)")

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
