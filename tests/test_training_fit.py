"""Model training API (Keras 2): compile, fit, evaluate, predict, the batch variants,
generators, callbacks driven by real fits, seeding, and the Keras 2 console output."""

from __future__ import annotations

import csv
import re

import numpy as np
import pytest

import rkeras as keras
from rkeras import backend as K
from rkeras import callbacks as cbs
from rkeras.layers import Dense, Dropout, Input
from rkeras.models import Model, Sequential


@pytest.fixture(autouse=True)
def _fresh(fresh_graph):
    keras.utils.set_random_seed(0)  # weight initialization, dropout and shuffling repeatable
    yield


def _data(rng, n=40, d=3, k=2):
    x = rng.normal(size=(n, d)).astype("float32")
    y = rng.normal(size=(n, k)).astype("float32")
    return x, y


def _linear(d=3, k=2, lr=0.1, loss="mse", metrics=None, **dense_kwargs):
    m = Sequential([Dense(k, input_shape=(d,), **dense_kwargs)])
    m.compile(keras.optimizers.SGD(lr=lr), loss, metrics=metrics)
    return m


def _softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _same(a, b):
    return all(np.array_equal(p, q) for p, q in zip(a, b))


# ---------------------------------------------------------------------------- learning


def test_mlp_learns_separable_problem(rng):
    x = rng.normal(size=(128, 4)).astype("float32")
    y = (x[:, 0] + x[:, 1] > 0).astype("float32")
    m = Sequential([Dense(16, activation="relu", input_shape=(4,)),
                    Dense(1, activation="sigmoid")])
    m.compile(keras.optimizers.Adam(lr=0.01), "binary_crossentropy", metrics=["acc"])
    h = m.fit(x, y, epochs=40, batch_size=16, verbose=0)
    assert h.history["acc"][-1] > 0.9
    assert h.history["loss"][-1] < h.history["loss"][0]
    loss, acc = m.evaluate(x, y, verbose=0)
    assert acc > 0.9 and loss < 0.4


def test_history_keys_and_lengths(rng):
    x, y = _data(rng)
    m = _linear(metrics=["mae"])
    h = m.fit(x, y, epochs=3, batch_size=8, validation_split=0.25, verbose=0)
    assert isinstance(h, cbs.History) and m.history is h
    assert h.epoch == [0, 1, 2]
    assert list(h.history) == ["loss", "mae", "val_loss", "val_mae"]
    assert all(len(v) == 3 and all(isinstance(f, float) for f in v)
               for v in h.history.values())


def test_nb_epoch_and_initial_epoch(rng):
    x, y = _data(rng)
    m = _linear()
    assert m.fit(x, y, nb_epoch=3, verbose=0).epoch == [0, 1, 2]
    h = m.fit(x, y, epochs=4, initial_epoch=2, verbose=0)
    assert h.epoch == [2, 3] and len(h.history["loss"]) == 2


def test_lr_spelling_and_get_value():
    m = _linear(lr=0.123)
    assert float(K.get_value(m.optimizer.lr)) == pytest.approx(0.123)


# ---------------------------------------------------------------------------- output


def test_verbose2_format(rng, capsys):
    x, y = _data(rng)
    m = _linear(metrics=["mae"])
    m.fit(x, y, epochs=2, batch_size=8, validation_split=0.25, verbose=2)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Train on 30 samples, validate on 10 samples"
    assert out[1] == "Epoch 1/2"
    line = r" - \d+s - loss: \d\.\d{4} - mae: \d\.\d{4} - val_loss: \d\.\d{4} - val_mae: \d\.\d{4}"
    assert re.fullmatch(line, out[2]), out[2]
    assert out[3] == "Epoch 2/2"
    assert re.fullmatch(line, out[4]), out[4]
    assert len(out) == 5


