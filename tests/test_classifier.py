"""Scratch2dCNNClassifier: learning, the scikit-learn protocol, label mapping, input forms, bad input."""
import numpy as np
import pytest

from minigrad import layers as L
from minigrad.apps.classifier import NotFittedError, Scratch2dCNNClassifier
from minigrad.datasets import load_mnist_sample
from minigrad.models import Sequential

EPOCHS = 3


@pytest.fixture(scope="module")
def data():
    x, y = load_mnist_sample(train=True)
    x_test, y_test = load_mnist_sample(train=False)
    return x[:500], y[:500], x[500:700], y[500:700], x_test[:500], y_test[:500]


@pytest.fixture(scope="module")
def fitted(data):
    """Fitted on 500 digits given as (N, 28, 28) uint8, with labels 2*digit + 1 (not 0..K-1)."""
    x, y, xv, yv, _, _ = data
    clf = Scratch2dCNNClassifier(epochs=EPOCHS, batch_size=32, lr=2e-3, seed=0, verbose=False)
    return clf.fit(x[:, 0], 2 * y + 1, xv, 2 * yv + 1)


def test_fit_returns_self_and_learns(data, fitted):
    *_, x_test, y_test = data
    acc = fitted.score(x_test, 2 * y_test + 1)
    assert acc > 0.6, acc  # chance is 0.1; this reaches ~0.8
    assert fitted.val_score_[-1] > 0.6


def test_classes_are_the_sorted_labels(fitted):
    np.testing.assert_array_equal(fitted.classes_, np.arange(1, 20, 2))
    assert fitted.n_classes_ == 10
    assert fitted.input_shape_ == (1, 28, 28)


def test_predict_proba_rows_sum_to_one(data, fitted):
    *_, x_test, _ = data
    p = fitted.predict_proba(x_test[:50])
    assert p.shape == (50, 10)
    assert (p >= 0).all() and (p <= 1).all()
    np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=0, atol=1e-12)


def test_predict_is_argmax_of_proba_mapped_to_classes(data, fitted):
    *_, x_test, _ = data
    pred = fitted.predict(x_test[:100])
    np.testing.assert_array_equal(pred, fitted.classes_[fitted.predict_proba(x_test[:100]).argmax(axis=1)])
    assert set(pred.tolist()) <= set(fitted.classes_.tolist())
    assert pred.dtype == fitted.classes_.dtype


def test_3d_and_4d_inputs_and_scaling_rule(data, fitted):
    *_, x_test, y_test = data
    x4 = x_test[:64]
    p4 = fitted.predict_proba(x4)
    np.testing.assert_allclose(fitted.predict_proba(x4[:, 0]), p4, atol=1e-6)
    # uint8 is scaled to [0, 1]; floats are used as given
    np.testing.assert_allclose(fitted.predict_proba(x4.astype(np.float64) / 255), p4, atol=1e-5)
    assert not np.allclose(fitted.predict_proba(x4.astype(np.float32)), p4, atol=1e-3)
    assert fitted.score(x4[:, 0], 2 * y_test[:64] + 1) == fitted.score(x4, 2 * y_test[:64] + 1)


def test_loss_curves_have_one_value_per_epoch(fitted):
    assert len(fitted.loss_) == EPOCHS and len(fitted.val_loss_) == EPOCHS
    assert len(fitted.val_score_) == EPOCHS
    assert fitted.loss_[-1] < fitted.loss_[0]
    assert fitted.val_loss_[-1] < fitted.val_loss_[0]
    assert all(np.isfinite(fitted.loss_ + fitted.val_loss_))


def test_verbose_prints_one_line_per_epoch_and_seed_reproduces(data, capsys):
    x, y, xv, yv, _, _ = data
    state = np.random.get_state()
    a = Scratch2dCNNClassifier(epochs=2, batch_size=50, seed=3).fit(x[:150], y[:150], xv[:50], yv[:50])
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("epoch 1/2") and "loss" in lines[0] and "val loss" in lines[0]
    assert np.array_equal(np.random.get_state()[1], state[1])  # the caller's random state is restored
    b = Scratch2dCNNClassifier(epochs=2, batch_size=50, seed=3, verbose=False).fit(x[:150], y[:150])
    assert a.loss_ == b.loss_ and b.val_loss_ == [] and capsys.readouterr().out == ""


