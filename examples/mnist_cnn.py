"""Keras's simple MNIST convnet, with only `keras` replaced by `rkeras`.

Two convolution/max-pooling blocks, dropout and a softmax classifier, trained with Adam on
categorical cross-entropy (batch 128, 12 epochs) on all 60,000 training images, the test set
shown as validation data after each epoch (as Keras 2's ``mnist_cnn.py`` did). Uses Keras's
cached ``mnist.npz`` (``~/.keras/datasets``); when it is not there, Fashion-MNIST (Keras's
cache or Debian's ``dataset-fashion-mnist``) takes its place.

Run: python examples/mnist_cnn.py [epochs]
"""

import sys

import numpy as np

from rkeras.datasets import fashion_mnist, mnist
from rkeras.layers import Conv2D, Dense, Dropout, Flatten, Input, MaxPooling2D
from rkeras.models import Sequential
from rkeras.utils import to_categorical

num_classes = 10
input_shape = (28, 28, 1)
batch_size = 128
epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 12

try:
    (x_train, y_train), (x_test, y_test) = mnist.load_data()
    print("MNIST")
except FileNotFoundError:
    (x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()
    print("MNIST is not in the Keras cache: using Fashion-MNIST")

# Scale images to the [0, 1] range and give them a channel axis: (28, 28) -> (28, 28, 1)
x_train = np.expand_dims(x_train.astype("float32") / 255, -1)
x_test = np.expand_dims(x_test.astype("float32") / 255, -1)
print("x_train shape:", x_train.shape)
print(x_train.shape[0], "train samples")
print(x_test.shape[0], "test samples")

y_train = to_categorical(y_train, num_classes)
y_test = to_categorical(y_test, num_classes)

model = Sequential([
    Input(shape=input_shape),
    Conv2D(32, kernel_size=(3, 3), activation="relu"),
    MaxPooling2D(pool_size=(2, 2)),
    Conv2D(64, kernel_size=(3, 3), activation="relu"),
    MaxPooling2D(pool_size=(2, 2)),
    Flatten(),
    Dropout(0.5),
    Dense(num_classes, activation="softmax"),
])
model.summary()

model.compile(loss="categorical_crossentropy", optimizer="adam", metrics=["accuracy"])
model.fit(x_train, y_train, batch_size=batch_size, epochs=epochs,
          validation_data=(x_test, y_test))

score = model.evaluate(x_test, y_test, verbose=0)
print("Test loss:", score[0])
print("Test accuracy:", score[1])
