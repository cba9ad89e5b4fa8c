"""Softmax regression on Fashion-MNIST written with the Keras backend alone ("compile, then
run"): the model, loss and SGD update are built symbolically once, compiled by ``K.function``,
and each batch is one call into Rust.

Run: python examples/k_softmax_regression.py [epochs]
"""

import sys
import time

import numpy as np

from rkeras import backend as K
from rkeras.datasets import fashion_mnist

epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 3
batch_size = 128
learning_rate = 0.1

(x_train, y_train), (x_test, y_test) = fashion_mnist.load_data()
x_train = x_train.reshape(-1, 784).astype("float32") / 255.0
x_test = x_test.reshape(-1, 784).astype("float32") / 255.0
y_train_1h = np.eye(10, dtype="float32")[y_train]

K.set_random_seed(1)
W = K.variable(K.random_normal((784, 10), stddev=0.01), name="W")
b = K.variable(np.zeros(10), name="b")

x = K.placeholder(shape=(None, 784))
y = K.placeholder(shape=(None, 10))
probs = K.softmax(K.dot(x, W) + b)
loss = K.mean(-K.sum(y * K.log(K.clip(probs, K.epsilon(), 1.0)), axis=1))
grad_w, grad_b = K.gradients(loss, [W, b])
train = K.function([x, y], [loss], updates=[K.update_sub(W, learning_rate * grad_w),
                                            K.update_sub(b, learning_rate * grad_b)])
predict = K.function([x], [K.argmax(probs, axis=1)])

rng = np.random.default_rng(0)
for epoch in range(epochs):
    start = time.perf_counter()
    order = rng.permutation(len(x_train))
    losses = []
    for i in range(0, len(order), batch_size):
        idx = order[i:i + batch_size]
        losses.append(train([x_train[idx], y_train_1h[idx]])[0])
    accuracy = float(np.mean(predict([x_test])[0] == y_test))
    print(f"Epoch {epoch + 1}/{epochs} - {time.perf_counter() - start:.1f}s - "
          f"loss: {np.mean(losses):.4f} - test_acc: {accuracy:.4f}")
