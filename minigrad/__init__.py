"""minigrad: a small, fast, correct define-by-run deep-learning framework on NumPy (CuPy on a GPU).

Its public API follows DeZero's, so code written for DeZero runs with `import minigrad as dezero`.
"""
from minigrad.core import (Config, Function, Parameter, Variable, as_array, as_variable, no_grad,
                           setup_variable, test_mode, using_config)
from minigrad.layers import Layer
from minigrad.models import Model
from minigrad.datasets import Dataset
from minigrad.dataloaders import DataLoader, SeqDataLoader
from minigrad.classifier import Scratch2dCNNClassifier
from minigrad import (cuda, dataloaders, datasets, functions, functions_conv, layers, models,  # noqa: F401
                      optimizers, transforms, utils)

__version__ = "0.1.0"
# The book switches DeZero from its simple core to the full one at step 32; minigrad always uses the full
# core.  minigrad.core_simple is there to read, and for steps 23-29.
is_simple_core = False
