"""The Keras engine: layers, symbolic history, functional and sequential models, training."""
