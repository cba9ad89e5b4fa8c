"""Progbar and ProgbarLogger output, compared with Keras 2.3.1's exact strings (time faked)."""

from __future__ import annotations

import pytest

from rkeras import callbacks
from rkeras.utils import Progbar
from rkeras.utils import progbar as progbar_module


class Clock:
    """A fake ``time`` module whose ``time()`` is set by the test."""

    def __init__(self, t: float = 1000.0) -> None:
        self.t = t

    def time(self) -> float:
        return self.t


@pytest.fixture
def clock(monkeypatch):
    c = Clock()
    monkeypatch.setattr(progbar_module, "time", c)
    return c


def test_exported_from_utils():
    import rkeras

    assert rkeras.utils.Progbar is Progbar


def test_verbose1_newline_mode(clock, capsys):
    # capsys's stdout is not a terminal: each update goes on a new line (Keras 2.3.1).
    bar = Progbar(target=48000)
    assert not bar._dynamic_display
    clock.t = 1000.8
    bar.update(3200, [("loss", 0.0912), ("acc", 0.3412)])
    clock.t = 1001.6
    bar.update(24000, [("loss", 0.05), ("acc", 0.8)])
    clock.t = 1002.016
    bar.update(48000, [("loss", 0.02), ("acc", 0.9), ("val_loss", 0.03), ("val_acc", 0.95)])
    out = capsys.readouterr().out
    # loss: (0.0912*3200 + 0.05*20800 + 0.02*24000) / 48000; acc likewise.
    assert out == (
        "\n 3200/48000 [=>............................] - ETA: 11s - loss: 0.0912"
        " - acc: 0.3412"
        "\n24000/48000 [==============>...............] - ETA: 1s - loss: 0.0555"
        " - acc: 0.7388 "  # padded to the previous, 1 character longer line (ETA: 11s)
        "\n48000/48000 [==============================] - 2s 42us/step - loss: 0.0377"
        " - acc: 0.8194 - val_loss: 0.0300 - val_acc: 0.9500\n"
    )


def test_verbose1_dynamic_mode_redraws_in_place(clock, capsys):
    bar = Progbar(target=10)
    bar._dynamic_display = True
    clock.t = 1000.5
    bar.update(5, [("loss", 1.23456)])
    first = " 5/10 [==============>...............] - ETA: 0s - loss: 1.2346"
    clock.t = 1001.0
    bar.update(10, [("loss", 0.5)])
    second = "10/10 [==============================] - 1s 100ms/step - loss: 0.8673"
    out = capsys.readouterr().out
    assert out == "\r" + first + "\b" * len(first) + "\r" + second + "\n"


def test_dynamic_mode_pads_a_shorter_line(clock, capsys):
    bar = Progbar(target=100)
    bar._dynamic_display = True
    clock.t = 1000.1
    bar.update(10, [("loss", 123.0), ("long_metric_name", 1.0)])
    first = capsys.readouterr().out
    clock.t = 1000.2
    bar.update(20, [("loss", -113.0)])  # loss average 5.0: a shorter line
    out = capsys.readouterr().out
    width = len(first) - 1  # less the leading "\r"
    assert out.startswith("\b" * width + "\r")
    assert len(out) - width - 1 == width  # padded with spaces to the previous width


def test_interval_throttles_intermediate_updates(clock, capsys):
    bar = Progbar(target=100)
    clock.t = 1000.01
    bar.update(10, [("loss", 1.0)])
    clock.t = 1000.03  # 0.02 s after the last display: skipped
    bar.update(20, [("loss", 1.0)])
    clock.t = 1000.04  # the final update is always shown
    bar.update(100, [("loss", 1.0)])
    out = capsys.readouterr().out
    assert out.count("\n") == 3  # two lines, each opened by "\n", plus the final "\n"
    assert " 20/100" not in out
    assert out.endswith("100/100 [==============================] - 0s 400us/step - loss: 1.0000\n")


