"""IMDB movie-review sentiment: 25,000 training and 25,000 test reviews as word-index sequences.

Read from Keras's cache (``$KERAS_HOME/datasets/imdb.npz`` and ``imdb_word_index.json``). The
ragged sequences are pickled object arrays; they are rebuilt by a restricted unpickler that only
allows NumPy array reconstruction, never by ``np.load(allow_pickle=True)``.
"""

from __future__ import annotations

import json
import os
import warnings
from typing import Any, List, Optional, Sequence, Tuple

import numpy as np

from rkeras.datasets._cache import cache_dir, missing
from rkeras.datasets._safe_pickle import load_npz_object_arrays


def _cached(dataset: str, path: str) -> str:
    full = path if os.path.isabs(path) else os.path.join(cache_dir(), path)
    if not os.path.exists(full):
        raise missing(dataset, full)
    return full


def _num_words(dataset: str, num_words: Optional[int], kwargs: dict) -> Optional[int]:
    # Keras 2 accepted the Keras 1 name `nb_words` and refused any other extra keyword.
    if "nb_words" in kwargs:
        warnings.warn("The `nb_words` argument in `load_data` has been renamed `num_words`.",
                      stacklevel=3)
        num_words = kwargs.pop("nb_words")
    if kwargs:
        raise TypeError(f"Unrecognized keyword arguments: {str(kwargs)}.")
    return num_words


def _remove_long_seq(maxlen: int, seq: Sequence, label: Sequence) -> Tuple[List, List]:
    """Keeps the sequences shorter than `maxlen` (strictly), with their labels, as Keras."""
    new_seq, new_label = [], []
    for x, y in zip(seq, label):
        if len(x) < maxlen:
            new_seq.append(x)
            new_label.append(y)
    return new_seq, new_label


def _load_npz(dataset: str, path: str, keys: Sequence[str]) -> List[np.ndarray]:
    full = _cached(dataset, path)
    arrays = load_npz_object_arrays(full, keys)
    for key in keys:
        if arrays[key].ndim < 1:
            raise ValueError(f"{dataset}: {full}: {key!r} is not an array of samples")
    return [arrays[key] for key in keys]


def load_data(
    path: str = "imdb.npz",
    num_words: Optional[int] = None,
    skip_top: int = 0,
    maxlen: Optional[int] = None,
    seed: int = 113,
    start_char: Optional[int] = 1,
    oov_char: Optional[int] = 2,
    index_from: int = 3,
    **kwargs: Any,
) -> tuple:
    """Returns ``(x_train, y_train), (x_test, y_test)``, exactly as Keras does.

    ``x`` is an object array of lists of word indices: each review starts with `start_char`,
    words are their frequency rank plus `index_from`, and ranks outside
    ``[skip_top, num_words)`` become `oov_char` (or are dropped when it is None). Reviews of
    `maxlen` or more words are dropped when `maxlen` is given. Both sets are shuffled with
    ``np.random.RandomState(seed)``. ``y`` holds the 0/1 labels.

    >>> from rkeras.datasets import imdb
    >>> (x_train, y_train), (x_test, y_test) = imdb.load_data(num_words=10000)  # doctest: +SKIP
    >>> len(x_train), max(max(x) for x in x_train)  # doctest: +SKIP
    (25000, 9999)
    """
    num_words = _num_words("imdb", num_words, kwargs)
    x_train, labels_train, x_test, labels_test = _load_npz(
        "imdb", path, ("x_train", "y_train", "x_test", "y_test"))

    rng = np.random.RandomState(seed)
    indices = np.arange(len(x_train))
    rng.shuffle(indices)
    x_train = x_train[indices]
    labels_train = labels_train[indices]

    indices = np.arange(len(x_test))
    rng.shuffle(indices)
    x_test = x_test[indices]
    labels_test = labels_test[indices]

    if start_char is not None:
        x_train = [[start_char] + [w + index_from for w in x] for x in x_train]
        x_test = [[start_char] + [w + index_from for w in x] for x in x_test]
    elif index_from:
        x_train = [[w + index_from for w in x] for x in x_train]
        x_test = [[w + index_from for w in x] for x in x_test]
    else:
        x_train = [[w for w in x] for x in x_train]
        x_test = [[w for w in x] for x in x_test]

    if maxlen:
        x_train, labels_train = _remove_long_seq(maxlen, x_train, labels_train)
        x_test, labels_test = _remove_long_seq(maxlen, x_test, labels_test)
        if not x_train or not x_test:
            raise ValueError(
                "After filtering for sequences shorter than maxlen="
                f"{str(maxlen)}, no sequence was kept. Increase maxlen."
            )

    xs = x_train + x_test
    labels = np.concatenate([labels_train, labels_test])

    if not num_words:
        num_words = max(max(x) for x in xs)

    # By convention 0 is padding, 1 the start and 2 the out-of-vocabulary word.
    if oov_char is not None:
        xs = [[w if (skip_top <= w < num_words) else oov_char for w in x] for x in xs]
    else:
        xs = [[w for w in x if skip_top <= w < num_words] for x in xs]

    idx = len(x_train)
    x_train, y_train = np.array(xs[:idx], dtype="object"), labels[:idx]
    x_test, y_test = np.array(xs[idx:], dtype="object"), labels[idx:]
    return (x_train, y_train), (x_test, y_test)


def _word_index(dataset: str, path: str) -> dict:
    full = _cached(dataset, path)
    try:
        with open(full, encoding="utf-8") as f:
            index = json.load(f)
    except (ValueError, UnicodeDecodeError) as e:
        raise ValueError(f"{dataset}: {full} is not a valid word-index JSON file ({e})") from e
    if not isinstance(index, dict):
        raise ValueError(f"{dataset}: {full} holds a JSON {type(index).__name__}, not a "
                         "word -> index object")
    return index


def get_word_index(path: str = "imdb_word_index.json") -> dict:
    """The dict mapping each word to its frequency rank (``$KERAS_HOME/datasets/<path>``).

    Ranks start at 1; in the sequences of :func:`load_data` a word's index is its rank plus
    `index_from` (3 by default).

    >>> from rkeras.datasets import imdb
    >>> word_index = imdb.get_word_index()  # doctest: +SKIP
    >>> word_index["the"]  # doctest: +SKIP
    1
    """
    return _word_index("imdb", path)
