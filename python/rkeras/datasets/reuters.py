"""Reuters newswire topics: 11,228 newswires labelled over 46 topics, as word-index sequences.

Read from Keras's cache (``$KERAS_HOME/datasets/reuters.npz`` and ``reuters_word_index.json``).
The ragged sequences are pickled object arrays; they are rebuilt by a restricted unpickler that
only allows NumPy array reconstruction, never by ``np.load(allow_pickle=True)``.
"""

from __future__ import annotations

from typing import Any, Optional

import numpy as np

from rkeras.datasets.imdb import _load_npz, _num_words, _remove_long_seq, _word_index


def load_data(
    path: str = "reuters.npz",
    num_words: Optional[int] = None,
    skip_top: int = 0,
    maxlen: Optional[int] = None,
    test_split: float = 0.2,
    seed: int = 113,
    start_char: Optional[int] = 1,
    oov_char: Optional[int] = 2,
    index_from: int = 3,
    **kwargs: Any,
) -> tuple:
    """Returns ``(x_train, y_train), (x_test, y_test)``, exactly as Keras does.

    The newswires are shuffled with ``np.random.RandomState(seed)``, encoded as in
    :func:`rkeras.datasets.imdb.load_data` (`start_char`, `index_from`, `oov_char` for ranks
    outside ``[skip_top, num_words)``, sequences of `maxlen` or more words dropped), then the
    first ``int(len * (1 - test_split))`` become the training set. ``y`` holds topics 0-45.

    >>> from rkeras.datasets import reuters
    >>> (x_train, y_train), (x_test, y_test) = reuters.load_data(num_words=10000)  # doctest: +SKIP
    >>> len(x_train), len(x_test)  # doctest: +SKIP
    (8982, 2246)
    """
    num_words = _num_words("reuters", num_words, kwargs)
    xs, labels = _load_npz("reuters", path, ("x", "y"))

    rng = np.random.RandomState(seed)
    indices = np.arange(len(xs))
    rng.shuffle(indices)
    xs = xs[indices]
    labels = labels[indices]

    if start_char is not None:
        xs = [[start_char] + [w + index_from for w in x] for x in xs]
    elif index_from:
        xs = [[w + index_from for w in x] for x in xs]

    if maxlen:
        xs, labels = _remove_long_seq(maxlen, xs, labels)

    if not num_words:
        num_words = max(max(x) for x in xs)

    # By convention 0 is padding, 1 the start and 2 the out-of-vocabulary word.
    if oov_char is not None:
        xs = [[w if skip_top <= w < num_words else oov_char for w in x] for x in xs]
    else:
        xs = [[w for w in x if skip_top <= w < num_words] for x in xs]

    idx = int(len(xs) * (1 - test_split))
    x_train, y_train = np.array(xs[:idx], dtype="object"), np.array(labels[:idx])
    x_test, y_test = np.array(xs[idx:], dtype="object"), np.array(labels[idx:])
    return (x_train, y_train), (x_test, y_test)


def get_word_index(path: str = "reuters_word_index.json") -> dict:
    """The dict mapping each word to its frequency rank (``$KERAS_HOME/datasets/<path>``).

    Ranks start at 1; in the sequences of :func:`load_data` a word's index is its rank plus
    `index_from` (3 by default).

    >>> from rkeras.datasets import reuters
    >>> word_index = reuters.get_word_index()  # doctest: +SKIP
    >>> word_index["the"]  # doctest: +SKIP
    1
    """
    return _word_index("reuters", path)


def get_label_names() -> tuple:
    """The 46 topic names, indexed as the labels of :func:`load_data` (as Keras).

    >>> from rkeras.datasets import reuters
    >>> reuters.get_label_names()[:3]
    ('cocoa', 'grain', 'veg-oil')
    """
    return (
        "cocoa", "grain", "veg-oil", "earn", "acq", "wheat", "copper", "housing",
        "money-supply", "coffee", "sugar", "trade", "reserves", "ship", "cotton", "carcass",
        "crude", "nat-gas", "cpi", "money-fx", "interest", "gnp", "meal-feed", "alum",
        "oilseed", "gold", "tin", "strategic-metal", "livestock", "retail", "ipi",
        "iron-steel", "rubber", "heat", "jobs", "lei", "bop", "zinc", "orange", "pet-chem",
        "dlr", "gas", "silver", "wpi", "hog", "lead",
    )
