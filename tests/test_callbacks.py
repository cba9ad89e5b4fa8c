"""Callbacks driven by a fake model through a simulated Keras-2 training loop."""

from __future__ import annotations

import math
import os
import warnings

import numpy as np
import pytest

import rkeras as keras
from rkeras import backend as K
from rkeras import callbacks, optimizers


class FakeModel:
    """The model surface callbacks use: weights, stop_training, optimizer (and saving)."""

    def __init__(self, lr: float = 0.1) -> None:
        self.weights = [np.zeros((2, 2), np.float32), np.zeros(2, np.float32)]
        self.stop_training = False
        self.optimizer = optimizers.SGD(lr=lr)

    def get_weights(self):
        return [w.copy() for w in self.weights]

    def set_weights(self, weights):
        self.weights = [np.array(w) for w in weights]


class SavingModel(FakeModel):
    def __init__(self) -> None:
        super().__init__()
        self.saved = []

    def save_weights(self, filepath, overwrite=True):
        self.saved.append(("weights", filepath))

    def save(self, filepath, overwrite=True):
        self.saved.append(("model", filepath))


def fit(model, cbs, epoch_logs, batch_logs=None, steps=2):
    """A Keras-2 style fit loop: `epoch_logs[i]` are epoch i's logs; each epoch's weights
    become `i + 1` everywhere (so restored weights identify an epoch)."""
    cb_list = callbacks.CallbackList(list(cbs))
    history = callbacks.History()
    cb_list.append(history)
    cb_list.set_model(model)
    cb_list.set_params({"epochs": len(epoch_logs), "steps": steps, "samples": None,
                        "verbose": 0, "do_validation": True, "metrics": []})
    model.stop_training = False
    cb_list.on_train_begin()
    for epoch, logs in enumerate(epoch_logs):
        cb_list.on_epoch_begin(epoch)
        for b in range(steps):
            cb_list.on_train_batch_begin(b, {"batch": b, "size": 4})
            logs_b = {"batch": b, "size": 4, "loss": 1.0}
            if batch_logs is not None:
                logs_b.update(batch_logs(epoch, b))
            cb_list.on_train_batch_end(b, logs_b)
            if model.stop_training and batch_logs is not None:
                break
        model.weights = [np.full_like(w, epoch + 1) for w in model.weights]
        logs = dict(logs)
        cb_list.on_epoch_end(epoch, logs)
        if model.stop_training:
            break
    cb_list.on_train_end()
    return history


def lr_of(model):
    return float(K.get_value(model.optimizer.lr))


# ----------------------------------------------------------------------------- basics


def test_lazy_submodule_import():
    assert keras.callbacks.EarlyStopping is callbacks.EarlyStopping


def test_on_batch_aliases_and_hook_order():
    calls = []

    class Recorder(callbacks.Callback):
        def on_train_begin(self, logs=None):
            calls.append("train_begin")

        def on_epoch_begin(self, epoch, logs=None):
            calls.append(f"epoch_begin {epoch}")

        def on_batch_begin(self, batch, logs=None):  # Keras-2 name
            calls.append(f"batch_begin {batch} size={logs['size']}")

        def on_batch_end(self, batch, logs=None):
            calls.append(f"batch_end {batch}")

        def on_epoch_end(self, epoch, logs=None):
            calls.append(f"epoch_end {epoch} {sorted(logs)}")

        def on_train_end(self, logs=None):
            calls.append("train_end")

    rec = Recorder()
    fit(FakeModel(), [rec], [{"loss": 1.0}], steps=1)
    assert calls == ["train_begin", "epoch_begin 0", "batch_begin 0 size=4", "batch_end 0",
                     "epoch_end 0 ['loss']", "train_end"]
    assert rec.params["epochs"] == 1 and isinstance(rec.model, FakeModel)


def test_callback_list_keras3_arguments():
    model = FakeModel()
    cbs = callbacks.CallbackList(None, add_history=True, add_progbar=True, model=model,
                                 verbose=0, epochs=1, steps=1)
    kinds = [type(c).__name__ for c in cbs]
    assert kinds == ["History", "ProgbarLogger"]
    assert all(c.model is model and c.params["epochs"] == 1 for c in cbs)
    assert len(cbs) == 2