def test_verbose1_final_line(rng, capsys):
    x, y = _data(rng)
    m = _linear(metrics=["mae"])
    m.fit(x, y, epochs=1, batch_size=8, verbose=1)
    out = capsys.readouterr().out
    assert out.startswith("Epoch 1/1\n")
    last = out.rstrip("\n").split("\n")[-1].split("\r")[-1].lstrip("\b")
    assert re.fullmatch(r"40/40 \[={30}\] - \d+s \d+(us|ms|s)/step - loss: \d\.\d{4} "
                        r"- mae: \d\.\d{4}", last), last


def test_verbose0_is_silent(rng, capsys):
    x, y = _data(rng)
    m = _linear()
    m.fit(x, y, epochs=2, verbose=0, validation_split=0.2)
    m.evaluate(x, y, verbose=0)
    m.predict(x)
    assert capsys.readouterr().out == ""


# ---------------------------------------------------------------------------- validation


def test_validation_split_takes_last_fraction(rng):
    x, y = _data(rng)
    m = _linear(lr=0.0, metrics=["mae"])  # lr 0: the weights stay, val metrics predictable
    h = m.fit(x, y, epochs=1, validation_split=0.25, verbose=0, shuffle=True)
    val_loss, val_mae = m.evaluate(x[30:], y[30:], verbose=0)
    assert h.history["val_loss"][0] == pytest.approx(val_loss, rel=1e-5)
    assert h.history["val_mae"][0] == pytest.approx(val_mae, rel=1e-5)
    train_loss, _ = m.evaluate(x[:30], y[:30], verbose=0)
    assert h.history["loss"][0] == pytest.approx(train_loss, rel=1e-5)


def test_validation_data_with_sample_weights(rng):
    x, y = _data(rng)
    sw = rng.uniform(size=40)
    m = _linear(lr=0.0)
    W, b = m.get_weights()
    h = m.fit(x, y, epochs=1, validation_data=(x, y, sw), verbose=0)
    ref = float((((x @ W + b - y) ** 2).mean(-1) * sw).mean())
    assert h.history["val_loss"][0] == pytest.approx(ref, rel=1e-5)
    assert m.evaluate(x, y, sample_weight=sw, verbose=0) == pytest.approx(ref, rel=1e-5)


# ---------------------------------------------------------------------------- weighting


def test_sample_weight_loss_matches_numpy(rng):
    x, y = _data(rng)
    sw = rng.uniform(size=40).astype("float32")
    m = _linear()
    W, b = m.get_weights()
    ref = float((((x @ W + b - y) ** 2).mean(-1) * sw).sum() / 40)
    assert m.test_on_batch(x, y, sample_weight=sw) == pytest.approx(ref, rel=1e-5)
    # train_on_batch reports the loss before its update
    assert m.train_on_batch(x, y, sample_weight=sw) == pytest.approx(ref, rel=1e-5)
    assert not _same(m.get_weights(), [W, b])


def test_class_weight_loss_matches_numpy(rng):
    x, _ = _data(rng)
    labels = rng.integers(0, 3, 40)
    y = keras.utils.to_categorical(labels, 3)
    m = Sequential([Dense(3, activation="softmax", input_shape=(3,))])
    m.compile("sgd", "categorical_crossentropy", metrics=["acc"])
    W, b = m.get_weights()
    cw = {0: 1.0, 1: 2.0, 2: 0.5}
    p = _softmax(x @ W + b)
    ce = -(y * np.log(p)).sum(1)
    w = np.array([cw[c] for c in labels])
    loss, acc = m.train_on_batch(x, y, class_weight=cw)
    assert loss == pytest.approx(float((ce * w).sum() / 40), rel=1e-5)
    assert acc == pytest.approx(float((p.argmax(1) == labels).mean()))


