"""The `cupyx` of the CuPy stand-in (see tests/fake_cupy/cupy): `cupyx.scatter_add` only."""
from cupy import scatter_add  # noqa: F401  (the stand-in's, which refuses CuPy's unsupported dtypes)
