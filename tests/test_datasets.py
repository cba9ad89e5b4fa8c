"""rkeras.datasets on tiny fake files in the exact formats Keras caches; no network."""

from __future__ import annotations

import io
import os
import pickle
import struct
import tarfile
import zipfile

import numpy as np
import pytest

from rkeras.backend import config
from rkeras.datasets import (
    _safe_pickle,
    boston_housing,
    cifar10,
    cifar100,
    imdb,
    reuters,
)


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A fresh ``$KERAS_HOME``; returns its ``datasets`` folder."""
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    d = tmp_path / "keras" / "datasets"
    d.mkdir(parents=True)
    return d


@pytest.fixture
def channels_first():
    old = config.image_data_format()
    config.set_image_data_format("channels_first")
    yield
    config.set_image_data_format(old)


# --------------------------------------------------------------------------------------------
# CIFAR

def _batch(rng, n, label_keys=(b"labels",), n_labels=10):
    d = {b"batch_label": b"training batch", b"data": rng.integers(0, 256, (n, 3072), np.uint8),
         b"filenames": [b"img_%d.png" % i for i in range(n)]}
    for key in label_keys:
        d[key] = [int(v) for v in rng.integers(0, n_labels, n)]
    return d


def _cifar10_batches(rng):
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    return {name: _batch(rng, 4 if name != "test_batch" else 3) for name in names}


def _write_dir(folder, batches, protocol=2):
    folder.mkdir(parents=True)
    for name, d in batches.items():
        (folder / name).write_bytes(pickle.dumps(d, protocol=protocol))


def _write_tar(path, dirname, batches):
    with tarfile.open(path, "w:gz") as tar:
        for name, d in batches.items():
            data = pickle.dumps(d, protocol=2)
            info = tarfile.TarInfo(f"{dirname}/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))


def _check_cifar10(batches, train, test, channels_last=True):
    (x_train, y_train), (x_test, y_test) = train, test
    names = [f"data_batch_{i}" for i in range(1, 6)]
    want_x = np.concatenate([batches[n][b"data"] for n in names]).reshape(-1, 3, 32, 32)
    want_y = np.concatenate([batches[n][b"labels"] for n in names]).reshape(-1, 1)
    want_xt = batches["test_batch"][b"data"].reshape(-1, 3, 32, 32)
    if channels_last:
        want_x, want_xt = want_x.transpose(0, 2, 3, 1), want_xt.transpose(0, 2, 3, 1)
    assert x_train.dtype == x_test.dtype == y_train.dtype == y_test.dtype == np.uint8
    assert x_train.shape == ((20, 32, 32, 3) if channels_last else (20, 3, 32, 32))
    assert y_train.shape == (20, 1) and y_test.shape == (3, 1)
    np.testing.assert_array_equal(x_train, want_x)
    np.testing.assert_array_equal(y_train, want_y)
    np.testing.assert_array_equal(x_test, want_xt)
    np.testing.assert_array_equal(y_test[:, 0], batches["test_batch"][b"labels"])


def test_cifar10_keras2_directory(home, rng):
    batches = _cifar10_batches(rng)
    _write_dir(home / "cifar-10-batches-py", batches)
    _check_cifar10(batches, *cifar10.load_data())


class _Py2Pickler(pickle._Pickler):
    """Writes pickles shaped like the original (Python 2, NumPy 1) CIFAR batches: py2 ``str``
    opcodes for bytes and ``numpy.core.multiarray`` globals."""

    dispatch = dict(pickle._Pickler.dispatch)

    def _save_py2_str(self, obj):
        data = obj.encode("latin1") if isinstance(obj, str) else obj
        if len(data) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(data)]) + data)
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(data)) + data)
        self.memoize(obj)

    def save_global(self, obj, name=None):
        module = obj.__module__.replace("numpy._core", "numpy.core")
        self.write(pickle.GLOBAL + f"{module}\n{name or obj.__qualname__}\n".encode())
        self.memoize(obj)

    dispatch[bytes] = _save_py2_str
    dispatch[str] = _save_py2_str
    dispatch[type(np.dtype)] = save_global


def test_cifar10_python2_pickles(home, rng):
    batches = _cifar10_batches(rng)
    folder = home / "cifar-10-batches-py"
    folder.mkdir()
    for name, d in batches.items():
        buf = io.BytesIO()
        _Py2Pickler(buf, protocol=2).dump(d)
        assert b"cnumpy.core.multiarray\n_reconstruct" in buf.getvalue()
        (folder / name).write_bytes(buf.getvalue())
    _check_cifar10(batches, *cifar10.load_data())


def test_cifar10_channels_first(home, rng, channels_first):
    batches = _cifar10_batches(rng)
    _write_dir(home / "cifar-10-batches-py", batches, protocol=pickle.HIGHEST_PROTOCOL)
    _check_cifar10(batches, *cifar10.load_data(), channels_last=False)


def test_cifar10_keras3_directory(home, rng):
    batches = _cifar10_batches(rng)
    _write_dir(home / "cifar-10-batches-py-target" / "cifar-10-batches-py", batches, protocol=4)
    _check_cifar10(batches, *cifar10.load_data())


@pytest.mark.parametrize("archive", ["cifar-10-batches-py.tar.gz",
                                     "cifar-10-batches-py-target_archive",
                                     "cifar-10-python.tar.gz"])
def test_cifar10_archive(home, rng, archive):
    batches = _cifar10_batches(rng)
    _write_tar(home / archive, "cifar-10-batches-py", batches)
    _check_cifar10(batches, *cifar10.load_data())
    assert sorted(os.listdir(home)) == [archive]  # read in memory, nothing extracted


def test_cifar10_missing(home):
    with pytest.raises(FileNotFoundError) as e:
        cifar10.load_data()
    assert str(home / "cifar-10-batches-py") in str(e.value)
    assert "cifar-10-batches-py.tar.gz" in str(e.value)


def test_cifar10_missing_batch(home, rng):
    batches = _cifar10_batches(rng)
    del batches["data_batch_3"]
    _write_dir(home / "cifar-10-batches-py", batches)
    with pytest.raises(FileNotFoundError, match="data_batch_3"):
        cifar10.load_data()


def test_cifar10_truncated_batch(home, rng):
    batches = _cifar10_batches(rng)
    _write_dir(home / "cifar-10-batches-py", batches)
    path = home / "cifar-10-batches-py" / "test_batch"
    path.write_bytes(path.read_bytes()[:500])
    with pytest.raises(ValueError, match="test_batch"):
        cifar10.load_data()


def test_cifar10_corrupt_archive(home):
    (home / "cifar-10-batches-py.tar.gz").write_bytes(b"\x1f\x8b garbage")
    with pytest.raises(ValueError, match="cifar-10-batches-py.tar.gz"):
        cifar10.load_data()


@pytest.mark.parametrize("label_mode", ["fine", "coarse"])
def test_cifar100(home, rng, label_mode):
    keys = (b"fine_labels", b"coarse_labels")
    batches = {"train": _batch(rng, 6, keys, 100), "test": _batch(rng, 2, keys, 100)}
    _write_dir(home / "cifar-100-python", batches)
    (x_train, y_train), (x_test, y_test) = cifar100.load_data(label_mode=label_mode)
    key = f"{label_mode}_labels".encode()
    for x, y, d in ((x_train, y_train, batches["train"]), (x_test, y_test, batches["test"])):
        want_y = np.reshape(d[key], (len(d[key]), 1))  # Keras reshapes the label list
        assert x.dtype == np.uint8 and x.shape == (len(want_y), 32, 32, 3)
        assert y.dtype == want_y.dtype and y.shape == want_y.shape
        np.testing.assert_array_equal(x, d[b"data"].reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1))
        np.testing.assert_array_equal(y, want_y)


def test_cifar100_archive_and_bad_mode(home, rng):
    keys = (b"fine_labels", b"coarse_labels")
    batches = {"train": _batch(rng, 2, keys, 100), "test": _batch(rng, 2, keys, 100)}
    _write_tar(home / "cifar-100-python.tar.gz", "cifar-100-python", batches)
    (_, y_train), _ = cifar100.load_data("coarse")
    np.testing.assert_array_equal(y_train[:, 0], batches["train"][b"coarse_labels"])
    with pytest.raises(ValueError, match="label_mode"):
        cifar100.load_data("medium")


def test_cifar100_missing(home):
    with pytest.raises(FileNotFoundError, match="cifar-100-python"):
        cifar100.load_data()


# --------------------------------------------------------------------------------------------
# IMDB and Reuters


def _ragged(rng, n, vocab=30):
    out = np.empty(n, dtype=object)
    for i in range(n):
        out[i] = [int(w) for w in rng.integers(1, vocab, rng.integers(1, 12))]
    return out


def _ref_encode(seqs, labels, maxlen, start_char, oov_char, index_from):
    """Shift/start-mark then drop long sequences, as Keras's loaders."""
    out = []
    for s in seqs:
        s = [w + index_from for w in s]
        out.append(s if start_char is None else [start_char] + s)
    if maxlen:
        keep = [len(s) < maxlen for s in out]
        out = [s for s, k in zip(out, keep) if k]
        labels = [y for y, k in zip(labels, keep) if k]
    return out, list(labels)


