"""The seed tutorial: a Keras-2 MLP on MNIST, with only `keras` replaced by `rkeras`.

Uses Keras's cached ``mnist.npz`` (``~/.keras/datasets``); when it is not there, Fashion-MNIST
(Keras's cache or Debian's ``dataset-fashion-mnist``) takes its place.

Run: python examples/mnist_mlp.py [epochs]
"""

import sys

from rkeras.datasets import fashion_mnist, mnist
from rkeras.layers import Dense, Flatten
from rkeras.models import Sequential
from rkeras.utils import to_categorical

epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 10

try:
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    print("MNIST")
except FileNotFoundError:
    (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()
    print("MNIST is not in the Keras cache: using Fashion-MNIST")

x_train = x_train.astype("float32") / 255
x_test = x_test.astype("float32") / 255
y_train = to_categorical(y_train)
y_test = to_categorical(y_test)

model = Sequential()
model.add(Flatten(input_shape=(28, 28)))
model.add(Dense(784, activation="relu"))
model.add(Dense(100, activation="relu"))
model.add(Dense(10, activation="softmax"))
print(model.summary())

model.compile(loss="mse", optimizer="sgd", metrics=["acc"])
model.fit(x=x_train, y=y_train, validation_split=0.2, epochs=epochs, verbose=2)

loss, acc = model.evaluate(x_test, y_test, verbose=0)
print(f"Test loss: {loss:.4f} - test acc: {acc:.4f}")
