"""Models: Layers that are whole networks, with drawing and a summary table."""
import os

import numpy as np

from minigrad import files
from minigrad import functions as F
from minigrad import layers as L
from minigrad.datasets import DataNotFoundError
from minigrad.graph import plot_dot_graph
from minigrad.summary import count_params, summarize, summary


class Model(L.Layer):
    """A Layer that is a whole network: `plot()` draws its graph, `summary()` tabulates it; a notebook
    displays a Model as the table of its layers."""

    def plot(self, *inputs, to_file="model.png", cluster=False, rankdir=None):
        """Draw the graph of `self(*inputs)` to `to_file`, parameters labelled by layer (`conv1/W`),
        with `cluster=True` each layer boxed; see plot_dot_graph."""
        y = self.forward(*inputs)
        return plot_dot_graph(y, verbose=True, to_file=to_file, model=self, cluster=cluster, rankdir=rankdir)

    def summary(self, input_shape=None, dtype=np.float32, print_fn=print):
        """Print a table of the model's layers (name, type, output shape, parameters) with totals: with
        `input_shape` (without the batch axis) one zero sample runs through the model to find the output
        shapes; without, the table lists the weights' shapes.  Returns None (summarize() returns the
        table as an object)."""
        summary(self, input_shape, dtype=dtype, print_fn=print_fn)

    def _repr_html_(self):
        # Displaying must not run the model (it would initialise lazy weights and reset RNN states),
        # so the table is the structural one: layers, weight shapes, parameter counts.
        return summarize(self)._repr_html_()

    def count_params(self):
        """Number of scalar parameters (initialised ones)."""
        return count_params(self)


class Sequential(Model):
    """Layers (or callables) applied one after another."""

    def __init__(self, *layers):
        super().__init__()
        if len(layers) == 1 and isinstance(layers[0], (list, tuple)):
            layers = tuple(layers[0])
        self.layers = list(layers)

    def forward(self, x):
        for layer in self.layers:
            x = layer(x)
        return x


class MLP(Model):
    """Fully connected layers of the given output sizes with `activation` between them."""

    def __init__(self, fc_output_sizes, activation=F.sigmoid):
        super().__init__()
        if not isinstance(fc_output_sizes, (list, tuple)) or not fc_output_sizes:
            raise TypeError(f"MLP: fc_output_sizes must be a non-empty tuple of layer sizes, e.g. (100, "
                            f"10), got {fc_output_sizes!r}")
        if not callable(activation):
            raise TypeError(f"MLP: activation must be callable, got {type(activation).__name__}")
        self.activation = activation
        layers = [L.Linear(size) for size in fc_output_sizes]
        for i, layer in enumerate(layers):
            setattr(self, f"l{i}", layer)  # DeZero's names: weights files hold l0/W, l0/b ...
        self.layers = layers

    def forward(self, x):
        for layer in self.layers[:-1]:
            x = self.activation(layer(x))
        return self.layers[-1](x)


class LeNet(Model):
    """The modern LeNet: conv 6@5x5 - ReLU - max pool 2 - conv 16@5x5 - ReLU - max pool 2 - flatten -
    fc 120 - ReLU - fc 84 - ReLU - fc `num_classes` (softmax left to the loss)."""

    def __init__(self, num_classes=10, in_channels=None):
        super().__init__()
        self.conv1 = L.Conv2d(6, kernel_size=5, in_channels=in_channels)
        self.pool1 = L.MaxPool2D(2)
        self.conv2 = L.Conv2d(16, kernel_size=5, in_channels=6)
        self.pool2 = L.MaxPool2D(2)
        self.flatten = L.Flatten()
        self.fc1 = L.Linear(120)
        self.fc2 = L.Linear(84, in_size=120)
        self.fc3 = L.Linear(num_classes, in_size=84)

    def forward(self, x):
        x = self.pool1(F.relu(self.conv1(x)))
        x = self.pool2(F.relu(self.conv2(x)))
        x = self.flatten(x)
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        return self.fc3(x)