def test_test_and_predict_hooks_dispatch():
    seen = []

    class Rec(callbacks.Callback):
        def on_test_batch_end(self, batch, logs=None):
            seen.append(("test", batch))

        def on_predict_batch_end(self, batch, logs=None):
            seen.append(("predict", batch))

        def on_test_begin(self, logs=None):
            seen.append("test_begin")

        def on_predict_end(self, logs=None):
            seen.append("predict_end")

    cbs = callbacks.CallbackList([Rec()])
    cbs._call_begin_hook("test")
    cbs.on_test_batch_end(0, {})
    cbs.on_predict_batch_end(1, {})
    cbs._call_end_hook("predict")
    assert seen == ["test_begin", ("test", 0), ("predict", 1), "predict_end"]


# ----------------------------------------------------------------------------- History


def test_history_records_epochs_and_is_model_history():
    model = FakeModel()
    h = fit(model, [], [{"loss": 0.5, "acc": 0.6, "val_loss": 0.7, "val_acc": 0.4},
                        {"loss": 0.3, "acc": 0.8, "val_loss": 0.6, "val_acc": 0.5}])
    assert h.epoch == [0, 1]
    assert h.history == {"loss": [0.5, 0.3], "acc": [0.6, 0.8], "val_loss": [0.7, 0.6],
                         "val_acc": [0.4, 0.5]}
    assert model.history is h
    # A second fit starts a fresh record (Keras 2).
    h.on_train_begin()
    assert h.history == {} and h.epoch == []


# ----------------------------------------------------------------------------- EarlyStopping


def test_early_stopping_patience():
    model = FakeModel()
    es = callbacks.EarlyStopping(monitor="val_loss", patience=2)
    losses = [1.0, 0.8, 0.9, 0.85, 0.5, 0.4]
    h = fit(model, [es], [{"val_loss": v} for v in losses])
    # Best at epoch 1; epochs 2 and 3 do not improve -> stop after epoch 3.
    assert h.epoch == [0, 1, 2, 3]
    assert model.stop_training and es.stopped_epoch == 3 and es.wait == 2
    assert es.best == 0.8


def test_early_stopping_restore_best_weights(capsys):
    model = FakeModel()
    es = callbacks.EarlyStopping(monitor="val_loss", patience=1, restore_best_weights=True,
                                 verbose=1)
    fit(model, [es], [{"val_loss": v} for v in [1.0, 0.5, 0.7, 0.2]])
    # Stopped after epoch 2 (index); best was epoch index 1, whose weights are all 2.
    assert es.stopped_epoch == 2
    assert all((w == 2).all() for w in model.weights)
    assert capsys.readouterr().out == (
        "Restoring model weights from the end of the best epoch\nEpoch 00003: early stopping\n"
    )


def test_early_stopping_without_restore_keeps_last_weights():
    model = FakeModel()
    es = callbacks.EarlyStopping(monitor="val_loss", patience=1)
    fit(model, [es], [{"val_loss": v} for v in [1.0, 0.5, 0.7, 0.2]])
    assert all((w == 3).all() for w in model.weights)


def test_early_stopping_modes_and_min_delta():
    # auto: 'acc' in the name -> maximise.
    es = callbacks.EarlyStopping(monitor="val_acc", patience=1, min_delta=0.05)
    assert es.monitor_op is np.greater and es.min_delta == 0.05
    model = FakeModel()
    h = fit(model, [es], [{"val_acc": v} for v in [0.5, 0.53, 0.7]])
    # 0.53 is not 0.05 better than 0.5 -> stop at epoch 1.
    assert h.epoch == [0, 1] and es.stopped_epoch == 1
    es = callbacks.EarlyStopping(monitor="val_accuracy")
    assert es.monitor_op is np.greater
    es = callbacks.EarlyStopping(monitor="val_acc", mode="min", min_delta=0.1)
    assert es.monitor_op is np.less and es.min_delta == -0.1
    with pytest.warns(RuntimeWarning, match="EarlyStopping mode bogus is unknown"):
        callbacks.EarlyStopping(mode="bogus")


