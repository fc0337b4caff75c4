"""Layers: `import minigrad.layers as L` sees them all (DeZero's `dezero.layers`).

Modules, lowest first: base (Layer: registration, devices, save/load), linear (Linear, EmbedID),
normalization (BatchNorm), recurrent (RNN, LSTM), conv (Conv2d, Deconv2d, MaxPool2D, AveragePool2D,
Flatten).
"""
from minigrad.core import Parameter  # noqa: F401  (DeZero code finds it here)
from minigrad.layers.base import Layer  # noqa: F401
from minigrad.layers.linear import EmbedID, Linear  # noqa: F401
from minigrad.layers.normalization import BatchNorm  # noqa: F401
from minigrad.layers.recurrent import LSTM, RNN  # noqa: F401
from minigrad.layers.conv import AveragePool2D, Conv2d, Deconv2d, Flatten, MaxPool2D  # noqa: F401