def test_class_weight_in_fit_changes_training(rng):
    x, _ = _data(rng)
    y = (rng.uniform(size=(40, 1)) > 0.5).astype("float32")

    def run(cw):
        keras.utils.set_random_seed(3)
        K.clear_session()
        m = Sequential([Dense(1, activation="sigmoid", input_shape=(3,))])
        m.compile("sgd", "binary_crossentropy")
        return m.fit(x, y, epochs=1, verbose=0, class_weight=cw).history["loss"][0]

    assert run(None) == pytest.approx(run({0: 1.0, 1: 1.0}), rel=1e-6)
    assert run({0: 1.0, 1: 5.0}) > run(None)


def test_kernel_regularizer_adds_to_loss(rng):
    x, y = _data(rng)
    m = _linear(kernel_regularizer="l2")
    W, b = m.get_weights()
    ref = float(((x @ W + b - y) ** 2).mean() + 0.01 * (W ** 2).sum())
    assert m.test_on_batch(x, y) == pytest.approx(ref, rel=1e-5)


@pytest.mark.parametrize("constraint,check", [
    (lambda: keras.constraints.non_neg(), lambda W: W.min() >= 0.0),
    (lambda: keras.constraints.max_norm(0.5),
     lambda W: np.sqrt((W ** 2).sum(axis=0)).max() <= 0.5 + 1e-5),
])
def test_kernel_constraint_holds_after_training(rng, constraint, check):
    x, y = _data(rng)
    m = _linear(lr=0.5, kernel_constraint=constraint())
    m.fit(x, -np.abs(y) * 10, epochs=3, batch_size=8, verbose=0)
    assert check(m.get_weights()[0])


# ---------------------------------------------------------------------------- evaluate / predict


def test_evaluate_scalar_or_list(rng):
    x, y = _data(rng)
    m = _linear()
    assert m.metrics_names == ["loss"]
    assert isinstance(m.evaluate(x, y, verbose=0), float)
    m.compile("sgd", "mse", metrics=["mae", "acc"])
    assert m.metrics_names == ["loss", "mae", "acc"]
    res = m.evaluate(x, y, verbose=0)
    assert isinstance(res, list) and len(res) == 3
    W, b = m.get_weights()
    assert res[1] == pytest.approx(float(np.abs(x @ W + b - y).mean()), rel=1e-5)
    assert m.evaluate(x, y, verbose=0, return_dict=True).keys() == {"loss", "mae", "acc"}


def test_predict_shapes_and_batch_independence(rng):
    x, _ = _data(rng, n=50)
    m = Sequential([Dense(8, activation="tanh", input_shape=(3,)), Dropout(0.5), Dense(2)])
    m.compile("sgd", "mse")
    a = m.predict(x, batch_size=7)
    b = m.predict(x, batch_size=64)
    assert a.shape == (50, 2)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(m.predict_on_batch(x), a, rtol=1e-6, atol=1e-6)
    W1, b1, W2, b2 = m.get_weights()
    np.testing.assert_allclose(a, np.tanh(x @ W1 + b1) @ W2 + b2, rtol=1e-5, atol=1e-5)