def _ref_vocab(seqs, num_words, skip_top, oov_char):
    num_words = num_words or max(w for s in seqs for w in s)
    if oov_char is None:
        return [[w for w in s if skip_top <= w < num_words] for s in seqs]
    return [[w if skip_top <= w < num_words else oov_char for w in s] for s in seqs]


def _ref_imdb(d, seed=113, num_words=None, skip_top=0, maxlen=None, start_char=1, oov_char=2,
              index_from=3):
    rng = np.random.RandomState(seed)
    parts = []
    for x, y in ((d["x_train"], d["y_train"]), (d["x_test"], d["y_test"])):
        perm = np.arange(len(x))
        rng.shuffle(perm)
        parts.append(_ref_encode([x[i] for i in perm], y[perm], maxlen, start_char, oov_char,
                                 index_from))
    n = len(parts[0][0])
    xs = _ref_vocab(parts[0][0] + parts[1][0], num_words, skip_top, oov_char)
    return (xs[:n], parts[0][1]), (xs[n:], parts[1][1])


def _ref_reuters(d, seed=113, num_words=None, skip_top=0, maxlen=None, test_split=0.2,
                 start_char=1, oov_char=2, index_from=3):
    perm = np.arange(len(d["x"]))
    np.random.RandomState(seed).shuffle(perm)
    xs, ys = _ref_encode([d["x"][i] for i in perm], d["y"][perm], maxlen, start_char, oov_char,
                         index_from)
    xs = _ref_vocab(xs, num_words, skip_top, oov_char)
    n = int(len(xs) * (1 - test_split))
    return (xs[:n], ys[:n]), (xs[n:], ys[n:])