class VGG16(Model):
    """VGG-16 (Simonyan & Zisserman, 2014) for 224x224 RGB images.

    pretrained=True loads the book's ImageNet weights, vgg16.npz: found in the cache directories
    ($MINIGRAD_DATA, ~/.minigrad, then DeZero's ~/.dezero) or downloaded once from WEIGHTS_PATH (see
    pretrained_weights); `pretrained` may also be the path of an .npz file saved by `save_weights`.
    """
    BLOCKS = ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3))
    WEIGHTS_PATH = "https://github.com/koki0702/dezero-models/releases/download/v0.1/vgg16.npz"

    def __init__(self, pretrained=False, num_classes=1000):
        super().__init__()
        # the file first: offline, fail before spending seconds on 138 million random weights
        weights = weights_arg(self, pretrained, self.WEIGHTS_PATH)
        in_ch = 3
        for block, (out_ch, n) in enumerate(self.BLOCKS, 1):
            for i in range(1, n + 1):  # DeZero's names: conv1_1 ... conv5_3
                setattr(self, f"conv{block}_{i}",
                        L.Conv2d(out_ch, kernel_size=3, stride=1, pad=1, in_channels=in_ch))
                in_ch = out_ch
        self.fc6 = L.Linear(4096)  # in_size 512*7*7 for 224x224 inputs, set on the first call
        self.fc7 = L.Linear(4096, in_size=4096)
        self.fc8 = L.Linear(num_classes, in_size=4096)
        if weights:
            load_pretrained(self, os.fspath(weights), downloaded=pretrained is True)

    @property
    def convs(self):
        """The 13 convolution layers in order."""
        return [getattr(self, f"conv{b}_{i}") for b, (_, n) in enumerate(self.BLOCKS, 1)
                for i in range(1, n + 1)]

    def forward(self, x):
        for block, (_, n) in enumerate(self.BLOCKS, 1):
            for i in range(1, n + 1):
                x = F.relu(getattr(self, f"conv{block}_{i}")(x))
            x = F.pooling(x, 2, 2)
        x = F.flatten(x)
        x = F.dropout(F.relu(self.fc6(x)))
        x = F.dropout(F.relu(self.fc7(x)))
        return self.fc8(x)

    @staticmethod
    def preprocess(image, size=(224, 224), dtype=np.float32):
        """A PIL image to a (3, H, W) BGR array with the ImageNet channel means subtracted."""
        image = image.convert("RGB")
        if size:
            image = image.resize(size)
        x = np.asarray(image, dtype=dtype)[:, :, ::-1]
        x = x - np.array([103.939, 116.779, 123.68], dtype=dtype)
        return x.transpose((2, 0, 1))


# ----------------------------------------------------------------------------- pretrained weights

def weights_arg(model, pretrained, url):
    """The weights file `pretrained` asks for: None (False), the book's file from `url`, fetched once
    (True), or the path given."""
    if pretrained is False or pretrained is None:
        return None
    if pretrained is True:
        return pretrained_weights(url)
    if not isinstance(pretrained, (str, os.PathLike)):
        raise TypeError(f"{type(model).__name__}: pretrained must be True, False or the path of an .npz "
                        f"weights file, got {pretrained!r}")
    return pretrained


def pretrained_weights(url):
    """The local path of the book's weight file at `url`, downloaded once (files.get_file).

    Nobody publishes checksums for these files, so none is checked: a file is accepted when it is a
    readable .npz (the zip format checks every array against its CRC-32) whose arrays have exactly the
    model's names and shapes (load_pretrained).  Offline, DataNotFoundError says where to put it.
    """
    name = url[url.rfind("/") + 1:]
    try:
        return files.get_file(url)
    except OSError as e:
        raise DataNotFoundError(
            f"{name} not found in {', '.join(files.cache_dirs())} and the download from {url} failed "
            f"({e}). Ways to provide it: put {name} in ~/.minigrad (or in $MINIGRAD_DATA, or DeZero's "
            f"~/.dezero); or pass its path: pretrained='path/to/{name}'") from None


