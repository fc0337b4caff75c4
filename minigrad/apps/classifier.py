"""A scikit-learn style image classifier trained from scratch with minigrad: fit / predict /
predict_proba / score, for single-channel (or multi-channel) images.

    clf = Scratch2dCNNClassifier(epochs=10).fit(X_train, y_train, X_val, y_val)
    clf.score(X_test, y_test)

It follows scikit-learn's conventions (parameters stored as given by __init__, learned attributes end
with an underscore, get_params/set_params, tags) without depending on scikit-learn, so clone,
GridSearchCV and cross_val_score take it.  It also speaks the course sprint's dialect: the class name
ScratchConvolutionalNeuralNetworkClassifier, the parameters alpha, sigma, epoch, output_ch,
filter_size, pooling_size, stride, pad, n_nodes, and the attributes `loss` and `val_loss`.
"""
import inspect
import time

import numpy as np

from minigrad import checks, cuda
from minigrad import functions as F
from minigrad import layers as L
from minigrad import optimizers
from minigrad.apps.estimator import ClassifierProtocol, NotFittedError  # noqa: F401  (importable here)
from minigrad.core import no_grad, test_mode
from minigrad.layers import Layer
from minigrad.models import LeNet, Sequential

# name -> (optimizer for a learning rate, default learning rate)
_OPTIMIZERS = {
    "adam": (lambda lr: optimizers.Adam(alpha=lr), 1e-3),
    "sgd": (lambda lr: optimizers.SGD(lr=lr), 0.01),
    "momentum": (lambda lr: optimizers.MomentumSGD(lr=lr), 0.01),
    "adagrad": (lambda lr: optimizers.AdaGrad(lr=lr), 1e-3),
}
DEFAULT_EPOCHS = 10
# The sprint's network, conv - ReLU - max pool - fc - ReLU - fc, with these settings where not given.
_SPRINT_DEFAULTS = {"output_ch": 16, "filter_size": 3, "stride": 1, "pad": 0, "pooling_size": 2,
                    "n_nodes": 100}


class _seeded:
    """Context manager: seed NumPy's global random state (used by layer initialisation and shuffling)
    and restore the caller's state afterwards.  seed=None leaves the global state alone."""

    def __init__(self, seed):
        self.seed = seed

    def __enter__(self):
        if self.seed is not None:
            self.state = np.random.get_state()
            np.random.seed(self.seed)

    def __exit__(self, *exc):
        if self.seed is not None:
            np.random.set_state(self.state)
        return False


def _sprint_network(num_classes, in_channels, output_ch, filter_size, stride, pad, pooling_size, n_nodes):
    return Sequential(L.Conv2d(output_ch, filter_size, stride, pad, in_channels=in_channels), F.relu,
                      L.MaxPool2D(pooling_size), L.Flatten(), L.Linear(n_nodes), F.relu,
                      L.Linear(num_classes, in_size=n_nodes))