def _same(got, want):
    (x_train, y_train), (x_test, y_test) = got
    assert x_train.dtype == x_test.dtype == object
    assert [list(s) for s in x_train] == want[0][0] and [list(s) for s in x_test] == want[1][0]
    np.testing.assert_array_equal(y_train, want[0][1])
    np.testing.assert_array_equal(y_test, want[1][1])
    assert y_train.dtype.kind == "i"


@pytest.fixture
def imdb_file(home, rng):
    d = {"x_train": _ragged(rng, 40), "y_train": rng.integers(0, 2, 40),
         "x_test": _ragged(rng, 30), "y_test": rng.integers(0, 2, 30)}
    np.savez(home / "imdb.npz", **d)
    return d


IMDB_CASES = [
    {},
    {"num_words": 12},
    {"num_words": 12, "skip_top": 5, "maxlen": 8},
    {"oov_char": None, "num_words": 10, "seed": 7},
    {"start_char": None, "index_from": 0},
    {"start_char": None, "index_from": 2, "maxlen": 6},
]


@pytest.mark.parametrize("kwargs", IMDB_CASES)
def test_imdb(imdb_file, kwargs):
    _same(imdb.load_data(**kwargs), _ref_imdb(imdb_file, **kwargs))


def test_imdb_keras2_keywords(imdb_file):
    with pytest.warns(UserWarning, match="num_words"):
        got = imdb.load_data(nb_words=9)
    _same(got, _ref_imdb(imdb_file, num_words=9))
    with pytest.raises(TypeError, match="Unrecognized keyword"):
        imdb.load_data(bogus=1)


