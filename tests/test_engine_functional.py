"""Functional models: multi-input/output, shared layers, nested models, errors, config, and the
trace contract (``Model.call`` replays the layer graph on tensors of a fresh graph)."""

from __future__ import annotations

import numpy as np
import pytest

from rkeras import backend as K
from rkeras.backend.functions import Function
from rkeras.backend.tensors import FuncGraph
from rkeras.engine.base_layer import collect_losses
from rkeras.layers import (
    ActivityRegularization,
    Dense,
    Dropout,
    Input,
    Lambda,
    concatenate,
)
from rkeras.models import Model, Sequential

pytestmark = pytest.mark.usefixtures("fresh_graph")


def relu(x):
    return np.maximum(x, 0)


def softmax(z):
    e = np.exp(z - z.max(-1, keepdims=True))
    return e / e.sum(-1, keepdims=True)


def compile_call(model, shapes, training=None):
    """Replays `model` on placeholders of a fresh graph and compiles it."""
    graph = FuncGraph("trace")
    xs = [graph.placeholder([None] + list(s), "float32", f"x{i}") for i, s in enumerate(shapes)]
    out = model.call(xs if len(xs) > 1 else xs[0], training=training)
    outs = out if isinstance(out, list) else [out]
    assert all(o.graph is graph for o in outs)
    return Function(xs, outs)


def multi_io_model():
    a = Input(shape=(4,), name="a")
    b = Input(shape=(3,), name="b")
    shared = Dense(5, activation="relu", name="shared")
    h = concatenate([shared(a), Dense(5, name="from_b")(b)], name="cat")
    o1 = Dense(2, activation="softmax", name="o1")(h)
    o2 = Dense(1, name="o2")(shared(Dense(4, name="b_to_4")(b)))
    return Model(inputs=[a, b], outputs=[o1, o2])


def test_multi_io_attributes():
    model = multi_io_model()
    assert model.name == "model_1"
    assert model.input_names == ["a", "b"]
    assert model.output_names == ["o1", "o2"]
    assert model.input_shape == [(None, 4), (None, 3)]
    assert model.output_shape == [(None, 2), (None, 1)]
    names = [layer.name for layer in model.layers]
    assert set(names) == {"a", "b", "shared", "from_b", "cat", "o1", "o2", "b_to_4"}
    # Keras 2 order: by depth, then traversal order (the shared layer takes its deepest use)
    assert names == ["a", "b", "shared", "from_b", "b_to_4", "cat", "o1", "o2"]
    # shared weights are counted once
    assert model.count_params() == 25 + 20 + 22 + 16 + 6
    assert len(model.weights) == 10


def test_multi_io_summary_has_connections():
    model = multi_io_model()
    lines: list = []
    model.summary(print_fn=lines.append)
    assert lines[0] == 'Model: "model_1"'
    assert lines[1] == "_" * 98
    assert lines[2].rstrip() == ("Layer (type)                    Output Shape         Param #"
                                 "     Connected to")
    shared = [i for i, line in enumerate(lines) if line.startswith("shared (Dense)")][0]
    assert lines[shared].rstrip().endswith("a[0][0]")
    assert lines[shared + 1].strip() == "b_to_4[0][0]"
    cat = [line for line in lines if line.startswith("cat (Concatenate)")][0]
    assert "shared[0][0]" in cat
    assert "Total params: 89" in lines


