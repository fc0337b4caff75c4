"""Models: Layers that are whole networks, with drawing and a summary table."""
import numpy as np

from minigrad import functions as F
from minigrad import layers as L
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

    `pretrained` may be the path of an .npz file saved by `save_weights` (e.g. converted ImageNet
    weights); nothing is downloaded.  `pretrained=True` without a path raises, saying so.
    """
    BLOCKS = ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3))

    def __init__(self, pretrained=False, num_classes=1000):
        super().__init__()
        if pretrained is True:
            raise ValueError("VGG16: pretrained=True needs weights, and minigrad downloads nothing: pass "
                             "the path of a local .npz weights file, e.g. VGG16(pretrained='vgg16.npz')")
        in_ch = 3
        for block, (out_ch, n) in enumerate(self.BLOCKS, 1):
            for i in range(1, n + 1):  # DeZero's names: conv1_1 ... conv5_3
                setattr(self, f"conv{block}_{i}",
                        L.Conv2d(out_ch, kernel_size=3, stride=1, pad=1, in_channels=in_ch))
                in_ch = out_ch
        self.fc6 = L.Linear(4096)  # in_size 512*7*7 for 224x224 inputs, set on the first call
        self.fc7 = L.Linear(4096, in_size=4096)
        self.fc8 = L.Linear(num_classes, in_size=4096)
        if pretrained:
            self.load_weights(pretrained)

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
