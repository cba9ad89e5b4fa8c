"""``rkeras.wrappers.scikit_learn``: KerasClassifier / KerasRegressor in scikit-learn tools."""

from __future__ import annotations

import numpy as np
import pytest

from rkeras import backend as K
from rkeras.layers import Dense
from rkeras.models import Sequential
from rkeras.wrappers.scikit_learn import KerasClassifier, KerasRegressor

sklearn = pytest.importorskip("sklearn")
from sklearn.model_selection import GridSearchCV, cross_val_score  # noqa: E402


def build_classifier(units=4, n_classes=3):
    model = Sequential([Dense(units, activation="relu", input_dim=4),
                        Dense(n_classes, activation="softmax")])
    model.compile("adam", "categorical_crossentropy", metrics=["accuracy"])
    return model


def build_binary(units=4):
    model = Sequential([Dense(units, activation="relu", input_dim=4),
                        Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    return model


def build_regressor(units=4):
    model = Sequential([Dense(units, activation="relu", input_dim=4), Dense(1)])
    model.compile("adam", "mse")
    return model


def _data(n=60, seed=0):
    rng = np.random.RandomState(seed)
    x = rng.rand(n, 4).astype("float32")
    return x, np.minimum((x[:, 0] * 3).astype(int), 2)


def test_classifier_params_fit_predict_score(fresh_graph):
    K.set_random_seed(0)
    x, y = _data()
    labels = np.array(["a", "b", "c"])[y]
    clf = KerasClassifier(build_fn=build_classifier, units=8, epochs=30, batch_size=8,
                          verbose=0)
    assert clf.get_params() == {"build_fn": build_classifier, "units": 8, "epochs": 30,
                                "batch_size": 8, "verbose": 0}
    clf.fit(x, labels)
    assert clf.model.layers[0].units == 8 and list(clf.classes_) == ["a", "b", "c"]
    pred = clf.predict(x)
    assert set(pred) <= {"a", "b", "c"}
    proba = clf.predict_proba(x)
    assert proba.shape == (60, 3)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-5)
    score = clf.score(x, labels)
    np.testing.assert_allclose(score, np.mean(pred == labels), atol=1e-6)
    assert clf.set_params(units=2) is clf and clf.sk_params["units"] == 2
    with pytest.raises(ValueError, match="nonsense is not a legal parameter"):
        clf.set_params(nonsense=1)


def test_binary_classifier_proba_has_two_columns(fresh_graph):
    x, y = _data()
    clf = KerasClassifier(build_fn=build_binary, epochs=2, verbose=0)
    clf.fit(x, (y > 0).astype(int))
    assert clf.predict_proba(x).shape == (60, 2)


def test_score_needs_accuracy(fresh_graph):
    def no_metrics():
        model = Sequential([Dense(3, activation="softmax", input_dim=4)])
        model.compile("sgd", "categorical_crossentropy")
        return model

    x, y = _data()
    clf = KerasClassifier(build_fn=no_metrics, epochs=1, verbose=0)
    clf.fit(x, y)
    with pytest.raises(ValueError, match="not configured to compute accuracy"):
        clf.score(x, y)


def test_regressor(fresh_graph):
    x, _ = _data()
    target = x[:, 0] * 2.0 - x[:, 1]
    reg = KerasRegressor(build_fn=build_regressor, units=8, epochs=5, verbose=0)
    reg.fit(x, target)
    assert reg.predict(x).shape == (60,)
    assert reg.score(x, target) <= 0.0
    scores = cross_val_score(reg, x, target, cv=2)
    assert scores.shape == (2,) and np.isfinite(scores).all()


def test_grid_search_over_epochs_and_units(fresh_graph):
    K.set_random_seed(1)
    x, y = _data()
    clf = KerasClassifier(build_fn=build_classifier, batch_size=8, verbose=0)
    grid = GridSearchCV(clf, {"epochs": [1, 3], "units": [2, 6]}, cv=2)
    grid.fit(x, y)
    assert set(grid.best_params_) == {"epochs", "units"}
    assert len(grid.cv_results_["mean_test_score"]) == 4
    assert 0.0 <= grid.best_score_ <= 1.0
    assert grid.predict(x[:5]).shape == (5,)


def test_callable_object_build_fn(fresh_graph):
    class Builder:
        def __call__(self, units=3):
            return build_regressor(units)

    reg = KerasRegressor(build_fn=Builder(), units=5, epochs=1, verbose=0)
    reg.fit(*_data())
    assert reg.model.layers[0].units == 5