def test_imdb_maxlen_too_small(imdb_file):
    with pytest.raises(ValueError, match="Increase maxlen"):
        imdb.load_data(maxlen=1)


def test_imdb_missing(home):
    with pytest.raises(FileNotFoundError) as e:
        imdb.load_data()
    assert str(home / "imdb.npz") in str(e.value)
    with pytest.raises(FileNotFoundError, match="imdb_word_index.json"):
        imdb.get_word_index()


def test_imdb_truncated(imdb_file, home):
    path = home / "imdb.npz"
    path.write_bytes(path.read_bytes()[:300])
    with pytest.raises(ValueError, match="imdb.npz"):
        imdb.load_data()


def test_imdb_wrong_keys(home):
    np.savez(home / "imdb.npz", x=np.arange(3))
    with pytest.raises(ValueError, match="x_train"):
        imdb.load_data()


def test_word_index(home):
    (home / "imdb_word_index.json").write_text('{"the": 1, "and": 2}')
    (home / "reuters_word_index.json").write_text('{"the": 1, "of": 2}')
    assert imdb.get_word_index() == {"the": 1, "and": 2}
    assert reuters.get_word_index() == {"the": 1, "of": 2}


@pytest.fixture
def reuters_file(home, rng):
    d = {"x": _ragged(rng, 53), "y": rng.integers(0, 46, 53)}
    np.savez(home / "reuters.npz", **d)
    return d


@pytest.mark.parametrize("kwargs", IMDB_CASES + [{"test_split": 0.5, "maxlen": 9},
                                                 {"test_split": 0.0}])
def test_reuters(reuters_file, kwargs):
    _same(reuters.load_data(**kwargs), _ref_reuters(reuters_file, **kwargs))


def test_reuters_labels_and_missing(reuters_file, home):
    assert len(reuters.get_label_names()) == 46
    os.remove(home / "reuters.npz")
    with pytest.raises(FileNotFoundError, match="reuters.npz"):
        reuters.load_data()


# --------------------------------------------------------------------------------------------
# Boston Housing


@pytest.mark.parametrize("test_split,seed", [(0.2, 113), (0.0, 1), (0.35, 5)])
def test_boston_housing(home, rng, test_split, seed):
    x, y = rng.normal(size=(31, 13)), rng.normal(size=31) * 10 + 20
    np.savez(home / "boston_housing.npz", x=x, y=y)
    (x_train, y_train), (x_test, y_test) = boston_housing.load_data(test_split=test_split,
                                                                    seed=seed)
    perm = np.arange(31)
    np.random.RandomState(seed).shuffle(perm)
    n = int(31 * (1 - test_split))
    np.testing.assert_array_equal(x_train, x[perm[:n]])
    np.testing.assert_array_equal(y_train, y[perm[:n]])
    np.testing.assert_array_equal(x_test, x[perm[n:]])
    np.testing.assert_array_equal(y_test, y[perm[n:]])
    assert x_train.dtype == np.float64 and x_train.shape == (n, 13)


def test_boston_housing_errors(home):
    with pytest.raises(FileNotFoundError, match="boston_housing.npz"):
        boston_housing.load_data()
    with pytest.raises(ValueError, match="test_split"):
        boston_housing.load_data(test_split=1.0)


