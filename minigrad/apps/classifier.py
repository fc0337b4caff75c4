"""A scikit-learn style image classifier trained from scratch with minigrad: fit / predict /
predict_proba / score, for single-channel (or multi-channel) images.

    clf = Scratch2dCNNClassifier(epochs=10).fit(X_train, y_train, X_val, y_val)
    clf.score(X_test, y_test)

It follows scikit-learn's conventions (parameters stored as given by __init__, learned attributes end
with an underscore, get_params/set_params) without depending on scikit-learn.
"""
import inspect
import time

import numpy as np

from minigrad import cuda
from minigrad import functions as F
from minigrad import optimizers
from minigrad.core import no_grad, test_mode
from minigrad.checks import positive_int
from minigrad.layers import Layer
from minigrad.models import LeNet


class NotFittedError(ValueError, AttributeError):
    """An estimator was used before `fit` (like scikit-learn's NotFittedError)."""


_OPTIMIZERS = {
    "adam": lambda lr: optimizers.Adam(alpha=lr),
    "sgd": lambda lr: optimizers.SGD(lr=lr),
    "momentum": lambda lr: optimizers.MomentumSGD(lr=lr),
    "adagrad": lambda lr: optimizers.AdaGrad(lr=lr),
}


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


def _default_network(num_classes):
    return LeNet(num_classes=num_classes)


class Scratch2dCNNClassifier:
    """A convolutional image classifier trained from scratch (LeNet by default) with minigrad.

    Parameters
    ----------
    network : callable returning a minigrad Model, optional
        Builds a fresh network at every `fit`.  If it accepts a `num_classes` argument it gets the number
        of classes (so `network=minigrad.models.LeNet` works); otherwise it is called with no argument and
        its output must have one column per class.  Default: LeNet.
    epochs : int            passes over the training data (default 10)
    batch_size : int        examples per gradient step, also used to batch predictions (default 100)
    lr : float              learning rate (Adam's alpha) (default 1e-3)
    optimizer : str         'adam' (default), 'sgd', 'momentum' or 'adagrad'
    seed : int or None      seeds weight initialisation and shuffling (NumPy's global random state is
                            restored after `fit`); None: use the global state as it is
    verbose : bool          print one line per epoch (training loss, validation loss and accuracy)

    Input images
    ------------
    X is an array of shape (N, H, W) (one channel; an axis is added) or (N, C, H, W).  uint8 arrays are
    taken as 0-255 pixels and scaled to [0, 1]; any other dtype is cast to float32 and used as given
    (so pass floats already scaled the way you want).  LeNet needs images of at least 16x16 (28x28 for
    MNIST-like data); predictions need the same (C, H, W) as `fit` saw.

    Attributes (after fit)
    ----------------------
    classes_ : ndarray       the sorted distinct labels of y; labels need not be 0..K-1
    n_classes_ : int
    input_shape_ : tuple     (C, H, W) of the training images
    model_ : Model           the trained network
    loss_ : list of float    mean training loss of each epoch (averaged over its batches, as the
                             weights changed during the epoch)
    val_loss_ : list         validation loss after each epoch (empty without X_val)
    val_score_ : list        validation accuracy of each epoch (empty without X_val)
    fit_time_ : float        seconds spent in fit
    """

    def __init__(self, network=None, epochs=10, batch_size=100, lr=1e-3, optimizer="adam", seed=0,
                 verbose=True):
        self.network = network
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.optimizer = optimizer
        self.seed = seed
        self.verbose = verbose

    # ------------------------------------------------------------------ scikit-learn protocol
    _param_names = ("network", "epochs", "batch_size", "lr", "optimizer", "seed", "verbose")

    def get_params(self, deep=True):
        return {name: getattr(self, name) for name in self._param_names}

    def set_params(self, **params):
        for name, value in params.items():
            if name not in self._param_names:
                raise ValueError(f"{type(self).__name__}.set_params: unknown parameter {name!r} "
                                 f"(valid: {', '.join(self._param_names)})")
            setattr(self, name, value)
        return self

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({args})"

    # ------------------------------------------------------------------ validation
    def _check_params(self):
        name = type(self).__name__
        for attr in ("epochs", "batch_size"):
            positive_int(getattr(self, attr), f"{name}: {attr}")
        if isinstance(self.lr, bool) or not isinstance(self.lr, (int, float, np.floating)) or not self.lr > 0:
            raise ValueError(f"{name}: lr must be a positive number, got {self.lr!r}")
        if self.optimizer not in _OPTIMIZERS:
            raise ValueError(f"{name}: optimizer must be one of {', '.join(map(repr, _OPTIMIZERS))}, "
                             f"got {self.optimizer!r}")
        if self.network is not None and (isinstance(self.network, Layer) or not callable(self.network)):
            raise TypeError(f"{name}: network must be a callable returning a Model (e.g. a Model class or "
                            f"`lambda: MyNet()`), got {type(self.network).__name__}; an already built "
                            "Model instance would carry its weights from one fit to the next")

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
        cls = type(self).__name__
        y = np.asarray(y)
        if y.ndim != 1:
            raise ValueError(f"{cls}.{method}: {name} must be a 1-D array of labels, got shape {y.shape}")
        if len(y) != n:
            raise ValueError(f"{cls}.{method}: {xname} and {name} have different lengths: "
                             f"{xname} has {n} examples, {name} has {len(y)} labels")
        return y

    def _check_fitted(self, method):
        if not hasattr(self, "model_"):
            raise NotFittedError(f"{type(self).__name__}.{method}: this {type(self).__name__} instance is "
                                 "not fitted yet; call fit(X, y) first")

    def _encode(self, y, method, name):
        """Labels → indices into classes_; unknown labels raise."""
        idx = np.searchsorted(self.classes_, y)
        idx = np.clip(idx, 0, len(self.classes_) - 1)
        unknown = self.classes_[idx] != y
        if unknown.any():
            raise ValueError(f"{type(self).__name__}.{method}: {name} has labels not seen in y: "
                             f"{np.unique(y[unknown]).tolist()[:10]}")
        return idx.astype(np.int64)

    def _build(self, num_classes):
        if self.network is None:
            return _default_network(num_classes)
        try:
            takes_classes = "num_classes" in inspect.signature(self.network).parameters
        except (TypeError, ValueError):  # builtins and the like
            takes_classes = False
        model = self.network(num_classes=num_classes) if takes_classes else self.network()
        if not isinstance(model, Layer):
            raise TypeError(f"{type(self).__name__}: network() must return a minigrad Model (Layer), "
                            f"got {type(model).__name__}")
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
        self._check_params()
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
        self.loss_, self.val_loss_, self.val_score_ = [], [], []
        start = time.perf_counter()
        with _seeded(self.seed):
            model = self._build(self.n_classes_)
            optimizer = _OPTIMIZERS[self.optimizer](float(self.lr)).setup(model)
            self.model_ = model
            n, bs = len(X), int(self.batch_size)
            for epoch in range(int(self.epochs)):
                order = np.random.permutation(n)
                total = 0.0
                for i in range(0, n, bs):
                    idx = order[i:i + bs]
                    out = model(X[idx])
                    if epoch == 0 and i == 0:
                        self._check_output(out, "fit")
                    loss = F.softmax_cross_entropy(out, t[idx])
                    model.cleargrads()
                    loss.backward()
                    optimizer.update()
                    total += float(loss.data) * len(idx)
                self.loss_.append(total / n)
                line = f"epoch {epoch + 1}/{self.epochs}  loss {self.loss_[-1]:.4f}"
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