def load_pretrained(model, path, downloaded=False):
    """Load the weight file `path` into `model`: every parameter must come from it, with the model's
    shape.  `downloaded` adds to an error that deleting the file makes it download again."""
    name = type(model).__name__
    try:
        model.load_weights(path)
    except ValueError as e:
        hint = " (delete it to download it again)" if downloaded else ""
        raise ValueError(f"{name}: pretrained weights {path}{hint}: {e}") from None
    params = {}
    model._flatten_params(params)
    missing = [key for key, p in params.items() if p.data is None]
    if missing:
        raise ValueError(f"{name}: pretrained weights {path} lack {', '.join(missing)}")


def _npz_keys(path):
    """The array names in an .npz file (an empty set if it cannot be read: load_weights says why)."""
    try:
        with np.load(path, allow_pickle=False) as npz:
            return set(npz.files)
    except (OSError, ValueError, EOFError):
        return set()


# ----------------------------------------------------------------------------- ResNet

def _batch_norm(channels):
    """A BatchNorm layer with its parameters made now (so weight files are checked against them)."""
    bn = L.BatchNorm()
    bn._init_params(np.zeros((1, channels), np.float32))
    return bn


class BottleneckA(L.Layer):
    """The first bottleneck of a stage: 1x1 conv to mid_channels, 3x3 conv, 1x1 conv to out_channels,
    added to a 1x1 projection of the input (which changes its channels and, with stride, its size).

    downsample_fb=False puts the stride on the first 1x1 conv (the original MSRA ResNet, whose weights
    the book uses); True puts it on the 3x3 conv (Facebook's ResNet).
    """

    def __init__(self, in_channels, mid_channels, out_channels, stride=2, downsample_fb=False):
        super().__init__()
        stride_1x1, stride_3x3 = (1, stride) if downsample_fb else (stride, 1)
        self.conv1 = L.Conv2d(mid_channels, 1, stride_1x1, 0, nobias=True, in_channels=in_channels)
        self.bn1 = _batch_norm(mid_channels)
        self.conv2 = L.Conv2d(mid_channels, 3, stride_3x3, 1, nobias=True, in_channels=mid_channels)
        self.bn2 = _batch_norm(mid_channels)
        self.conv3 = L.Conv2d(out_channels, 1, 1, 0, nobias=True, in_channels=mid_channels)
        self.bn3 = _batch_norm(out_channels)
        self.conv4 = L.Conv2d(out_channels, 1, stride, 0, nobias=True, in_channels=in_channels)
        self.bn4 = _batch_norm(out_channels)

    def forward(self, x):
        h = F.relu(self.bn1(self.conv1(x)))
        h = F.relu(self.bn2(self.conv2(h)))
        h = self.bn3(self.conv3(h))
        return F.relu(h + self.bn4(self.conv4(x)))


class BottleneckB(L.Layer):
    """A bottleneck that keeps its input's shape: 1x1 conv to mid_channels, 3x3 conv, 1x1 conv back to
    in_channels, added to the input itself (the identity shortcut)."""

    def __init__(self, in_channels, mid_channels):
        super().__init__()
        self.conv1 = L.Conv2d(mid_channels, 1, 1, 0, nobias=True, in_channels=in_channels)
        self.bn1 = _batch_norm(mid_channels)
        self.conv2 = L.Conv2d(mid_channels, 3, 1, 1, nobias=True, in_channels=mid_channels)
        self.bn2 = _batch_norm(mid_channels)
        self.conv3 = L.Conv2d(in_channels, 1, 1, 0, nobias=True, in_channels=mid_channels)
        self.bn3 = _batch_norm(in_channels)

    def forward(self, x):
        h = F.relu(self.bn1(self.conv1(x)))
        h = F.relu(self.bn2(self.conv2(h)))
        return F.relu(self.bn3(self.conv3(h)) + x)


