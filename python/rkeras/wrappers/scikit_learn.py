"""Wrappers for the scikit-learn API (Keras 2's ``keras.wrappers.scikit_learn``).

``KerasClassifier(build_fn=None, **sk_params)`` and ``KerasRegressor(build_fn=None,
**sk_params)``: `build_fn` builds and compiles a model; `sk_params` holds both the arguments
of `build_fn` and those of ``fit``/``predict``/``evaluate`` (``epochs``, ``batch_size``, ...),
each passed where it is accepted. A new model is built on every ``fit``, so scikit-learn tools
(``GridSearchCV``, ``cross_val_score``) can tune the model's and the training's parameters.

>>> from rkeras.layers import Dense
>>> from rkeras.models import Sequential
>>> def build(units=4):
...     model = Sequential([Dense(units, activation="relu", input_dim=2),
...                         Dense(1, activation="sigmoid")])
...     model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
...     return model
>>> clf = KerasClassifier(build_fn=build, units=8, epochs=2, verbose=0)
>>> sorted(clf.get_params())
['build_fn', 'epochs', 'units', 'verbose']
"""

from __future__ import annotations

import copy
import types
from typing import Any, Callable, Optional

import numpy as np

from rkeras.engine.base_layer import has_arg
from rkeras.engine.sequential import Sequential
from rkeras.utils.np_utils import to_categorical


def _loss_name(model: Any) -> Any:
    loss = getattr(model, "loss", None)
    if loss is None:
        loss = model.__dict__.get("_loss_spec")
    return getattr(loss, "__name__", loss)


class BaseWrapper:
    """Base class of the scikit-learn wrappers (Keras 2's ``BaseWrapper``).

    Subclass it and implement ``__call__`` to build the model when `build_fn` is ``None``.
    """

    def __init__(self, build_fn: Optional[Callable] = None, **sk_params: Any) -> None:
        self.build_fn = build_fn
        self.sk_params = sk_params
        self.check_params(sk_params)

    def check_params(self, params: dict) -> None:
        """Raises ``ValueError`` for a parameter that neither `build_fn` nor ``fit``,
        ``predict``, ``predict_classes`` or ``evaluate`` takes."""
        legal_params_fns = [Sequential.fit, Sequential.predict, Sequential.predict_classes,
                            Sequential.evaluate]
        if self.build_fn is None:
            legal_params_fns.append(self.__call__)
        elif not isinstance(self.build_fn, (types.FunctionType, types.MethodType)):
            legal_params_fns.append(self.build_fn.__call__)
        else:
            legal_params_fns.append(self.build_fn)
        for params_name in params:
            for fn in legal_params_fns:
                if has_arg(fn, params_name):
                    break
            else:
                if params_name != "nb_epoch":
                    raise ValueError(f"{params_name} is not a legal parameter")

    def get_params(self, **params: Any) -> dict:
        """The parameters: `sk_params` and `build_fn` (scikit-learn's ``get_params``)."""
        res = copy.deepcopy(self.sk_params)
        res.update({"build_fn": self.build_fn})
        return res

    def set_params(self, **params: Any) -> "BaseWrapper":
        """Updates `sk_params` (checked as in the constructor); returns the wrapper."""
        self.check_params(params)
        self.sk_params.update(params)
        return self

    def _build(self) -> Any:
        if self.build_fn is None:
            return self.__call__(**self.filter_sk_params(self.__call__))
        if not isinstance(self.build_fn, (types.FunctionType, types.MethodType)):
            return self.build_fn(**self.filter_sk_params(self.build_fn.__call__))
        return self.build_fn(**self.filter_sk_params(self.build_fn))

    def fit(self, x: Any, y: Any, **kwargs: Any) -> Any:
        """Builds a new model with `build_fn` and trains it; returns the ``History``."""
        self.model = self._build()
        y = np.asarray(y)
        if _loss_name(self.model) == "categorical_crossentropy" and len(y.shape) != 2:
            y = to_categorical(y)
        fit_args = copy.deepcopy(self.filter_sk_params(Sequential.fit))
        fit_args.update(kwargs)
        return self.model.fit(x, y, **fit_args)

    def filter_sk_params(self, fn: Callable, override: Optional[dict] = None) -> dict:
        """The entries of `sk_params` that `fn` takes, updated with `override`."""
        override = override or {}
        res = {}
        for name, value in self.sk_params.items():
            if has_arg(fn, name):
                res.update({name: value})
        res.update(override)
        return res

    # scikit-learn >= 1.6 reads an estimator's tags from this method.
    def __sklearn_tags__(self) -> Any:
        from sklearn.utils import Tags, TargetTags

        tags = Tags(estimator_type=getattr(self, "_estimator_type", None),
                    target_tags=TargetTags(required=True))
        return tags