def test_multi_io_trace_matches_numpy(rng):
    model = multi_io_model()
    f = compile_call(model, [(4,), (3,)])
    xa = rng.normal(size=(7, 4)).astype(np.float32)
    xb = rng.normal(size=(7, 3)).astype(np.float32)
    got1, got2 = f([xa, xb])
    ws, bs = model.get_layer("shared").get_weights()
    wf, bf = model.get_layer("from_b").get_weights()
    w1, b1 = model.get_layer("o1").get_weights()
    w4, b4 = model.get_layer("b_to_4").get_weights()
    w2, b2 = model.get_layer("o2").get_weights()
    h = np.concatenate([relu(xa @ ws + bs), xb @ wf + bf], axis=1)
    np.testing.assert_allclose(got1, softmax(h @ w1 + b1), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(got2, relu((xb @ w4 + b4) @ ws + bs) @ w2 + b2,
                               rtol=1e-5, atol=1e-5)
    # eager call gives the same
    e1, e2 = model([xa, xb])
    np.testing.assert_allclose(e1, got1, rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(e2, got2, rtol=1e-6, atol=1e-6)
    # dict inputs by name
    d1, _ = model({"a": xa, "b": xb})
    np.testing.assert_allclose(d1, got1, rtol=1e-6, atol=1e-7)


def test_nested_model_trace(rng):
    x2 = Input(shape=(4,))
    square = Model(x2, Dense(4, activation="tanh", name="sq")(x2), name="square")
    w = Input(shape=(4,))
    chained = Model(w, Dense(2, name="head")(square(square(w))))
    # the nested model is listed once although it is called twice
    assert [layer.name for layer in chained.layers] == ["input_2", "square", "head"]
    # node 0 of a model links its own inputs and outputs; its calls are nodes 1 and 2
    assert len(square._inbound_nodes) == 3
    g = compile_call(chained, [(4,)])
    wv = rng.normal(size=(2, 4)).astype(np.float32)
    ws, bs = square.get_layer("sq").get_weights()
    wh, bh = chained.get_layer("head").get_weights()
    expected = np.tanh(np.tanh(wv @ ws + bs) @ ws + bs) @ wh + bh
    np.testing.assert_allclose(g([wv])[0], expected, rtol=1e-5, atol=1e-5)
    lines: list = []
    chained.summary(print_fn=lines.append)
    assert any(line.startswith("square (Model)") for line in lines)
    assert any(line.strip() == "square[1][0]" for line in lines)
    assert any(line.strip().endswith("square[2][0]") for line in lines)
    assert chained.count_params() == 20 + 10


def test_dropout_replays_with_training_flag():
    x = Input(shape=(50,))
    model = Model(x, Dropout(0.5)(x))
    xv = np.ones((4, 50), np.float32)
    f_test = compile_call(model, [(50,)], training=False)
    np.testing.assert_array_equal(f_test([xv])[0], xv)
    f_train = compile_call(model, [(50,)], training=True)
    a, b = f_train([xv])[0], f_train([xv])[0]
    assert set(np.unique(a).tolist()) <= {0.0, 2.0}
    assert 0 < (a == 0).mean() < 1
    assert not np.array_equal(a, b), "a fresh mask is drawn on every run"


def test_explicit_training_argument_is_kept():
    x = Input(shape=(20,))
    model = Model(x, Dropout(0.5)(x, training=True))
    f = compile_call(model, [(20,)], training=False)
    out = f([np.ones((3, 20), np.float32)])[0]
    assert (out == 0).any()


def test_activity_regularization_is_collected_in_trace():
    x = Input(shape=(3,))
    h = Dense(2, kernel_initializer="ones", activity_regularizer=None)(x)
    model = Model(x, ActivityRegularization(l1=0.5)(h))
    graph = FuncGraph("trace")
    p = graph.placeholder([None, 3], "float32", "x")
    with collect_losses() as losses:
        y = model.call(p, training=True)
    assert len(losses) == 1 and losses[0].graph is graph
    f = Function([p], [y, losses[0]])
    out, penalty = f([np.ones((2, 3), np.float32)])
    np.testing.assert_allclose(penalty, 0.5 * np.abs(out).sum(), rtol=1e-6)


def test_weight_regularizers_kept_as_data():
    def reg(w):
        return 0.01 * K.sum(K.square(w))

    def unit(w):
        return w

    x = Input(shape=(3,))
    layer = Dense(2, kernel_regularizer=reg, kernel_constraint=unit)
    model = Model(x, layer(x))
    assert layer._weight_regularizers == [(reg, layer.kernel)]
    assert layer._constraints == {layer.kernel.handle: unit}
    assert model.weight_regularizers() == [(reg, layer.kernel)]
    assert model.weight_constraints() == {layer.kernel.handle: unit}


def test_lambda_traced_in_model(rng):
    x = Input(shape=(4,))
    y = Lambda(lambda t: K.concatenate([K.relu(t), K.relu(-t)]))(x)
    model = Model(x, y)
    assert model.output_shape == (None, 8)
    f = compile_call(model, [(4,)])
    xv = rng.normal(size=(3, 4)).astype(np.float32)
    np.testing.assert_allclose(f([xv])[0], np.concatenate([relu(xv), relu(-xv)], 1))


def test_keras2_constructor_spellings():
    x = Input(shape=(2,))
    y = Dense(1)(x)
    assert Model(input=x, output=y).output_shape == (None, 1)
    assert Model(x, y, name="m").name == "m"
    assert Model(inputs=x, outputs=y).output_shape == (None, 1)


def test_model_naming():
    x = Input(shape=(2,))
    assert x._keras_history[0].name == "input_1"
    y = Dense(1)(x)
    assert Model(x, y).name == "model_1"
    assert Model(x, y).name == "model_2"


def test_duplicate_layer_names_rejected():
    x = Input(shape=(2,))
    y = Dense(2, name="same")(Dense(2, name="same")(x))
    with pytest.raises(ValueError, match='The name "same" is used 2 times in the model. All '
                                         "layer names should be unique."):
        Model(x, y)


def test_graph_disconnected():
    a, b = Input(shape=(2,)), Input(shape=(2,))
    y = concatenate([a, b])
    with pytest.raises(ValueError, match="Graph disconnected: cannot obtain value for tensor"):
        Model(a, y)


def test_outputs_must_be_keras_tensors():
    x = Input(shape=(2,))
    with pytest.raises(TypeError, match="Output tensors to a Model must be the output of a "
                                        "Keras `Layer`"):
        Model(x, x * 2.0)


def test_subclassed_model_not_supported():
    model = Model()
    with pytest.raises(NotImplementedError, match="Subclassed models"):
        model.summary()
    with pytest.raises(NotImplementedError, match="Subclassed models"):
        model.call(np.ones((1, 2)))


def test_get_config_from_config_roundtrip(rng):
    model = multi_io_model()
    config = model.get_config()
    assert config["input_layers"] == [["a", 0, 0], ["b", 0, 0]]
    assert config["output_layers"] == [["o1", 0, 0], ["o2", 0, 0]]
    shared = [c for c in config["layers"] if c["name"] == "shared"][0]
    assert shared["inbound_nodes"] == [[["a", 0, 0, {}]], [["b_to_4", 0, 0, {}]]]
    clone = Model.from_config(config)
    assert clone.output_shape == model.output_shape
    assert sorted(layer.name for layer in clone.layers) == sorted(
        layer.name for layer in model.layers)
    clone.set_weights(model.get_weights())
    xa = rng.normal(size=(2, 4)).astype(np.float32)
    xb = rng.normal(size=(2, 3)).astype(np.float32)
    for a, b in zip(clone([xa, xb]), model([xa, xb])):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)


def test_nested_sequential_in_functional_trace(rng):
    seq = Sequential([Dense(3, activation="relu", input_shape=(2,)), Dense(2)])
    x = Input(shape=(2,))
    model = Model(x, Dense(1)(seq(x)))
    f = compile_call(model, [(2,)])
    xv = rng.normal(size=(4, 2)).astype(np.float32)
    w1, b1, w2, b2 = seq.get_weights()
    w3, b3 = model.layers[-1].get_weights()
    np.testing.assert_allclose(f([xv])[0], (relu(xv @ w1 + b1) @ w2 + b2) @ w3 + b3,
                               rtol=1e-5, atol=1e-5)
    assert len(model.get_weights()) == 6


def test_layer_output_history():
    x = Input(shape=(3,))
    dense = Dense(2)
    y = dense(x)
    assert dense.output is y and dense.input is x
    assert dense.input_shape == (None, 3) and dense.output_shape == (None, 2)
    dense(Input(shape=(3,)))
    with pytest.raises(AttributeError, match="multiple inbound nodes"):
        _ = dense.output
    assert dense.get_output_at(1).shape == (None, 2)
    assert dense.output_shape == (None, 2)


def test_layer_on_untracked_placeholder_records_no_node():
    dense = Dense(2)
    p = K.placeholder(shape=(None, 3))
    y = dense(p)
    assert K.int_shape(y) == (None, 2)
    assert dense._inbound_nodes == [] and not hasattr(y, "_keras_history")