def test_early_stopping_baseline():
    model = FakeModel()
    es = callbacks.EarlyStopping(monitor="val_loss", patience=2, baseline=0.5,
                                 restore_best_weights=True)
    h = fit(model, [es], [{"val_loss": v} for v in [0.9, 0.8, 0.7, 0.6]])
    assert h.epoch == [0, 1] and es.stopped_epoch == 1
    # Never better than the baseline: nothing to restore, the weights stay as trained.
    assert all((w == 2).all() for w in model.weights)


def test_early_stopping_missing_monitor_warns():
    model = FakeModel()
    es = callbacks.EarlyStopping(monitor="val_loss")
    with pytest.warns(RuntimeWarning, match="Early stopping conditioned on metric `val_loss` "
                                            "which is not available. Available metrics are: "
                                            "loss"):
        fit(model, [es], [{"loss": 1.0}])
    assert not model.stop_training


# ----------------------------------------------------------------------------- ReduceLROnPlateau


def test_reduce_lr_on_plateau_reduces_the_lr_variable(capsys):
    model = FakeModel(lr=0.1)
    lr_var = model.optimizer.learning_rate
    cb = callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=2, verbose=1,
                                     min_lr=0.02)
    h = fit(model, [cb], [{"val_loss": 1.0}] * 7)
    # Reductions after epoch indices 2, 4, 6: 0.1 -> 0.05 -> 0.025 -> 0.02 (min_lr).
    assert lr_of(model) == pytest.approx(0.02)
    assert model.optimizer.learning_rate is lr_var  # same variable, value changed
    assert [round(float(v), 6) for v in h.history["lr"]] == [
        0.1, 0.1, 0.1, 0.05, 0.05, 0.025, 0.025]
    assert isinstance(h.history["lr"][0], np.float32)
    out = capsys.readouterr().out
    assert out == (
        "\nEpoch 00003: ReduceLROnPlateau reducing learning rate to 0.05000000074505806.\n"
        "\nEpoch 00005: ReduceLROnPlateau reducing learning rate to 0.02500000037252903.\n"
        "\nEpoch 00007: ReduceLROnPlateau reducing learning rate to 0.02.\n"
    )


def test_reduce_lr_on_plateau_cooldown_and_improvement():
    model = FakeModel(lr=1.0)
    cb = callbacks.ReduceLROnPlateau(monitor="loss", factor=0.1, patience=1, cooldown=2)
    fit(model, [cb], [{"loss": v} for v in [1.0, 1.0, 1.0, 1.0, 1.0]])
    # Reduced after epoch 1; epochs 2-3 cool down; reduced again after epoch 4.
    assert lr_of(model) == pytest.approx(0.01)
    model = FakeModel(lr=1.0)
    cb = callbacks.ReduceLROnPlateau(monitor="val_acc", patience=1)  # auto -> max
    fit(model, [cb], [{"val_acc": v} for v in [0.1, 0.2, 0.3, 0.4]])
    assert lr_of(model) == pytest.approx(1.0)


def test_reduce_lr_on_plateau_keras2_epsilon_and_errors():
    with pytest.warns(UserWarning, match="`epsilon` argument is deprecated"):
        cb = callbacks.ReduceLROnPlateau(epsilon=0.5)
    assert cb.min_delta == 0.5
    with pytest.raises(ValueError, match="does not support a factor >= 1.0"):
        callbacks.ReduceLROnPlateau(factor=1.0)
    model = FakeModel()
    with pytest.warns(RuntimeWarning, match="Reduce LR on plateau conditioned on metric"):
        fit(model, [callbacks.ReduceLROnPlateau()], [{"loss": 1.0}])


# ------------------------------------------------------------------------- LearningRateScheduler


def test_learning_rate_scheduler_one_and_two_argument_schedules(capsys):
    model = FakeModel(lr=0.1)
    h = fit(model, [callbacks.LearningRateScheduler(lambda epoch: 0.1 * 0.5 ** epoch)],
            [{"loss": 1.0}] * 3)
    assert [round(float(v), 6) for v in h.history["lr"]] == [0.1, 0.05, 0.025]
    model = FakeModel(lr=0.1)
    cb = callbacks.LearningRateScheduler(lambda epoch, lr: lr * 0.1 if epoch else lr, verbose=1)
    fit(model, [cb], [{"loss": 1.0}] * 2)
    assert lr_of(model) == pytest.approx(0.01)
    assert capsys.readouterr().out == (
        "\nEpoch 00001: LearningRateScheduler setting learning rate to 0.10000000149011612.\n"
        "\nEpoch 00002: LearningRateScheduler setting learning rate to 0.010000000149011612.\n"
    )


