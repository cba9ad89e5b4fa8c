"""Keras utilities: ``to_categorical``, ``normalize``, ``Sequence``, ``set_random_seed``."""

from rkeras.utils import np_utils
from rkeras.utils.data_utils import Sequence
from rkeras.utils.np_utils import normalize, to_categorical
from rkeras.utils.random import set_random_seed

__all__ = ["Sequence", "normalize", "np_utils", "set_random_seed", "to_categorical"]
