"""A save killed mid-write leaves the previous file intact (temp file + os.replace)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import numpy as np

from rkeras import backend as K
from rkeras import layers, models

_CHILD = textwrap.dedent("""
    import sys, time, zipfile
    from rkeras import layers, models
    model = models.Sequential([layers.Dense(3, input_shape=(4,))])
    real = zipfile.ZipFile.writestr
    def slow(self, name, data, *args, **kwargs):
        real(self, name, data, *args, **kwargs)
        print("writing", name, flush=True)
        time.sleep(60)
    zipfile.ZipFile.writestr = slow
    model.save(sys.argv[1])
""")


def test_killed_save_leaves_previous_file_loadable(tmp_path):
    K.clear_session()
    path = str(tmp_path / "model.keras")
    model = models.Sequential([layers.Dense(3, input_shape=(4,))])
    model.save(path)
    before = open(path, "rb").read()
    proc = subprocess.Popen([sys.executable, "-c", _CHILD, path], stdout=subprocess.PIPE,
                            text=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith("writing"), line
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert open(path, "rb").read() == before
    clone = models.load_model(path)
    x = np.ones((2, 4), "float32")
    np.testing.assert_allclose(clone.predict(x, verbose=0), model.predict(x, verbose=0))
    leftovers = [n for n in os.listdir(tmp_path) if n != "model.keras"]
    assert all(n.startswith(".model.keras.tmp-") for n in leftovers)


def test_failed_save_removes_its_temp_file(tmp_path, monkeypatch):
    K.clear_session()
    path = str(tmp_path / "w.h5")
    model = models.Sequential([layers.Dense(3, input_shape=(4,))])
    model.save_weights(path)
    before = open(path, "rb").read()
    from rkeras.saving import legacy_h5

    def boom(group, model):
        raise RuntimeError("disk full")

    monkeypatch.setattr(legacy_h5, "write_weights_group", boom)
    time.sleep(0.01)
    try:
        model.save_weights(path)
    except RuntimeError:
        pass
    assert open(path, "rb").read() == before
    assert os.listdir(tmp_path) == ["w.h5"]