def test_learning_rate_scheduler_errors():
    model = FakeModel()
    with pytest.raises(ValueError, match='The output of the "schedule" function should be '
                                         'float.'):
        fit(model, [callbacks.LearningRateScheduler(lambda epoch: 1)], [{"loss": 1.0}])

    class NoLr:
        optimizer = object()

    cb = callbacks.LearningRateScheduler(lambda epoch: 0.1)
    cb.set_model(NoLr())
    with pytest.raises(ValueError, match='Optimizer must have a "lr" attribute.'):
        cb.on_epoch_begin(0)


# ----------------------------------------------------------------------------- TerminateOnNaN


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -math.inf])
def test_terminate_on_nan(bad, capsys):
    model = FakeModel()
    h = fit(model, [callbacks.TerminateOnNaN()], [{"loss": 1.0}] * 3,
            batch_logs=lambda epoch, b: {"loss": bad if (epoch, b) == (1, 1) else 0.5},
            steps=3)
    assert capsys.readouterr().out == "Batch 1: Invalid loss, terminating training\n"
    assert model.stop_training and h.epoch == [0, 1]


# ----------------------------------------------------------------------------- LambdaCallback


def test_lambda_callback():
    events = []
    cb = callbacks.LambdaCallback(
        on_epoch_begin=lambda epoch, logs: events.append(("epoch_begin", epoch)),
        on_epoch_end=lambda epoch, logs: events.append(("epoch_end", epoch, logs["loss"])),
        on_batch_begin=lambda batch, logs: events.append(("batch_begin", batch)),
        on_batch_end=lambda batch, logs: events.append(("batch_end", batch)),
        on_train_begin=lambda logs: events.append("train_begin"),
        on_train_end=lambda logs: events.append("train_end"),
    )
    fit(FakeModel(), [cb], [{"loss": 0.25}], steps=2)
    assert events == ["train_begin", ("epoch_begin", 0), ("batch_begin", 0), ("batch_end", 0),
                      ("batch_begin", 1), ("batch_end", 1), ("epoch_end", 0, 0.25), "train_end"]
    # Keras-3 style extra hooks as keyword arguments; omitted hooks do nothing.
    seen = []
    cb = callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: seen.append(batch))
    fit(FakeModel(), [cb], [{"loss": 0.25}], steps=2)
    assert seen == [0, 1]


# ----------------------------------------------------------------------------- CSVLogger


def test_csv_logger_contents(tmp_path):
    path = tmp_path / "training.log"
    logs = [{"loss": 0.5, "acc": 0.75, "val_loss": 0.6, "val_acc": 0.7},
            {"loss": 0.25, "acc": 0.875, "val_loss": 0.5, "val_acc": 0.8}]
    fit(FakeModel(), [callbacks.CSVLogger(str(path))], logs)
    assert path.read_text() == (
        "epoch,acc,loss,val_acc,val_loss\n"
        "0,0.75,0.5,0.7,0.6\n"
        "1,0.875,0.25,0.8,0.5\n"
    )


def test_csv_logger_flushes_each_epoch_and_appends(tmp_path):
    path = str(tmp_path / "log.tsv")
    reads = []
    cb = callbacks.CSVLogger(path, separator="\t")
    peek = callbacks.LambdaCallback(on_epoch_end=lambda e, logs: reads.append(open(path).read()))
    fit(FakeModel(), [cb, peek], [{"loss": 1.0}, {"loss": 0.5}])
    assert reads == ["epoch\tloss\n0\t1.0\n", "epoch\tloss\n0\t1.0\n1\t0.5\n"]
    fit(FakeModel(), [callbacks.CSVLogger(path, separator="\t", append=True)], [{"loss": 0.25}])
    assert open(path).read() == "epoch\tloss\n0\t1.0\n1\t0.5\n0\t0.25\n"