def test_verbose2_prints_only_at_the_end(clock, capsys):
    bar = Progbar(target=3, verbose=2)
    clock.t = 1001.0
    bar.update(1, [("loss", 0.5), ("acc", 0.25)])
    bar.update(2, [("loss", 0.5), ("acc", 0.25)])
    assert capsys.readouterr().out == ""
    clock.t = 1002.4
    bar.update(3, [("loss", 0.2), ("acc", 0.55)])
    assert capsys.readouterr().out == " - 2s - loss: 0.4000 - acc: 0.3500\n"


def test_verbose0_is_silent(clock, capsys):
    bar = Progbar(target=2, verbose=0)
    bar.update(1, [("loss", 1.0)])
    bar.update(2, [("loss", 1.0)])
    assert capsys.readouterr().out == ""


def test_small_values_use_exponent_format(clock, capsys):
    bar = Progbar(target=1, verbose=2)
    clock.t = 1000.0
    bar.update(1, [("loss", 0.0001234), ("neg", -0.5)])
    # verbose=2 tests `avg > 1e-3` (not abs): negative values use the exponent format too.
    assert capsys.readouterr().out == " - 0s - loss: 1.2340e-04 - neg: -5.0000e-01\n"
    bar = Progbar(target=1, verbose=1)
    bar.update(1, [("loss", 0.0001234), ("neg", -0.5)])
    assert capsys.readouterr().out.endswith(" - loss: 1.2340e-04 - neg: -0.5000\n")


def test_eta_formats(clock, capsys):
    bar = Progbar(target=1000)
    clock.t = 1010.0
    bar.update(10, [])  # 1 s/step, 990 s left
    clock.t = 1020.0
    bar.update(1, [])  # 20 s/step, 19980 s left
    out = capsys.readouterr().out
    assert "  10/1000 [..............................] - ETA: 16:30" in out
    assert "   1/1000 [..............................] - ETA: 5:33:00" in out


def test_per_step_time_units(clock, capsys):
    for seconds, unit in [(3.0, "3s/step"), (0.25, "250ms/step"), (0.0005, "500us/step")]:
        bar = Progbar(target=1)
        clock.t = 1000.0 + seconds
        bar.update(1, [])
        expected = f"\n1/1 [{'=' * 30}] - {round(seconds)}s {unit}\n"
        assert capsys.readouterr().out == expected
        clock.t = 1000.0


def test_unknown_target(clock, capsys):
    bar = Progbar(target=None)
    clock.t = 1001.0
    bar.update(7, [("loss", 0.5)])
    assert capsys.readouterr().out == "\n      7/Unknown - 1s 143ms/step - loss: 0.5000"


def test_stateful_metrics_shown_as_is(clock, capsys):
    bar = Progbar(target=2, verbose=2, stateful_metrics=["mae"])
    bar.update(1, [("loss", 1.0), ("mae", 3.0)])
    bar.update(2, [("loss", 0.0), ("mae", 5.0)])
    assert capsys.readouterr().out == " - 0s - loss: 0.5000 - mae: 5.0000\n"


def test_add(clock, capsys):
    bar = Progbar(target=4, verbose=2)
    bar.add(2, [("loss", 1.0)])
    bar.add(2, [("loss", 2.0)])
    assert capsys.readouterr().out == " - 0s - loss: 1.5000\n"


# ----------------------------------------------------------------------------- ProgbarLogger


def _fit_epoch(logger, clock, batches, epoch_logs, epoch=0, batch_time=0.25):
    """Drives `logger` through one epoch the way Keras 2.3's fit loop does."""
    logger.on_epoch_begin(epoch)
    for i, (size, logs) in enumerate(batches):
        logger.on_batch_begin(i, {"batch": i, "size": size})
        clock.t += batch_time
        logger.on_batch_end(i, dict({"batch": i, "size": size}, **logs))
    logger.on_epoch_end(epoch, epoch_logs)