def test_predict_classes_and_proba(rng):
    x, _ = _data(rng)
    m = Sequential([Dense(3, activation="softmax", input_shape=(3,))])
    m.compile("sgd", "categorical_crossentropy")
    proba = m.predict_proba(x)
    np.testing.assert_allclose(proba.sum(1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(m.predict_classes(x), proba.argmax(-1))
    mb = Sequential([Dense(1, activation="sigmoid", input_shape=(3,))])
    mb.compile("sgd", "binary_crossentropy")
    classes = mb.predict_classes(x)
    assert classes.shape == (40, 1)
    np.testing.assert_array_equal(classes, (mb.predict(x) > 0.5).astype("int32"))


# ---------------------------------------------------------------------------- multi-io


def _two_io_model():
    a = Input((3,), name="a")
    b = Input((2,), name="b")
    h = keras.layers.concatenate([a, b])
    o1 = Dense(1, activation="sigmoid")(h)
    o2 = Dense(3, activation="softmax")(h)
    return Model([a, b], [o1, o2])


def test_multi_input_multi_output(rng):
    x1, x2 = rng.normal(size=(40, 3)), rng.normal(size=(40, 2))
    y1 = (rng.uniform(size=(40, 1)) > 0.5).astype("float32")
    y2 = keras.utils.to_categorical(rng.integers(0, 3, 40), 3)
    m = _two_io_model()
    n1, n2 = m.output_names
    m.compile("sgd", loss={n1: "binary_crossentropy", n2: "categorical_crossentropy"},
              loss_weights=[0.5, 2.0], metrics=["acc"])
    assert m.metrics_names == ["loss", f"{n1}_loss", f"{n2}_loss", f"{n1}_acc", f"{n2}_acc"]
    assert n2 == "dense_2"
    r = m.test_on_batch([x1, x2], [y1, y2])
    assert r[0] == pytest.approx(0.5 * r[1] + 2.0 * r[2], rel=1e-5)
    assert m.evaluate({"a": x1, "b": x2}, {n1: y1, n2: y2}, verbose=0) == pytest.approx(r)
    h = m.fit([x1, x2], [y1, y2], epochs=2, verbose=0, validation_split=0.25)
    assert list(h.history) == m.metrics_names + [f"val_{k}" for k in m.metrics_names]
    p1, p2 = m.predict([x1, x2])
    assert p1.shape == (40, 1) and p2.shape == (40, 3)


def test_multi_output_loss_list_and_per_output_sample_weight(rng):
    x1, x2 = rng.normal(size=(20, 3)), rng.normal(size=(20, 2))
    y1 = (rng.uniform(size=(20, 1)) > 0.5).astype("float32")
    y2 = keras.utils.to_categorical(rng.integers(0, 3, 20), 3)
    m = _two_io_model()
    m.compile("sgd", loss=["binary_crossentropy", "categorical_crossentropy"])
    base = m.test_on_batch([x1, x2], [y1, y2])
    zero_second = m.test_on_batch([x1, x2], [y1, y2],
                                  sample_weight=[np.ones(20), np.zeros(20)])
    assert zero_second[1] == pytest.approx(base[1], rel=1e-6)
    assert zero_second[2] == 0.0
    assert zero_second[0] == pytest.approx(base[1], rel=1e-5)


# ---------------------------------------------------------------------------- callbacks


def test_early_stopping_stops_and_restores(rng, capsys):
    x, y = _data(rng)
    m = _linear()
    seen = []
    rec = cbs.LambdaCallback(on_epoch_end=lambda epoch, logs: seen.append(m.get_weights()))
    es = cbs.EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True, verbose=1)
    h = m.fit(x, y, validation_data=(x, -y), epochs=30, verbose=0, callbacks=[rec, es])
    n = len(h.epoch)
    assert 3 <= n < 30 and es.stopped_epoch == n - 1
    best = int(np.argmin(h.history["val_loss"]))
    assert best == n - 3
    assert _same(m.get_weights(), seen[best])
    assert f"Epoch {n:05d}: early stopping" in capsys.readouterr().out


def test_reduce_lr_on_plateau(rng):
    x, y = _data(rng)
    m = _linear(lr=0.1)
    rl = cbs.ReduceLROnPlateau(monitor="loss", factor=0.5, patience=0, min_delta=100.0)
    h = m.fit(x, y, epochs=3, verbose=0, callbacks=[rl])
    assert float(K.get_value(m.optimizer.lr)) == pytest.approx(0.025)
    assert [float(v) for v in h.history["lr"]] == pytest.approx([0.1, 0.1, 0.05])


def test_learning_rate_scheduler_is_used_by_training(rng):
    x, y = _data(rng)
    m = _linear(lr=0.1)
    sched = cbs.LearningRateScheduler(lambda epoch: 0.0 if epoch >= 1 else 0.1)
    w = []
    rec = cbs.LambdaCallback(on_epoch_end=lambda epoch, logs: w.append(m.get_weights()))
    m.fit(x, y, epochs=3, verbose=0, callbacks=[sched, rec])
    assert float(K.get_value(m.optimizer.lr)) == 0.0
    assert _same(w[1], w[2])  # lr 0 in epochs 1 and 2: no change


def test_csv_logger(rng, tmp_path):
    x, y = _data(rng)
    m = _linear(metrics=["mae"])
    path = tmp_path / "log.csv"
    h = m.fit(x, y, epochs=2, verbose=0, validation_split=0.25,
              callbacks=[cbs.CSVLogger(str(path))])
    rows = list(csv.DictReader(open(path)))
    assert list(rows[0]) == ["epoch", "loss", "mae", "val_loss", "val_mae"]
    assert [int(r["epoch"]) for r in rows] == [0, 1]
    assert float(rows[1]["val_loss"]) == pytest.approx(h.history["val_loss"][1], rel=1e-6)


def test_terminate_on_nan_stops_at_nan_batch(rng, capsys):
    x, y = _data(rng)
    x[9] = np.nan  # batch 2 of size 4 (samples 8..11), no shuffling
    m = _linear()
    batches = []
    rec = cbs.LambdaCallback(on_batch_end=lambda batch, logs: batches.append(batch))
    h = m.fit(x, y, epochs=5, batch_size=4, shuffle=False, verbose=0,
              callbacks=[cbs.TerminateOnNaN(), rec])
    assert batches == [0, 1, 2]
    assert h.epoch == [0] and np.isnan(h.history["loss"][0])
    assert "Batch 2: Invalid loss, terminating training" in capsys.readouterr().out


def test_terminate_on_nan_huge_learning_rate(rng):
    x, y = _data(rng)
    m = _linear(lr=1e30)
    h = m.fit(x * 1e10, y, epochs=5, batch_size=4, verbose=0,
              callbacks=[cbs.TerminateOnNaN()])
    assert len(h.epoch) == 1


def test_batch_callbacks_get_sizes_and_logs(rng):
    x, y = _data(rng)
    m = _linear(metrics=["mae"])
    got = []

    class Rec(cbs.Callback):
        def on_batch_end(self, batch, logs=None):
            got.append((batch, dict(logs)))

    m.fit(x, y, batch_size=16, epochs=1, verbose=0, callbacks=[Rec()])
    assert [(b, lg["size"]) for b, lg in got] == [(0, 16), (1, 16), (2, 8)]
    assert all({"loss", "mae"} <= set(lg) for _, lg in got)


def test_lambda_callback_positional_batch_args(rng):
    x, y = _data(rng)
    m = _linear()
    calls = []
    m.fit(x, y, batch_size=20, epochs=1, verbose=0,
          callbacks=[cbs.LambdaCallback(on_batch_end=lambda b, lg: calls.append(b))])
    assert calls == [0, 1]


# ---------------------------------------------------------------------------- generators


class _Seq(keras.utils.Sequence):
    def __init__(self, x, y, bs=8):
        self.x, self.y, self.bs, self.ends, self.seen = x, y, bs, 0, []

    def __len__(self):
        return int(np.ceil(len(self.x) / self.bs))

    def __getitem__(self, i):
        self.seen.append(i)
        return self.x[i * self.bs:(i + 1) * self.bs], self.y[i * self.bs:(i + 1) * self.bs]

    def on_epoch_end(self):
        self.ends += 1


def _gen(x, y, bs=8):
    while True:
        for i in range(0, len(x), bs):
            yield x[i:i + bs], y[i:i + bs]


def test_fit_generator_keeps_python_generator_across_epochs(rng):
    x, y = _data(rng)
    m = _linear(metrics=["mae"])
    h = m.fit_generator(_gen(x, y), steps_per_epoch=5, epochs=3, verbose=0,
                        validation_data=(x, y))
    assert h.epoch == [0, 1, 2]
    assert all(len(v) == 3 for v in h.history.values())
    assert h.history["loss"][2] < h.history["loss"][0]
    assert h.history["val_loss"][-1] == pytest.approx(m.evaluate(x, y, verbose=0)[0], rel=1e-5)


def test_fit_with_generator_and_steps_per_epoch(rng, capsys):
    x, y = _data(rng)
    m = _linear()
    m.fit(_gen(x, y), steps_per_epoch=5, epochs=2, verbose=2)
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Epoch 1/2" and out[2] == "Epoch 2/2"
    assert re.fullmatch(r" - \d+s - loss: \d\.\d{4}", out[3])


def test_sequence_fit_evaluate_predict(rng):
    x, y = _data(rng)
    m = _linear(metrics=["mae"])
    seq = _Seq(x, y)
    h = m.fit(seq, epochs=2, verbose=0)
    assert h.epoch == [0, 1] and seq.ends == 2
    assert sorted(seq.seen) == sorted(list(range(5)) * 2)
    ev = m.evaluate_generator(_Seq(x, y))
    assert ev == pytest.approx(m.evaluate(x, y, verbose=0), rel=1e-5)
    assert m.evaluate(_Seq(x, y), verbose=0) == pytest.approx(ev)
    np.testing.assert_allclose(m.predict_generator(_Seq(x, y)), m.predict(x), rtol=1e-6)
    np.testing.assert_allclose(m.predict_generator(_gen(x, y), steps=5), m.predict(x),
                               rtol=1e-6)


def test_generator_requires_steps(rng):
    x, y = _data(rng)
    m = _linear()
    with pytest.raises(ValueError, match="steps_per_epoch"):
        m.fit_generator(_gen(x, y), epochs=1, verbose=0)


# ---------------------------------------------------------------------------- seeding


def _seeded_run(x, y, seed):
    keras.utils.set_random_seed(seed)
    K.clear_session()
    m = Sequential([Dense(16, activation="relu", input_shape=(3,)), Dropout(0.5), Dense(2)])
    m.compile("adam", "mse")
    h = m.fit(x, y, epochs=3, batch_size=8, verbose=0, shuffle=True)
    return m.get_weights(), h.history["loss"]


def test_set_random_seed_makes_runs_identical(rng):
    x, y = _data(rng)
    w1, l1 = _seeded_run(x, y, 7)
    w2, l2 = _seeded_run(x, y, 7)
    assert _same(w1, w2) and l1 == l2
    w3, l3 = _seeded_run(x, y, 8)
    assert not _same(w1, w3)


def test_shuffle_false_is_deterministic_order(rng):
    x, y = _data(rng)
    m = _linear()
    w0 = m.get_weights()
    m.fit(x, y, epochs=1, batch_size=8, shuffle=False, verbose=0)
    w_fit = m.get_weights()
    m.set_weights(w0)
    for i in range(0, 40, 8):
        m.train_on_batch(x[i:i + 8], y[i:i + 8])
    for a, b in zip(w_fit, m.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------------------- errors


def test_fit_before_compile():
    m = Sequential([Dense(2, input_shape=(3,))])
    with pytest.raises(RuntimeError, match="compile"):
        m.fit(np.zeros((4, 3)), np.zeros((4, 2)), verbose=0)
    with pytest.raises(RuntimeError, match="compile"):
        m.evaluate(np.zeros((4, 3)), np.zeros((4, 2)), verbose=0)


@pytest.mark.parametrize("case", ["shape", "target_shape", "length", "empty", "non_numeric",
                                  "val_shape", "sw_length", "val_split"])
def test_bad_data_raises_and_changes_nothing(rng, case):
    x, y = _data(rng)
    m = _linear()
    m.fit(x, y, epochs=1, verbose=0)
    before = m.get_weights()
    lr_before = float(K.get_value(m.optimizer.lr))
    call = {
        "shape": (lambda: m.fit(x[:, :2], y, verbose=0), ValueError,
                  r"dense_1_input.*\(3,\).*\(2,\)"),
        "target_shape": (lambda: m.fit(x, y[:, :1].repeat(3, 1), verbose=0), ValueError,
                         r"dense_1.*\(2,\).*\(3,\)"),
        "length": (lambda: m.fit(x, y[:30], verbose=0), ValueError, "40.*30"),
        "empty": (lambda: m.fit(x[:0], y[:0], verbose=0), ValueError, "empty"),
        "non_numeric": (lambda: m.fit(np.array([["a", "b", "c"]] * 40), y, verbose=0),
                        TypeError, "numeric"),
        "val_shape": (lambda: m.fit(x, y, validation_data=(x[:, :2], y), verbose=0),
                      ValueError, "dense_1_input"),
        "sw_length": (lambda: m.fit(x, y, sample_weight=np.ones(10), verbose=0), ValueError,
                      "sample_weight"),
        "val_split": (lambda: m.fit(x, y, validation_split=1.5, verbose=0), ValueError,
                      "validation_split"),
    }[case]
    fn, exc, pattern = call
    with pytest.raises(exc, match=pattern):
        fn()
    assert _same(m.get_weights(), before)
    assert float(K.get_value(m.optimizer.lr)) == lr_before
    m.fit(x, y, epochs=1, verbose=0)  # still usable


@pytest.mark.parametrize("kwargs,pattern", [
    ({"optimizer": "sgdd", "loss": "mse"}, "sgdd.*adam"),
    ({"optimizer": "adam", "loss": "msee"}, "msee.*mean_squared_error"),
    ({"optimizer": "adam", "loss": "mse", "metrics": ["accc"]}, "accc.*binary_accuracy"),
    ({"optimizer": "adam", "loss": {"nope": "mse"}}, "nope"),
])
def test_bad_compile_raises_and_keeps_previous_compile(rng, kwargs, pattern):
    x, y = _data(rng)
    m = _linear(lr=0.05, metrics=["mae"])
    ref = m.evaluate(x, y, verbose=0)
    opt = m.optimizer
    with pytest.raises(ValueError, match=pattern):
        m.compile(**kwargs)
    assert m.optimizer is opt
    assert m.metrics_names == ["loss", "mae"]
    assert m.evaluate(x, y, verbose=0) == pytest.approx(ref)
    m.fit(x, y, epochs=1, verbose=0)


def test_unknown_activation_lists_valid():
    with pytest.raises(ValueError, match="relux.*relu"):
        Dense(2, activation="relux")


def test_nan_loss_is_reported_in_logs(rng, capsys):
    x, y = _data(rng)
    x[0] = np.nan
    m = _linear()
    h = m.fit(x, y, epochs=1, verbose=2)
    assert np.isnan(h.history["loss"][0])
    assert "loss: nan" in capsys.readouterr().out


def test_wrong_ndim_and_unknown_fit_kwarg(rng):
    x, y = _data(rng)
    m = _linear()
    with pytest.raises(ValueError, match=r"dense_1_input to have 2 dimensions.*\(40,\)"):
        m.fit(x[:, 0], y, verbose=0)
    with pytest.raises(TypeError, match="Unrecognized keyword arguments: {'epoch': 3}"):
        m.fit(x, y, epoch=3)


def test_multi_output_weights_by_output_name(rng):
    x1, x2 = rng.normal(size=(20, 3)), rng.normal(size=(20, 2))
    y1 = (rng.uniform(size=(20, 1)) > 0.5).astype("float32")
    labels = rng.integers(0, 3, 20)
    y2 = keras.utils.to_categorical(labels, 3)
    m = _two_io_model()
    n1, n2 = m.output_names
    m.compile("sgd", loss=["binary_crossentropy", "categorical_crossentropy"])
    base = m.test_on_batch([x1, x2], [y1, y2])
    sw = rng.uniform(size=20)
    r = m.test_on_batch([x1, x2], [y1, y2], sample_weight={n2: sw})
    assert r[1] == pytest.approx(base[1], rel=1e-6)
    p2 = m.predict([x1, x2])[1]
    ce = -np.log(p2[np.arange(20), labels])
    assert r[2] == pytest.approx(float((ce * sw).mean()), rel=1e-5)
    cw = {0: 2.0, 1: 1.0, 2: 1.0}
    before = m.get_weights()
    r = m.train_on_batch([x1, x2], [y1, y2], class_weight={n2: cw})
    w = np.array([cw[c] for c in labels])
    assert r[2] == pytest.approx(float((ce * w).mean()), rel=1e-5)
    assert r[1] == pytest.approx(base[1], rel=1e-6)
    assert not _same(before, m.get_weights())


def test_generator_with_sample_weights_and_validation_generator(rng):
    x, y = _data(rng)
    sw = np.zeros(40)
    m = _linear()
    before = m.get_weights()

    def gen():
        while True:
            yield x, y, sw

    h = m.fit_generator(gen(), steps_per_epoch=2, epochs=2, verbose=0,
                        validation_data=_gen(x, y), validation_steps=5)
    assert _same(before, m.get_weights())  # every sample weighted 0: no gradient
    assert h.history["loss"] == [0.0, 0.0]
    assert h.history["val_loss"][0] == pytest.approx(m.evaluate(x, y, verbose=0), rel=1e-5)


def test_generator_bad_batch_is_reported(rng):
    x, y = _data(rng)
    m = _linear()

    def gen():
        while True:
            yield x

    with pytest.raises(ValueError, match="generator"):
        m.fit_generator(gen(), steps_per_epoch=1, epochs=1, verbose=0)


def test_sequence_shuffle_is_seeded(rng):
    x, y = _data(rng)

    def order(seed, shuffle=True):
        keras.utils.set_random_seed(seed)
        K.clear_session()
        seq = _Seq(x, y)
        _linear().fit_generator(seq, epochs=2, verbose=0, shuffle=shuffle)
        return seq.seen

    assert order(1) == order(1)
    assert order(1, shuffle=False) == list(range(5)) * 2


# ---------------------------------------------------------------------------- runtime lock

_SCRIPT_HEAD = """
import numpy as np
from rkeras import callbacks as cbs
from rkeras.layers import Dense
from rkeras.models import Sequential
x = np.zeros((8, 3), "float32"); y = np.zeros((8, 2), "float32")
"""


def _run_script(body, timeout):
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-c", _SCRIPT_HEAD + body], capture_output=True,
                          text=True, timeout=timeout)


def test_garbage_collection_during_fit_does_not_deadlock():
    # An unreachable model in a reference cycle, collected automatically while a batch
    # callback allocates: its Variables' finalizers must not run under the Rust runtime lock.
    body = """
old = Sequential([Dense(2, input_shape=(3,))]); old.compile("sgd", "mse"); old.fit(x, y, verbose=0)
old.cycle = old; del old
def allocate(batch, logs):
    junk = []
    for _ in range(20000):
        d = {}; d["self"] = d; junk.append(d)
m = Sequential([Dense(2, input_shape=(3,))]); m.compile("sgd", "mse")
m.fit(x, y, batch_size=4, verbose=0, callbacks=[cbs.LambdaCallback(on_batch_end=allocate)])
print("done")
"""
    r = _run_script(body, timeout=60)
    assert r.returncode == 0 and r.stdout.strip() == "done", r.stderr


def test_batch_callback_can_read_weights():
    body = """
m = Sequential([Dense(2, input_shape=(3,))]); m.compile("sgd", "mse")
seen = []
m.fit(x, y, batch_size=4, verbose=0,
      callbacks=[cbs.LambdaCallback(on_batch_end=lambda batch, logs: seen.append(m.get_weights()))])
print(len(seen))
"""
    r = _run_script(body, timeout=5)
    assert r.returncode == 0 and r.stdout.strip() == "2", r.stderr
