"""scikit-learn's estimator protocol without depending on scikit-learn: parameters read from __init__'s
signature (get_params / set_params, so `sklearn.base.clone` works), a repr of the changed parameters,
and the tags that GridSearchCV and cross_val_score ask for when scikit-learn is installed.
"""
import inspect


class NotFittedError(ValueError, AttributeError):
    """An estimator was used before `fit` (like scikit-learn's NotFittedError)."""


class ClassifierProtocol:
    """Base of minigrad's scikit-learn style classifiers.  A subclass's __init__ stores every argument
    unchanged under its own name (scikit-learn's rule, which `clone` checks) and `fit` sets `model_`."""

    _estimator_type = "classifier"  # how scikit-learn < 1.6 tells a classifier (is_classifier)

    @classmethod
    def _param_names(cls):
        sig = inspect.signature(cls.__init__)
        return [p.name for p in sig.parameters.values() if p.name != "self"]

    def get_params(self, deep=True):
        """The __init__ arguments as a dict (`deep` is accepted for scikit-learn; nothing nests)."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self, **params):
        names = self._param_names()
        for name, value in params.items():
            if name not in names:
                raise ValueError(f"{type(self).__name__}.set_params: unknown parameter {name!r} "
                                 f"(valid: {', '.join(names)})")
            setattr(self, name, value)
        return self

    def __repr__(self):
        # Like scikit-learn: only the parameters that differ from their defaults.
        defaults = {p.name: p.default for p in inspect.signature(type(self).__init__).parameters.values()}
        def is_default(k, v):
            d = defaults.get(k)
            return v is d or (type(v) is type(d) and v == d)
        changed = [f"{k}={v!r}" for k, v in self.get_params().items() if not is_default(k, v)]
        return f"{type(self).__name__}({', '.join(changed)})"

    def __sklearn_tags__(self):
        """Tags for scikit-learn >= 1.6 (called only by scikit-learn, so the import cannot fail): a
        classifier that needs y and takes images, not 2-D feature tables."""
        from sklearn.utils import ClassifierTags, InputTags, Tags, TargetTags
        return Tags(estimator_type="classifier", target_tags=TargetTags(required=True),
                    classifier_tags=ClassifierTags(), input_tags=InputTags(two_d_array=False, three_d_array=True))

    def __sklearn_is_fitted__(self):
        return hasattr(self, "model_")

    def _check_fitted(self, method):
        if not hasattr(self, "model_"):
            raise NotFittedError(f"{type(self).__name__}.{method}: this {type(self).__name__} instance is "
                                 "not fitted yet; call fit(X, y) first")
