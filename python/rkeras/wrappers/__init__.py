"""Wrappers for other libraries: ``rkeras.wrappers.scikit_learn`` (Keras 2)."""
