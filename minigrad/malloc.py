"""Process-level tuning of glibc's malloc, applied once by `import minigrad`.

A training step allocates the same large temporaries (im2col buffers, activations, gradients) every
step.  With glibc's defaults an array over 128 KiB may be given back to the system when it is freed
(an munmap, or a trim of the heap's top), so the next step's array of the same size faults its pages
in again: about 11,900 page faults per VGG-block step, 6,800 per conv-layer step and 2,500 per deconv
step of benchmarks/suite.py.  Raising the mmap threshold to 32 MiB (the ceiling glibc's own dynamic
threshold would reach) and the trim threshold to 64 MiB keeps those pages in the heap for reuse: no
faults, the same results, the same peak RSS, and those steps 0.76-0.89x the time (benchmarks/README.md,
"The allocator").  Setting only the mmap threshold
is worse than nothing: it switches off glibc's dynamic trimming.

Set MINIGRAD_MALLOC_TUNING=0 to leave malloc alone; a process started with glibc's own MALLOC_*
tunables in its environment is left alone too, and so are other C libraries.
"""
import ctypes
import os
import platform

M_TRIM_THRESHOLD = -1  # mallopt parameters, from glibc's <malloc.h>
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD_BYTES = 32 * 2 ** 20
TRIM_THRESHOLD_BYTES = 64 * 2 ** 20


def tune():
    """Raise glibc's mmap and trim thresholds (once per process); True if they were set."""
    if os.environ.get("MINIGRAD_MALLOC_TUNING", "1") == "0" or platform.libc_ver()[0] != "glibc":
        return False
    if any(name.startswith("MALLOC_") or name == "GLIBC_TUNABLES" for name in os.environ):
        return False  # the user tuned malloc already
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)) and bool(
        mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES))