class BuildingBlock(L.Layer):
    """One stage of a ResNet: a BottleneckA (named a) then n_layers - 1 BottleneckBs (b1, b2 ...)."""

    def __init__(self, n_layers=None, in_channels=None, mid_channels=None, out_channels=None, stride=None,
                 downsample_fb=None):
        super().__init__()
        for arg, value in (("n_layers", n_layers), ("in_channels", in_channels),
                           ("mid_channels", mid_channels), ("out_channels", out_channels),
                           ("stride", stride)):
            if value is None:
                raise TypeError(f"BuildingBlock: {arg} is required")
        if n_layers < 1:
            raise ValueError(f"BuildingBlock: n_layers must be at least 1, got {n_layers}")
        self.a = BottleneckA(in_channels, mid_channels, out_channels, stride, bool(downsample_fb))
        for i in range(1, n_layers):
            setattr(self, f"b{i}", BottleneckB(out_channels, mid_channels))
        self.n_layers = n_layers

    def forward(self, x):
        x = self.a(x)
        for i in range(1, self.n_layers):
            x = getattr(self, f"b{i}")(x)
        return x


class ResNet(Model):
    """ResNet-50/101/152 (He, Zhang, Ren & Sun, 2015, "Deep Residual Learning for Image Recognition")
    for 224x224 RGB images: 7x7 conv (stride 2) - BN - ReLU - 3x3 max pool (stride 2) - four stages of
    bottleneck blocks (res2 ... res5) - global average pooling - fc6 (1000 classes).

    The names and layout are DeZero's (from Chainer's ResNetLayers), so the book's weight files load:
    pretrained=True fetches resnet{n_layers}.npz as VGG16 does vgg16.npz; a path loads that file.
    (DeZero's own ResNet passes Chainer's argument order to its Conv2d and cannot be built.)
    """
    WEIGHTS_PATH = "https://github.com/koki0702/dezero-models/releases/download/v0.1/resnet{}.npz"
    STAGES = {50: (3, 4, 6, 3), 101: (3, 4, 23, 3), 152: (3, 8, 36, 3)}

    def __init__(self, n_layers=152, pretrained=False):
        super().__init__()
        if n_layers not in self.STAGES:
            raise ValueError(f"ResNet: n_layers must be 50, 101 or 152, got {n_layers!r}")
        blocks = self.STAGES[n_layers]
        url = self.WEIGHTS_PATH.format(n_layers)
        weights = weights_arg(self, pretrained, url)  # before building (see VGG16)
        self.conv1 = L.Conv2d(64, 7, 2, 3, in_channels=3)
        self.bn1 = _batch_norm(64)
        self.res2 = BuildingBlock(blocks[0], 64, 64, 256, 1)
        self.res3 = BuildingBlock(blocks[1], 256, 128, 512, 2)
        self.res4 = BuildingBlock(blocks[2], 512, 256, 1024, 2)
        self.res5 = BuildingBlock(blocks[3], 1024, 512, 2048, 2)
        self.fc6 = L.Linear(1000, in_size=2048)
        if weights:
            if "conv1/b" not in _npz_keys(weights):
                # Chainer's conv1 has a bias, DeZero's none (its argument-order slip sets nobias):
                # the book's files are taken either way.
                self.conv1.b = None
            load_pretrained(self, os.fspath(weights), downloaded=pretrained is True)

    def forward(self, x):
        x = F.relu(self.bn1(self.conv1(x)))
        x = F.pooling(x, kernel_size=3, stride=2)
        x = self.res5(self.res4(self.res3(self.res2(x))))
        x = F.mean(x, axis=(2, 3))  # global average pooling
        return self.fc6(x)


class ResNet50(ResNet):
    def __init__(self, pretrained=False):
        super().__init__(50, pretrained)


class ResNet101(ResNet):
    def __init__(self, pretrained=False):
        super().__init__(101, pretrained)


class ResNet152(ResNet):
    def __init__(self, pretrained=False):
        super().__init__(152, pretrained)