class KerasClassifier(BaseWrapper):
    """scikit-learn classifier around a Keras model (Keras 2's ``KerasClassifier``)."""

    _estimator_type = "classifier"

    def fit(self, x: Any, y: Any, sample_weight: Any = None, **kwargs: Any) -> Any:
        """Trains on `x` and class labels `y` (any labels, or one-hot rows)."""
        y = np.array(y)
        if len(y.shape) == 2 and y.shape[1] > 1:
            self.classes_ = np.arange(y.shape[1])
        elif (len(y.shape) == 2 and y.shape[1] == 1) or len(y.shape) == 1:
            self.classes_ = np.unique(y)
            y = np.searchsorted(self.classes_, y)
        else:
            raise ValueError("Invalid shape for y: " + str(y.shape))
        self.n_classes_ = len(self.classes_)
        if sample_weight is not None:
            kwargs["sample_weight"] = sample_weight
        return super().fit(x, y, **kwargs)

    def predict(self, x: Any, **kwargs: Any) -> np.ndarray:
        """Predicted class labels."""
        kwargs = self.filter_sk_params(Sequential.predict_classes, kwargs)
        classes = self.model.predict_classes(x, **kwargs)
        return self.classes_[classes]

    def predict_proba(self, x: Any, **kwargs: Any) -> np.ndarray:
        """Class probabilities, shape ``(n_samples, n_classes)`` (two columns for a single
        sigmoid output)."""
        kwargs = self.filter_sk_params(Sequential.predict_proba, kwargs)
        probs = self.model.predict_proba(x, **kwargs)
        if probs.shape[1] == 1:
            probs = np.hstack([1 - probs, probs])
        return probs

    def score(self, x: Any, y: Any, **kwargs: Any) -> float:
        """The accuracy on `x`, `y` (the model must be compiled with ``metrics=['accuracy']``)."""
        y = np.searchsorted(self.classes_, y)
        kwargs = self.filter_sk_params(Sequential.evaluate, kwargs)
        if _loss_name(self.model) == "categorical_crossentropy" and len(y.shape) != 2:
            y = to_categorical(y)
        outputs = self.model.evaluate(x, y, **kwargs)
        if not isinstance(outputs, list):
            outputs = [outputs]
        for name, output in zip(self.model.metrics_names, outputs):
            if name in ["accuracy", "acc"]:
                return output
        raise ValueError("The model is not configured to compute accuracy. You should pass "
                         '`metrics=["accuracy"]` to the `model.compile()` method.')


class KerasRegressor(BaseWrapper):
    """scikit-learn regressor around a Keras model (Keras 2's ``KerasRegressor``)."""

    _estimator_type = "regressor"

    def predict(self, x: Any, **kwargs: Any) -> np.ndarray:
        """Predictions (the last axis squeezed)."""
        kwargs = self.filter_sk_params(Sequential.predict, kwargs)
        return np.squeeze(self.model.predict(x, **kwargs), axis=-1)

    def score(self, x: Any, y: Any, **kwargs: Any) -> float:
        """Minus the loss on `x`, `y` (higher is better, as scikit-learn expects)."""
        kwargs = self.filter_sk_params(Sequential.evaluate, kwargs)
        loss = self.model.evaluate(x, y, **kwargs)
        if isinstance(loss, list):
            return -loss[0]
        return -loss