def test_string_labels_and_custom_network(data):
    x, y, *_ = data
    labels = np.where(y[:120] % 2 == 0, "even", "odd")
    net = lambda: Sequential(L.Flatten(), L.Linear(2))  # noqa: E731
    clf = Scratch2dCNNClassifier(network=net, epochs=2, verbose=False).fit(x[:120], labels)
    assert clf.classes_.tolist() == ["even", "odd"]
    assert set(clf.predict(x[:10]).tolist()) <= {"even", "odd"}

    def with_classes(num_classes):
        return Sequential(L.Flatten(), L.Linear(num_classes))
    clf = Scratch2dCNNClassifier(network=with_classes, epochs=1, verbose=False).fit(x[:60], y[:60] % 3)
    assert clf.predict_proba(x[:4]).shape == (4, 3)


# ----------------------------------------------------------------------------- bad input

@pytest.mark.parametrize("method", ["predict", "predict_proba", "score"])
def test_use_before_fit_raises(data, method):
    x, y, *_ = data
    clf = Scratch2dCNNClassifier()
    args = (x[:5], y[:5]) if method == "score" else (x[:5],)
    with pytest.raises(NotFittedError, match=r"not fitted yet; call fit\(X, y\) first"):
        getattr(clf, method)(*args)
    assert issubclass(NotFittedError, ValueError)


def test_length_mismatch_names_both_lengths(data):
    x, y, xv, yv, *_ = data
    clf = Scratch2dCNNClassifier(verbose=False)
    with pytest.raises(ValueError, match=r"X has 20 examples, y has 19 labels"):
        clf.fit(x[:20], y[:19])
    with pytest.raises(ValueError, match=r"X_val has 10 examples, y_val has 9 labels"):
        clf.fit(x[:20], y[:20], xv[:10], yv[:9])


@pytest.mark.parametrize("shape", [(20, 784), (20,), (20, 1, 1, 28, 28)])
def test_wrong_dims_raise(shape):
    x = np.zeros(shape, np.float32)
    with pytest.raises(ValueError, match=r"shape \(N, H, W\) or \(N, C, H, W\)"):
        Scratch2dCNNClassifier(verbose=False).fit(x, np.arange(20) % 2)


def test_validation_pair_must_be_complete(data):
    x, y, xv, yv, *_ = data
    clf = Scratch2dCNNClassifier(verbose=False)
    with pytest.raises(ValueError, match="X_val was given without y_val"):
        clf.fit(x[:20], y[:20], xv[:10])
    with pytest.raises(ValueError, match="y_val was given without X_val"):
        clf.fit(x[:20], y[:20], y_val=yv[:10])


def test_other_bad_input(data, fitted):
    x, y, *_ = data
    with pytest.raises(ValueError, match="X images have shape"):
        fitted.predict(np.zeros((3, 1, 32, 32), np.float32))
    with pytest.raises(ValueError, match="at least 2 classes"):
        Scratch2dCNNClassifier(verbose=False).fit(x[:10], np.zeros(10, int))
    with pytest.raises(ValueError, match="y_val has labels not seen in y"):
        Scratch2dCNNClassifier(verbose=False).fit(x[:10], y[:10] % 2, x[:5], np.full(5, 7))
    with pytest.raises(ValueError, match="optimizer must be one of"):
        Scratch2dCNNClassifier(optimizer="lbfgs").fit(x[:10], y[:10])
    with pytest.raises(ValueError, match="epochs must be a positive int"):
        Scratch2dCNNClassifier(epochs=0).fit(x[:10], y[:10])
    with pytest.raises(TypeError, match="callable returning a Model"):
        Scratch2dCNNClassifier(network=Sequential(L.Flatten(), L.Linear(2))).fit(x[:10], y[:10])
    with pytest.raises(ValueError, match=r"output has shape \(\d+, 3\), expected \(batch, 10\)"):
        Scratch2dCNNClassifier(network=lambda: Sequential(L.Flatten(), L.Linear(3)),
                               verbose=False).fit(x[:30], y[:30])


def test_get_and_set_params():
    clf = Scratch2dCNNClassifier(epochs=4)
    assert clf.get_params()["epochs"] == 4
    assert clf.set_params(lr=0.01, epochs=2) is clf and clf.lr == 0.01 and clf.epochs == 2
    with pytest.raises(ValueError, match="unknown parameter 'learning_rate'"):
        clf.set_params(learning_rate=1)


