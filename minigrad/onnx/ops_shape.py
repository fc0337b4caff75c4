"""Converters (see minigrad.onnx.table) of the shape, reduction and matrix Functions
(minigrad.functions.shape, .reduction, .matrix): Reshape, Transpose, BroadcastTo, GetItem, Sum, Max,
Min, SumTo, MatMul, Linear."""
import numpy as np

from minigrad import cuda

_INT64_MAX = 2 ** 63 - 1  # Slice's "to the end" bounds
_INT64_MIN = -2 ** 63


# =============================================================================
# Shapes and indexing
# =============================================================================
def reshape(ctx, f, xs, ys):
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


def transpose(ctx, f, xs, ys):
    x, y = xs[0], ys[0]
    n = x.ndim
    perm = list(range(n))[::-1] if f.axes is None else [int(a) % n for a in f.axes]
    ctx.node("Transpose", [ctx.inp(x)], ctx.out(y), perm=perm)
    info = ctx.batch(x)
    ctx.set_batch(y, None if info is None else (perm.index(info[0]), info[1]))


def broadcast_to(ctx, f, xs, ys):
    x, y = xs[0], ys[0]
    if ctx.batch(x) is not None:  # (at batch size 1, minigrad would broadcast the batch axis too)
        ctx.need_static(f"broadcast_to's target shape {tuple(y.shape)} holds the batch size")
    ctx.node("Expand", [ctx.inp(x), ctx.ints(list(y.shape))], ctx.out(y))
    ctx.set_batch(y, None)


def _is_array(s):
    return isinstance(s, (np.ndarray, list)) or cuda.is_cupy_array(s)


def get_item(ctx, f, xs, ys):
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
def sum_axes(f):
    """The axes a Sum/Max/Min reduces, normalised, or None for all."""
    if f.axis is None:
        return None
    ndim = f.inputs[0].ndim
    axes = f.axis if isinstance(f.axis, tuple) else (f.axis,)
    return sorted(int(a) % ndim for a in axes)


def _reduced_batch(ctx, x, axes, keepdims):
    """Where x's batch axis is after reducing `axes` (None when it is reduced away)."""
    info = ctx.batch(x)
    if info is None or axes is None or info[0] in axes:
        return None
    if keepdims:
        return info
    return (info[0] - sum(1 for a in axes if a < info[0]), info[1])


def reduction(op):
    """Converter of Sum, Max or Min as the ONNX reduction `op`."""
    def convert(ctx, f, xs, ys):
        x, y = xs[0], ys[0]
        axes = sum_axes(f)
        ctx.reduce(op, ctx.inp(x, y.dtype), axes, f.keepdims, ctx.out(y))
        ctx.set_batch(y, _reduced_batch(ctx, x, axes, f.keepdims))
    return convert


def sum_to(ctx, f, xs, ys):
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
def matmul(ctx, f, xs, ys):
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


def linear(ctx, f, xs, ys):
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
