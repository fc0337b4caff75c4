"""minigrad: a small, fast, correct define-by-run deep-learning framework on NumPy (CuPy on a GPU).

Its public API follows DeZero's, so code written for DeZero runs with `import minigrad as dezero`.
This module is a facade: it imports the framework's modules (ARCHITECTURE.md shows their layers) and
installs Variable's operators; the applications in minigrad.apps load only when first used.
"""
import importlib

from minigrad.core import (Config, Function, Parameter, Variable, as_array, as_variable, no_grad,  # noqa: F401
                           test_mode, using_config)
from minigrad.operators import setup_variable
from minigrad.layers import Layer  # noqa: F401
from minigrad.models import Model  # noqa: F401
from minigrad.datasets import Dataset  # noqa: F401
from minigrad.dataloaders import DataLoader, SeqDataLoader  # noqa: F401
from minigrad.interop import from_dlpack  # noqa: F401
from minigrad import malloc
from minigrad import (cuda, dataloaders, datasets, functions, functions_conv, layers, models,  # noqa: F401
                      optimizers, transforms, utils)

setup_variable()
malloc.tune()  # large temporaries are reused, not faulted in every step: see minigrad/malloc.py

# DeZero's book switches from its simple core to the full one at step 32; minigrad always runs the
# full core (minigrad.core_simple is there to read, and for steps 23-29).
is_simple_core = False

__version__ = "0.1.0"


def __getattr__(name):
    # The classifier is an application: load it (and what it needs) only when asked for.
    if name in ("Scratch2dCNNClassifier", "ScratchConvolutionalNeuralNetworkClassifier"):
        return getattr(importlib.import_module("minigrad.apps.classifier"), name)
    raise AttributeError(f"module 'minigrad' has no attribute {name!r}")
