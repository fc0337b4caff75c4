"""Argument checks for the public boundary: ints, bools, real numbers, pairs and convolution arguments.

Each raises TypeError (wrong kind) or ValueError (wrong value) with a message that names the function
and the argument, so kernels below can assume valid arguments.
"""
import math
import numbers

import numpy as np


def pair(x, name="value"):
    """An int or a pair of ints (tuple, list, NumPy ints) as a tuple (a, b)."""
    if isinstance(x, (int, np.integer)) and not isinstance(x, bool):
        return (int(x), int(x))
    if isinstance(x, (tuple, list)) and len(x) == 2 and all(
            isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in x):
        return (int(x[0]), int(x[1]))
    if isinstance(x, np.ndarray) and x.shape in ((), (2,)) and x.dtype.kind in "iu":
        return pair(x.tolist(), name)
    raise TypeError(f"{name} must be an int or a pair of ints, got {x!r}")


def positive_int(value, name="value"):
    """`value` as a Python int >= 1: TypeError if it is not an int (bools excluded), ValueError if < 1."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be a positive int, got {value!r}")
    if value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return int(value)


def bool_arg(value, name="value", hint=""):
    """`value` as a Python bool: TypeError unless it is a bool (NumPy's included), with `hint` added
    (an int where a flag belongs is usually an argument in the wrong position)."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise TypeError(f"{name} must be a bool, got {value!r}" + (f". {hint}" if hint else ""))


def real_number(owner, name, value, low=0.0, low_ok=True, high=math.inf, high_ok=False):
    """`value` as a float in the interval [low, high) (ends per low_ok/high_ok): TypeError for a
    non-number, ValueError for nan, inf or a value outside (a negative rate turns descent into
    ascent; a decay of 1 divides by zero)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{owner}: {name} must be a real number, got {type(value).__name__}")
    v = float(value)
    inside = (v > low or (low_ok and v == low)) and (v < high or (high_ok and v == high))
    if not math.isfinite(v) or not inside:
        interval = f"{'[' if low_ok else '('}{low:g}, {high:g}{']' if high_ok else ')'}"
        raise ValueError(f"{owner}: {name} must be a finite number in {interval}, got {value!r}")
    return v


def kernel_arg(fname, kernel_size):
    """kernel_size as a pair of positive ints."""
    k = pair(kernel_size, f"{fname}: kernel_size")
    if k[0] < 1 or k[1] < 1:
        raise ValueError(f"{fname}: kernel_size must be positive, got {kernel_size!r}")
    return k


def stride_arg(fname, stride):
    """stride as a pair of positive ints."""
    s = pair(stride, f"{fname}: stride")
    if s[0] < 1 or s[1] < 1:
        raise ValueError(f"{fname}: stride must be positive, got {stride!r}")
    return s


def pad_arg(fname, pad):
    """pad as a pair of non-negative ints."""
    p = pair(pad, f"{fname}: pad")
    if p[0] < 0 or p[1] < 0:
        raise ValueError(f"{fname}: pad must be non-negative, got {pad!r}")
    return p


def window_args(fname, kernel_size, stride, pad):
    """(kernel, stride, pad) of a sliding window, each a checked pair."""
    return kernel_arg(fname, kernel_size), stride_arg(fname, stride), pad_arg(fname, pad)


def check_4d(fname, name, a, layout="(N, C, H, W)"):
    """ValueError unless `a` has a 4-D shape."""
    shape = getattr(a, "shape", None)
    if shape is None or len(shape) != 4:
        raise ValueError(f"{fname}: {name} must be a 4-D array {layout}, got "
                         f"{'shape ' + str(tuple(shape)) if shape is not None else type(a).__name__}")


def mismatch(missing=(), extra=(), wrong_shapes=(), wrong_dtypes=()):
    """The problems of a set of named arrays against what a model expects, as one sentence (empty when
    none): missing keys, unexpected keys, wrong shapes, wrong dtypes."""
    parts = [(label, sep, items) for label, sep, items in (
        ("missing keys ", ", ", missing), ("unexpected keys ", ", ", extra),
        ("wrong shapes ", "; ", wrong_shapes), ("wrong dtypes ", "; ", wrong_dtypes)) if items]
    return "; ".join(label + sep.join(items) for label, sep, items in parts)
