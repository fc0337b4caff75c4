"""minigrad: a small, fast, correct define-by-run deep-learning framework on NumPy (CuPy on a GPU).

Its public API follows DeZero's, so code written for DeZero runs with `import minigrad as dezero`.
"""
from minigrad.core import (Config, Function, Parameter, Variable, as_array, as_variable, no_grad,
                           test_mode, using_config)
from minigrad import cuda, utils, functions  # noqa: F401

__version__ = "0.1.0"