def test_csv_logger_values_and_na_on_stop(tmp_path):
    path = str(tmp_path / "log.csv")
    model = FakeModel()
    cb = callbacks.CSVLogger(path)
    cb.set_model(model)
    cb.on_train_begin()
    cb.on_epoch_end(0, {"loss": np.float32(0.5), "vec": np.array([1, 2]), "lr": np.array(0.1)})
    model.stop_training = True
    cb.on_epoch_end(1, {"loss": 0.25})
    cb.on_train_end()
    assert open(path).read() == (
        'epoch,loss,lr,vec\n0,0.5,0.1,"""[1, 2]"""\n1,0.25,NA,NA\n'
    )


def test_reduce_lr_then_csv_logger_logs_lr(tmp_path):
    path = str(tmp_path / "log.csv")
    fit(FakeModel(lr=0.5), [callbacks.ReduceLROnPlateau(monitor="loss", patience=1,
                                                        factor=0.5),
                            callbacks.CSVLogger(path)], [{"loss": 1.0}] * 2)
    assert open(path).read() == "epoch,loss,lr\n0,1.0,0.5\n1,1.0,0.5\n"


# ----------------------------------------------------------------------------- ModelCheckpoint


def test_model_checkpoint_every_epoch_formats_filepath(tmp_path):
    model = SavingModel()
    pattern = os.path.join(str(tmp_path), "weights.{epoch:02d}-{val_loss:.2f}.hdf5")
    fit(model, [callbacks.ModelCheckpoint(pattern, save_weights_only=True)],
        [{"val_loss": 0.5}, {"val_loss": 0.25}])
    assert model.saved == [("weights", os.path.join(str(tmp_path), "weights.01-0.50.hdf5")),
                           ("weights", os.path.join(str(tmp_path), "weights.02-0.25.hdf5"))]


def test_model_checkpoint_save_best_only(capsys):
    model = SavingModel()
    cb = callbacks.ModelCheckpoint("best.h5", monitor="val_acc", save_best_only=True, verbose=1)
    fit(model, [cb], [{"val_acc": v} for v in [0.5, 0.4, 0.7]])
    assert model.saved == [("model", "best.h5"), ("model", "best.h5")]
    assert capsys.readouterr().out == (
        "\nEpoch 00001: val_acc improved from -inf to 0.50000, saving model to best.h5\n"
        "\nEpoch 00002: val_acc did not improve from 0.50000\n"
        "\nEpoch 00003: val_acc improved from 0.50000 to 0.70000, saving model to best.h5\n"
    )


def test_model_checkpoint_period_and_save_freq():
    model = SavingModel()
    fit(model, [callbacks.ModelCheckpoint("m{epoch}.h5", period=2)], [{"loss": 1.0}] * 5)
    assert [p for _, p in model.saved] == ["m2.h5", "m4.h5"]
    model = SavingModel()
    fit(model, [callbacks.ModelCheckpoint("m{epoch}-{batch}.h5", save_freq=3)],
        [{"loss": 1.0}] * 2, steps=4)
    # Batches 0..3 of epoch 1, then 0..3 of epoch 2: saves after the 3rd and 6th batch.
    assert [p for _, p in model.saved] == ["m1-2.h5", "m2-1.h5"]
    with pytest.raises(ValueError, match="Unrecognized save_freq"):
        callbacks.ModelCheckpoint("x", save_freq="batch")


def test_model_checkpoint_missing_save_methods():
    with pytest.raises(NotImplementedError, match=r"needs `model.save_weights\(filepath\)`"):
        fit(FakeModel(), [callbacks.ModelCheckpoint("w.h5", save_weights_only=True)],
            [{"val_loss": 1.0}])
    with pytest.raises(NotImplementedError, match=r"needs `model.save\(filepath\)`"):
        fit(FakeModel(), [callbacks.ModelCheckpoint("m.h5")], [{"val_loss": 1.0}])


def test_model_checkpoint_missing_monitor_warns():
    model = SavingModel()
    with warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        fit(model, [callbacks.ModelCheckpoint("m.h5", save_best_only=True)], [{"loss": 1.0}])
    assert model.saved == []
    assert "Can save best model only with val_loss available, skipping." in str(w[0].message)