PARAMS = {"batch_size": 32, "epochs": 10, "steps": None, "samples": 100, "do_validation": True,
          "metrics": ["loss", "acc", "val_loss", "val_acc"]}
BATCHES = [(32, {"loss": 0.9, "acc": 0.5}), (32, {"loss": 0.7, "acc": 0.6}),
           (32, {"loss": 0.5, "acc": 0.7}), (4, {"loss": 0.3, "acc": 1.0})]
EPOCH_LOGS = {"loss": 0.684, "acc": 0.6160, "val_loss": 0.55, "val_acc": 0.75}


def test_progbar_logger_verbose1(clock, capsys):
    logger = callbacks.ProgbarLogger()
    logger.set_params(dict(PARAMS, verbose=1))
    logger.on_train_begin()
    _fit_epoch(logger, clock, BATCHES, EPOCH_LOGS)
    out = capsys.readouterr().out
    # The last batch is not shown on its own: on_epoch_end updates with the last batch's
    # values and the epoch logs, as in Keras 2.3.1 (both weighted by the last batch size).
    # loss: (0.9*32 + 0.7*32 + 0.5*32 + 0.3*4 + 0.684*4) / 104 = 0.684.
    assert out == (
        "Epoch 1/10\n"
        "\n 32/100 [" + "=" * 8 + ">" + "." * 21 + "] - ETA: 0s - loss: 0.9000 - acc: 0.5000"
        "\n 64/100 [" + "=" * 18 + ">" + "." * 11 + "] - ETA: 0s - loss: 0.8000 - acc: 0.5500"
        "\n 96/100 [" + "=" * 27 + ">" + "." * 2 + "] - ETA: 0s - loss: 0.7000 - acc: 0.6000"
        "\n100/100 [==============================] - 1s 10ms/step - loss: 0.6840"
        " - acc: 0.6160 - val_loss: 0.5500 - val_acc: 0.7500\n"
    )


def test_progbar_logger_verbose2(clock, capsys):
    logger = callbacks.ProgbarLogger()
    logger.set_params(dict(PARAMS, verbose=2))
    logger.on_train_begin()
    _fit_epoch(logger, clock, BATCHES, EPOCH_LOGS)
    clock.t += 1.0
    _fit_epoch(logger, clock, BATCHES, EPOCH_LOGS, epoch=1)
    out = capsys.readouterr().out
    line = " - 1s - loss: 0.6840 - acc: 0.6160 - val_loss: 0.5500 - val_acc: 0.7500\n"
    assert out == "Epoch 1/10\n" + line + "Epoch 2/10\n" + line


def test_progbar_logger_steps_and_default_metrics(clock, capsys):
    # count_mode='steps'; no 'metrics' in params: the log keys are shown in their order.
    logger = callbacks.ProgbarLogger(count_mode="steps")
    logger.set_params({"verbose": 2, "epochs": 1, "steps": 2})
    logger.on_train_begin()
    _fit_epoch(logger, clock, [(8, {"loss": 1.0}), (8, {"loss": 3.0})],
               {"loss": 2.0, "val_loss": 4.0}, batch_time=1.0)
    # loss: (1*1 + 3*1 + 2*1) / 3 = 2.0
    assert capsys.readouterr().out == "Epoch 1/1\n - 2s - loss: 2.0000 - val_loss: 4.0000\n"


def test_progbar_logger_verbose0_prints_nothing(clock, capsys):
    logger = callbacks.ProgbarLogger()
    logger.set_params(dict(PARAMS, verbose=0))
    logger.on_train_begin()
    _fit_epoch(logger, clock, BATCHES, EPOCH_LOGS)
    assert capsys.readouterr().out == ""


def test_progbar_logger_bad_count_mode():
    with pytest.raises(ValueError, match="Unknown `count_mode`: batches"):
        callbacks.ProgbarLogger(count_mode="batches")