def test_importable_from_package():
    import minigrad
    if not hasattr(minigrad, "Scratch2dCNNClassifier"):
        pytest.skip("minigrad/__init__.py does not export Scratch2dCNNClassifier yet")
    assert minigrad.Scratch2dCNNClassifier is Scratch2dCNNClassifier


def test_a_failed_fit_leaves_the_estimator_unfitted():
    import minigrad.layers as L
    from minigrad.models import Sequential
    X = np.random.default_rng(0).integers(0, 256, (20, 28, 28)).astype(np.uint8)
    y = np.arange(20) % 3
    clf = Scratch2dCNNClassifier(network=lambda: Sequential(L.Flatten(), L.Linear(5)), epochs=1,
                                 verbose=False)
    with pytest.raises(ValueError, match="output has shape"):
        clf.fit(X, y)
    with pytest.raises(ValueError, match="not fitted yet"):
        clf.predict(X)


# ----------------------------------------------------------------------------- the course sprint's dialect

def _tiny(n=48, seed=0):
    """n 8x8 one-channel float images; class 1 has a bright top half, so a conv net separates them."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    X = rng.random((n, 1, 8, 8)).astype(np.float32) * 0.5
    X[y == 1, :, :4] += 0.5
    return X, y


SPRINT_NET = dict(output_ch=4, filter_size=3, pooling_size=2, n_nodes=8)


def test_sprint_name_and_lazy_import():
    import minigrad
    from minigrad.apps.classifier import ScratchConvolutionalNeuralNetworkClassifier
    assert ScratchConvolutionalNeuralNetworkClassifier is Scratch2dCNNClassifier
    assert minigrad.ScratchConvolutionalNeuralNetworkClassifier is Scratch2dCNNClassifier


def test_sprint_parameters_build_the_sprint_network_and_record_per_batch_losses():
    X, y = _tiny(50)
    clf = Scratch2dCNNClassifier(alpha=0.1, sigma=0.05, batch_size=16, epoch=3, verbose=False, output_ch=4,
                                 filter_size=3, pooling_size=2, stride=1, pad=1, n_nodes=8)
    clf.fit(X[:40], y[:40], X[40:], y[40:])
    conv, fc1, fc2 = clf.model_.layers[0], clf.model_.layers[4], clf.model_.layers[6]
    assert conv.W.shape == (4, 1, 3, 3) and conv.pad == (1, 1)
    assert fc1.W.shape == (4 * 4 * 4, 8) and fc2.W.shape == (8, 2)
    # the sprint's `loss`: one list per epoch of the batches' losses (40 = 16 + 16 + 8)
    assert np.array(clf.loss).shape == (3, 3)
    for per_batch, mean in zip(clf.loss, clf.loss_):
        assert mean == pytest.approx(np.dot(per_batch, [16, 16, 8]) / 40)
    assert clf.val_loss is clf.val_loss_ and len(clf.val_loss) == 3
    assert clf.predict(X[:5]).shape == (5,)


def test_alpha_is_plain_gradient_descent_and_sigma_sets_the_initial_weights():
    X, y = _tiny(32)
    a = Scratch2dCNNClassifier(alpha=0.05, epoch=2, batch_size=8, verbose=False, **SPRINT_NET).fit(X, y)
    b = Scratch2dCNNClassifier(lr=0.05, optimizer="sgd", epochs=2, batch_size=8, verbose=False,
                               **SPRINT_NET).fit(X, y)
    c = Scratch2dCNNClassifier(lr=0.05, epochs=2, batch_size=8, verbose=False, **SPRINT_NET).fit(X, y)
    assert a.loss == b.loss and a.loss != c.loss  # c: Adam
    init = Scratch2dCNNClassifier(sigma=0.02, alpha=1e-12, epoch=1, verbose=False, **SPRINT_NET).fit(X, y)
    weights = np.concatenate([p.data.ravel() for p in init.model_.params() if p.ndim >= 2])
    assert weights.std() == pytest.approx(0.02, rel=0.1)
    lenet = Scratch2dCNNClassifier(sigma=0.02, lr=1e-12, epochs=1, verbose=False).fit(_tiny(8)[0].repeat(4, 2)
                                                                                       .repeat(4, 3), y[:8])
    assert lenet.model_.conv1.W.data.std() == pytest.approx(0.02, rel=0.2)


def test_one_hot_labels_are_labels():
    X, y = _tiny(32)
    a = Scratch2dCNNClassifier(epochs=1, batch_size=8, verbose=False, **SPRINT_NET).fit(X, np.eye(2)[y])
    b = Scratch2dCNNClassifier(epochs=1, batch_size=8, verbose=False, **SPRINT_NET).fit(X, y)
    assert a.loss == b.loss and a.classes_.tolist() == [0, 1]
    assert a.score(X, np.eye(2)[y]) == b.score(X, y)


def test_sprint_parameters_that_contradict_raise():
    X, y = _tiny(8)
    cases = [(dict(epochs=2, epoch=3), "epochs and epoch are the same setting"),
             (dict(lr=0.1, alpha=0.1), "lr and alpha are the same setting"),
             (dict(network=LeNetLike, n_nodes=10), "network= and the sprint's n_nodes both describe"),
             (dict(alpha=-1), "alpha must be a positive number"),
             (dict(sigma=0), "sigma must be a positive number"),
             (dict(epoch=0), "epoch must be a positive int"),
             (dict(filter_size=0), "filter_size must be positive, got 0"),
             (dict(pad=-1), "pad must be non-negative, got -1")]
    for params, message in cases:
        with pytest.raises(ValueError, match=message):
            Scratch2dCNNClassifier(verbose=False, **params).fit(X, y)
    with pytest.raises(TypeError, match="alpha must be a positive number, got '0.1'"):
        Scratch2dCNNClassifier(alpha="0.1").fit(X, y)
    with pytest.raises(TypeError, match=r"stride must be an int or a pair of ints, got 1.5"):
        Scratch2dCNNClassifier(stride=1.5).fit(X, y)


def LeNetLike(num_classes):
    return Sequential(L.Flatten(), L.Linear(num_classes))


def test_repr_shows_the_changed_parameters():
    assert repr(Scratch2dCNNClassifier()) == "Scratch2dCNNClassifier()"
    assert repr(Scratch2dCNNClassifier(alpha=0.03, batch_size=600, epoch=30)) == \
        "Scratch2dCNNClassifier(batch_size=600, alpha=0.03, epoch=30)"


# ----------------------------------------------------------------------------- inside scikit-learn

def test_clone_grid_search_and_cross_val_score():
    sklearn = pytest.importorskip("sklearn")
    from sklearn.base import clone, is_classifier
    from sklearn.model_selection import GridSearchCV, cross_val_score
    X, y = _tiny(48)
    clf = Scratch2dCNNClassifier(alpha=0.3, epoch=3, batch_size=8, verbose=False, **SPRINT_NET)
    assert is_classifier(clf)
    twin = clone(clf)
    assert twin is not clf and twin.get_params() == clf.get_params()
    clf.fit(X, y)
    assert not hasattr(clone(clf), "model_")

    scores = cross_val_score(clf, X, y, cv=3)
    assert scores.shape == (3,) and scores.mean() > 0.8, (scores, sklearn.__version__)  # chance: 0.5
    search = GridSearchCV(clf, {"alpha": [1e-6, 0.3], "n_nodes": [4, 8]}, cv=2).fit(X, y)
    assert len(search.cv_results_["params"]) == 4
    assert search.best_params_["alpha"] == 0.3  # 1e-6 learns nothing in 3 epochs
    assert search.best_estimator_.predict(X).shape == (48,)


def test_scikit_learn_estimator_checks():
    pytest.importorskip("sklearn")
    from sklearn.utils import estimator_checks as checks
    # the checks that do not fit on 2-D feature tables (an image classifier refuses those)
    for name in ("check_no_attributes_set_in_init", "check_get_params_invariance", "check_set_params",
                 "check_parameters_default_constructible", "check_estimator_repr",
                 "check_estimator_cloneable", "check_valid_tag_types",
                 "check_do_not_raise_errors_in_init_or_set_params"):
        check = getattr(checks, name, None)
        if check is not None:  # older scikit-learn lacks some
            check("Scratch2dCNNClassifier", Scratch2dCNNClassifier(verbose=False))
