"""Keras datasets, read from the Keras cache (``$KERAS_HOME/datasets``) or a system package."""

from rkeras.datasets import fashion_mnist, mnist

__all__ = ["fashion_mnist", "mnist"]