def _positive_number(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a positive number, got {value!r}")
    if not value > 0:
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    return float(value)


def _one_of(a, b, names, cls):
    """The value of whichever of two spellings of one setting was given; both given is a mistake."""
    if a is not None and b is not None:
        raise ValueError(f"{cls}: {names[0]} and {names[1]} are the same setting ({names[1]} is the "
                         f"sprint's name); pass one of them, got {names[0]}={a!r}, {names[1]}={b!r}")
    return a if a is not None else b


class Scratch2dCNNClassifier(ClassifierProtocol):
    """A convolutional image classifier trained from scratch (LeNet by default) with minigrad.

    Parameters
    ----------
    network : callable returning a minigrad Model, optional
        Builds a fresh network at every `fit`.  If it accepts a `num_classes` argument it gets the number
        of classes (so `network=minigrad.models.LeNet` works); otherwise it is called with no argument and
        its output must have one column per class.  Default: LeNet, or the sprint's network below.
    epochs : int            passes over the training data (default 10)
    batch_size : int        examples per gradient step, also used to batch predictions (default 100)
    lr : float              learning rate (default 1e-3 for Adam and AdaGrad, 0.01 for SGD and momentum)
    optimizer : str         'adam', 'sgd', 'momentum' or 'adagrad'; default 'adam', or 'sgd' when
                            alpha is given
    seed : int or None      seeds weight initialisation and shuffling (NumPy's global random state is
                            restored after `fit`); None: use the global state as it is
    verbose : bool          print one line per epoch (training loss, validation loss and accuracy)

    The course sprint's parameters (ScratchConvolutionalNeuralNetworkClassifier is the same class):
    alpha : float           the sprint's learning rate of plain gradient descent: lr, with optimizer
                            'sgd' unless one is named.  Giving both lr and alpha raises.
    epoch : int             the sprint's name for epochs (giving both raises)
    sigma : float           weights (parameters of 2 or more dims) start as N(0, sigma^2) instead of
                            each layer's default (He / LeCun) initialisation; biases start at zero
    output_ch, filter_size, stride, pad, pooling_size, n_nodes
                            the sprint's network: conv (output_ch filters of filter_size, stride, pad)
                            - ReLU - max pool pooling_size - flatten - fc n_nodes - ReLU - fc classes.
                            Giving any of them builds it (defaults 16, 3, 1, 0, 2, 100 for the rest);
                            with `network` as well, they raise.

    Input
    -----
    X is an array of shape (N, H, W) (one channel; an axis is added) or (N, C, H, W).  uint8 arrays are
    taken as 0-255 pixels and scaled to [0, 1]; any other dtype is cast to float32 and used as given
    (so pass floats already scaled the way you want).  LeNet needs images of at least 16x16 (28x28 for
    MNIST-like data); predictions need the same (C, H, W) as `fit` saw.  y holds labels, or one-hot
    rows (N, K), which stand for the labels 0..K-1.

    Attributes (after fit)
    ----------------------
    classes_ : ndarray       the sorted distinct labels of y; labels need not be 0..K-1
    n_classes_ : int
    input_shape_ : tuple     (C, H, W) of the training images
    model_ : Model           the trained network
    loss_ : list of float    mean training loss of each epoch (averaged over its batches, as the
                             weights changed during the epoch)
    loss : list of lists     the sprint's record: the loss of every batch, one list per epoch
    val_loss_ : list         validation loss after each epoch (empty without X_val); `val_loss` is
                             the same list under the sprint's name
    val_score_ : list        validation accuracy of each epoch (empty without X_val)
    fit_time_ : float        seconds spent in fit
    """

    def __init__(self, network=None, epochs=None, batch_size=100, lr=None, optimizer=None, seed=0,
                 verbose=True, alpha=None, sigma=None, epoch=None, output_ch=None, filter_size=None,
                 pooling_size=None, stride=None, pad=None, n_nodes=None):
        self.network = network
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.optimizer = optimizer
        self.seed = seed
        self.verbose = verbose
        self.alpha = alpha
        self.sigma = sigma
        self.epoch = epoch
        self.output_ch = output_ch
        self.filter_size = filter_size
        self.pooling_size = pooling_size
        self.stride = stride
        self.pad = pad
        self.n_nodes = n_nodes

    # ------------------------------------------------------------------ validation
    def _settings(self):
        """The checked settings as a dict: epochs, batch_size, lr, optimizer, sigma, sprint (the
        sprint network's arguments, or None)."""
        name = type(self).__name__
        epochs = _one_of(self.epochs, self.epoch, ("epochs", "epoch"), name)
        lr = _one_of(self.lr, self.alpha, ("lr", "alpha"), name)
        optimizer = self.optimizer
        if optimizer is None:  # alpha is the sprint's plain gradient descent
            optimizer = "sgd" if self.alpha is not None else "adam"
        if optimizer not in _OPTIMIZERS:
            raise ValueError(f"{name}: optimizer must be one of {', '.join(map(repr, _OPTIMIZERS))}, "
                             f"got {optimizer!r}")
        given = {k: getattr(self, k) for k in _SPRINT_DEFAULTS if getattr(self, k) is not None}
        if given and self.network is not None:
            raise ValueError(f"{name}: network= and the sprint's {', '.join(given)} both describe the "
                             "network; pass one or the other")
        if self.network is not None and (isinstance(self.network, Layer) or not callable(self.network)):
            raise TypeError(f"{name}: network must be a callable returning a Model (e.g. a Model class or "
                            f"`lambda: MyNet()`), got {type(self.network).__name__}; an already built "
                            "Model instance would carry its weights from one fit to the next")
        sprint = None
        if given:
            sprint = dict(_SPRINT_DEFAULTS, **given)
            for k in ("output_ch", "n_nodes"):
                checks.positive_int(sprint[k], f"{name}: {k}")
            for k, least in (("filter_size", 1), ("stride", 1), ("pooling_size", 1), ("pad", 0)):
                if min(checks.pair(sprint[k], f"{name}: {k}")) < least:
                    raise ValueError(f"{name}: {k} must be {'positive' if least else 'non-negative'}, "
                                     f"got {sprint[k]!r}")
        return {
            "epochs": checks.positive_int(DEFAULT_EPOCHS if epochs is None else epochs,
                                          f"{name}: {'epoch' if self.epoch is not None else 'epochs'}"),
            "batch_size": checks.positive_int(self.batch_size, f"{name}: batch_size"),
            "lr": _OPTIMIZERS[optimizer][1] if lr is None else _positive_number(
                lr, f"{name}: {'alpha' if self.alpha is not None else 'lr'}"),
            "optimizer": optimizer,
            "sigma": None if self.sigma is None else _positive_number(self.sigma, f"{name}: sigma"),
            "sprint": sprint,
        }

    def _check_X(self, X, method, name="X"):
        """X as a float32 (N, C, H, W) array, following the documented scaling rule."""
        cls = type(self).__name__
        X = np.asarray(X)
        if X.dtype == object or not (X.dtype.kind in "biuf"):
            raise ValueError(f"{cls}.{method}: {name} must be a numeric array, got dtype {X.dtype}")
        if X.ndim == 3:
            X = X[:, None]
        elif X.ndim != 4:
            raise ValueError(f"{cls}.{method}: {name} must have shape (N, H, W) or (N, C, H, W), "
                             f"got {X.ndim} dims {X.shape}")
        if len(X) == 0:
            raise ValueError(f"{cls}.{method}: {name} is empty (shape {X.shape})")
        if X.dtype == np.uint8:
            return X.astype(np.float32) / np.float32(255)
        return X.astype(np.float32, copy=False)

    def _check_y(self, y, n, method, name="y", xname="X"):
        """y as a 1-D array of labels; one-hot rows (N, K) become the labels 0..K-1."""
        cls = type(self).__name__
        y = np.asarray(y)
        if y.ndim == 2 and y.shape[1] >= 2 and y.dtype.kind in "biuf" and np.isin(y, (0, 1)).all() \
                and (y.sum(axis=1) == 1).all():
            y = y.argmax(axis=1)
        if y.ndim != 1:
            raise ValueError(f"{cls}.{method}: {name} must be a 1-D array of labels (or one-hot rows), "
                             f"got shape {y.shape}")
        if len(y) != n:
            raise ValueError(f"{cls}.{method}: {xname} and {name} have different lengths: "
                             f"{xname} has {n} examples, {name} has {len(y)} labels")
        return y

    def _encode(self, y, method, name):
        """Labels → indices into classes_; unknown labels raise."""
        idx = np.searchsorted(self.classes_, y)
        idx = np.clip(idx, 0, len(self.classes_) - 1)
        unknown = self.classes_[idx] != y
        if unknown.any():
            raise ValueError(f"{type(self).__name__}.{method}: {name} has labels not seen in y: "
                             f"{np.unique(y[unknown]).tolist()[:10]}")
        return idx.astype(np.int64)

    def _build(self, settings, X):
        num_classes = self.n_classes_
        if settings["sprint"] is not None:
            model = _sprint_network(num_classes, X.shape[1], **settings["sprint"])
        elif self.network is None:
            model = LeNet(num_classes=num_classes)
        else:
            try:
                takes_classes = "num_classes" in inspect.signature(self.network).parameters
            except (TypeError, ValueError):  # builtins and the like
                takes_classes = False
            model = self.network(num_classes=num_classes) if takes_classes else self.network()
            if not isinstance(model, Layer):
                raise TypeError(f"{type(self).__name__}: network() must return a minigrad Model (Layer), "
                                f"got {type(model).__name__}")
        if settings["sigma"] is not None:
            with no_grad(), test_mode():
                model(X[:1])  # creates the weights of layers that size themselves on the first call
            for param in model.params():
                if param.data is not None and param.data.ndim >= 2:
                    param.data = (settings["sigma"] * np.random.randn(*param.shape)).astype(param.dtype)
        return model

    # ------------------------------------------------------------------ fitting
    def fit(self, X, y, X_val=None, y_val=None):
        """Train a fresh network on (X, y); with (X_val, y_val) also record validation loss and accuracy
        after each epoch.  Returns self.  If fit fails or is interrupted, the estimator is left unfitted."""
        self.__dict__.pop("model_", None)
        try:
            return self._fit(X, y, X_val, y_val)
        except BaseException:
            self.__dict__.pop("model_", None)
            raise

    def _fit(self, X, y, X_val, y_val):
        settings = self._settings()
        X = self._check_X(X, "fit")
        y = self._check_y(y, len(X), "fit")
        if (X_val is None) != (y_val is None):
            given, missing = ("X_val", "y_val") if y_val is None else ("y_val", "X_val")
            raise ValueError(f"{type(self).__name__}.fit: {given} was given without {missing}; "
                             "pass both or neither")
        classes = np.unique(y)
        if len(classes) < 2:
            raise ValueError(f"{type(self).__name__}.fit: y needs at least 2 classes, got {classes.tolist()}")
        self.classes_ = classes
        self.n_classes_ = len(classes)
        t = self._encode(y, "fit", "y")
        if X_val is not None:
            X_val = self._check_X(X_val, "fit", "X_val")
            y_val = self._check_y(y_val, len(X_val), "fit", "y_val", "X_val")
            if X_val.shape[1:] != X.shape[1:]:
                raise ValueError(f"{type(self).__name__}.fit: X_val images have shape {X_val.shape[1:]}, "
                                 f"X images {X.shape[1:]}")
            t_val = self._encode(y_val, "fit", "y_val")

        self.input_shape_ = X.shape[1:]
        self.loss_, self.val_loss_, self.val_score_, self.loss = [], [], [], []
        self.val_loss = self.val_loss_
        start = time.perf_counter()
        with _seeded(self.seed):
            model = self._build(settings, X)
            optimizer = _OPTIMIZERS[settings["optimizer"]][0](settings["lr"]).setup(model)
            self.model_ = model
            n, bs, epochs = len(X), settings["batch_size"], settings["epochs"]
            sizes = [len(range(n)[i:i + bs]) for i in range(0, n, bs)]
            for epoch in range(epochs):
                order = np.random.permutation(n)
                batch_losses = []
                for i in range(0, n, bs):
                    idx = order[i:i + bs]
                    out = model(X[idx])
                    if epoch == 0 and i == 0:
                        self._check_output(out, "fit")
                    loss = F.softmax_cross_entropy(out, t[idx])
                    model.cleargrads()
                    loss.backward()
                    optimizer.update()
                    batch_losses.append(float(loss.data))
                self.loss.append(batch_losses)
                self.loss_.append(float(np.dot(batch_losses, sizes)) / n)  # the mean over examples
                line = f"epoch {epoch + 1}/{epochs}  loss {self.loss_[-1]:.4f}"
                if X_val is not None:
                    logits = self._logits(X_val)
                    val_loss = float(F.softmax_cross_entropy(logits, t_val).data)
                    self.val_loss_.append(val_loss)
                    self.val_score_.append(float((logits.argmax(axis=1) == t_val).mean()))
                    line += f"  val loss {val_loss:.4f}  val acc {self.val_score_[-1]:.4f}"
                if self.verbose:
                    print(f"{line}  ({time.perf_counter() - start:.1f}s)", flush=True)
        self.fit_time_ = time.perf_counter() - start
        return self

    def _check_output(self, out, method):
        if out.ndim != 2 or out.shape[1] != self.n_classes_:
            raise ValueError(f"{type(self).__name__}.{method}: the network's output has shape {out.shape}, "
                             f"expected (batch, {self.n_classes_}): one column per class in classes_")

    def _logits(self, X):
        """Raw network outputs for float32 (N, C, H, W) X, in batches, without a graph, in test mode."""
        bs = max(int(self.batch_size), 256)
        outs = []
        with no_grad(), test_mode():
            for i in range(0, len(X), bs):
                outs.append(cuda.as_numpy(self.model_(X[i:i + bs]).data))
        return np.concatenate(outs).astype(np.float32, copy=False)

    # ------------------------------------------------------------------ prediction
    def _prepare(self, X, method):
        self._check_fitted(method)
        X = self._check_X(X, method)
        if X.shape[1:] != self.input_shape_:
            raise ValueError(f"{type(self).__name__}.{method}: X images have shape {X.shape[1:]}, but the "
                             f"model was fitted on {self.input_shape_}")
        return X

    def predict_proba(self, X):
        """Class probabilities (float64), shape (N, n_classes_), columns in the order of classes_; rows
        sum to 1."""
        logits = self._logits(self._prepare(X, "predict_proba")).astype(np.float64)
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        return p / p.sum(axis=1, keepdims=True)

    def predict(self, X):
        """The most probable label of each image (values from classes_)."""
        logits = self._logits(self._prepare(X, "predict"))
        return self.classes_[logits.argmax(axis=1)]

    def score(self, X, y):
        """Accuracy: the fraction of images whose predicted label equals y."""
        X = self._prepare(X, "score")
        y = self._check_y(y, len(X), "score")
        return float(np.mean(self.classes_[self._logits(X).argmax(axis=1)] == y))


# The course sprint's name for the same estimator.
ScratchConvolutionalNeuralNetworkClassifier = Scratch2dCNNClassifier