# --------------------------------------------------------------------------------------------
# The restricted unpickler


class _Hostile:
    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def test_hostile_cifar_pickle_is_refused(home, rng, tmp_path):
    marker = tmp_path / "pwned"
    batches = _cifar10_batches(rng)
    batches["data_batch_1"][b"batch_label"] = _Hostile(marker)
    _write_dir(home / "cifar-10-batches-py", batches)
    with pytest.raises(pickle.UnpicklingError, match=r"system") as e:
        cifar10.load_data()
    assert "data_batch_1" in str(e.value)
    assert not marker.exists()


def test_hostile_npz_is_refused(home, rng, tmp_path):
    marker = tmp_path / "pwned"
    x = _ragged(rng, 5)
    x[2] = _Hostile(marker)
    np.savez(home / "imdb.npz", x_train=x, y_train=np.zeros(5, int), x_test=_ragged(rng, 3),
             y_test=np.zeros(3, int))
    with pytest.raises(pickle.UnpicklingError, match=r"system"):
        imdb.load_data()
    assert not marker.exists()


@pytest.mark.parametrize("payload", [
    pickle.dumps(eval), pickle.dumps(getattr), pickle.dumps(os.system, protocol=2),
    b"cos\nsystem\n(S'true'\ntR.",  # protocol 0 GLOBAL + REDUCE
    b"c__builtin__\neval\n(S'1'\ntR.",  # Python 2 module name, mapped then refused
])
def test_refused_globals(payload):
    with pytest.raises(pickle.UnpicklingError, match="refusing"):
        _safe_pickle.loads(payload)


def test_plain_data_round_trips():
    value = {b"a": [1, 2.5, "x", (3, None)], "arr": np.arange(6, dtype=np.uint8).reshape(2, 3),
             "obj": np.array([[1], [2, 3]], dtype=object), "s": np.float32(1.5),
             "set": {1, 2}, "ba": bytearray(b"q")}
    for protocol in range(0, pickle.HIGHEST_PROTOCOL + 1):
        got = _safe_pickle.loads(pickle.dumps(value, protocol=protocol))
        np.testing.assert_array_equal(got["arr"], value["arr"])
        assert got["arr"].dtype == np.uint8
        assert list(got["obj"]) == [[1], [2, 3]]
        assert got[b"a"] == value[b"a"] and got["s"] == value["s"]
        assert got["set"] == {1, 2} and got["ba"] == b"q"


def test_load_npz_object_arrays(tmp_path):
    path = tmp_path / "a.npz"
    np.savez(path, x=np.array([[1, 2], [3]], dtype=object), y=np.arange(3))
    got = _safe_pickle.load_npz_object_arrays(str(path), ["x", "y"])
    assert got["x"].dtype == object and list(got["x"]) == [[1, 2], [3]]
    np.testing.assert_array_equal(got["y"], np.arange(3))
    with pytest.raises(ValueError, match="no array 'z'"):
        _safe_pickle.load_npz_object_arrays(str(path), ["z"])
    (tmp_path / "bad.npz").write_bytes(b"PK\x03\x04 not really")
    with pytest.raises(ValueError, match="bad.npz"):
        _safe_pickle.load_npz_object_arrays(str(tmp_path / "bad.npz"), ["x"])


def test_npz_truncated_pickle_member(tmp_path):
    buf = io.BytesIO()
    np.save(buf, np.array([[1, 2], [3]], dtype=object))
    with zipfile.ZipFile(tmp_path / "t.npz", "w") as z:
        z.writestr("x.npy", buf.getvalue()[:-5])
    with pytest.raises(ValueError, match="t.npz"):
        _safe_pickle.load_npz_object_arrays(str(tmp_path / "t.npz"), ["x"])


def test_datasets_namespace():
    import rkeras.datasets as ds

    assert {"boston_housing", "cifar10", "cifar100", "imdb", "reuters"} <= set(ds.__all__)
