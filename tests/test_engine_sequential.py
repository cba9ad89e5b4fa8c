"""Sequential models: building, summary, naming, weights, errors (Keras 2 behaviour)."""

from __future__ import annotations

import numpy as np
import pytest

import rkeras as keras
from rkeras import backend as K
from rkeras.layers import Dense, Dropout, Flatten, Input, InputLayer, Reshape
from rkeras.models import Model, Sequential

pytestmark = pytest.mark.usefixtures("fresh_graph")

SEED_SUMMARY = """\
Model: "sequential_1"
_________________________________________________________________
Layer (type)                 Output Shape              Param #
=================================================================
dense_1 (Dense)              (None, 784)               615440
_________________________________________________________________
dense_2 (Dense)              (None, 100)               78500
_________________________________________________________________
dense_3 (Dense)              (None, 10)                1010
=================================================================
Total params: 694,950
Trainable params: 694,950
Non-trainable params: 0
_________________________________________________________________"""


def seed_mlp():
    model = Sequential()
    model.add(Dense(784, activation="relu", input_shape=(784,)))
    model.add(Dense(100, activation="relu"))
    model.add(Dense(10, activation="softmax"))
    return model


def test_seed_mlp_summary_is_keras_2_table():
    model = seed_mlp()
    lines: list = []
    assert model.summary(print_fn=lines.append) is None
    assert [line.rstrip() for line in lines] == SEED_SUMMARY.splitlines()
    # Keras pads every row to the line length
    assert all(len(line) == 65 for line in lines[1:10])


def test_print_summary_prints_table_then_none(capsys):
    model = seed_mlp()
    print(model.summary())
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == "None"
    assert out[0] == 'Model: "sequential_1"'
    assert "Total params: 694,950" in out


def test_summary_line_length_and_positions():
    model = seed_mlp()
    lines: list = []
    model.summary(line_length=80, positions=[0.5, 0.8, 1.0], print_fn=lines.append)
    assert lines[1] == "_" * 80
    assert lines[2].startswith("Layer (type)" + " " * 28 + "Output Shape")


def test_seed_mlp_attributes():
    model = seed_mlp()
    assert model.name == "sequential_1"
    assert [layer.name for layer in model.layers] == ["dense_1", "dense_2", "dense_3"]
    assert model.input_names == ["dense_1_input"]
    assert model.output_names == ["dense_3"]
    assert model.input_shape == (None, 784)
    assert model.output_shape == (None, 10)
    assert len(model.inputs) == 1 and K.int_shape(model.inputs[0]) == (None, 784)
    assert len(model.weights) == 6 and len(model.trainable_weights) == 6
    assert model.non_trainable_weights == []
    assert model.count_params() == 694950
    assert [w.shape for w in model.get_weights()] == [
        (784, 784), (784,), (784, 100), (100,), (100, 10), (10,)]
    assert model.weights[0].name == "dense_1/kernel:0"


def test_constructor_list_and_input_dim():
    model = Sequential([Dense(4, input_dim=3), Dense(2)], name="small")
    assert model.name == "small"
    assert model.output_shape == (None, 2)
    assert model.count_params() == 16 + 10


def test_batch_input_shape_and_explicit_input_layer():
    model = Sequential([Dense(4, batch_input_shape=(32, 3))])
    assert model.input_shape == (32, 3)
    model2 = Sequential()
    model2.add(InputLayer(input_shape=(5,)))
    model2.add(Dense(2))
    assert model2.output_shape == (None, 2)
    assert [layer.name for layer in model2.layers] == ["dense_2"]
    model3 = Sequential([Input(shape=(6,)), Dense(1)])
    assert model3.input_shape == (None, 6)


def test_deferred_build():
    model = Sequential([Dense(8, activation="relu"), Dense(2)])
    assert not model.built
    assert [layer.name for layer in model.layers] == ["dense_1", "dense_2"]
    with pytest.raises(ValueError, match="has not yet been built"):
        model.summary()
    with pytest.raises(ValueError, match="isn't built"):
        model.count_params()
    model.build((None, 5))
    assert model.built
    assert model.input_names == ["sequential_1_input"]
    assert model.output_shape == (None, 2)
    assert model.count_params() == 48 + 18
    # adding after the build keeps building
    model.add(Dense(3))
    assert model.output_shape == (None, 3)


def test_deferred_model_builds_when_called_on_data():
    model = Sequential([Dense(3)])
    out = model(np.ones((2, 4), np.float32))
    assert out.shape == (2, 3) and model.built
    assert model.input_shape == (None, 4)  # the batch size of the data is not baked in
    assert model(np.ones((5, 4), np.float32)).shape == (5, 3)


def test_add_with_incompatible_shape_names_the_layer():
    model = Sequential([Dense(10, input_shape=(784,))])
    with pytest.raises(ValueError, match='reshape_1'):
        model.add(Reshape((3, 3)))
    assert [layer.name for layer in model.layers] == ["dense_1"]


def test_wrong_input_shape_message():
    model = seed_mlp()
    with pytest.raises(ValueError) as err:
        model.layers[0](Input(shape=(100,)))
    assert str(err.value) == (
        'Input 0 of layer "dense_1" is incompatible with the layer: expected axis -1 of input '
        "shape to have value 784, but received input with shape (None, 100)")


def test_duplicate_names_rejected():
    model = Sequential([Dense(2, input_shape=(3,), name="d")])
    with pytest.raises(ValueError, match='Name "d" is already the name of a layer'):
        model.add(Dense(2, name="d"))


def test_add_non_layer_rejected():
    with pytest.raises(TypeError, match="must be an instance of class Layer"):
        Sequential().add("dense")


def test_pop():
    model = seed_mlp()
    model.pop()
    assert model.output_shape == (None, 100)
    assert model.output_names == ["dense_2"]
    assert model.count_params() == 615440 + 78500
    model.pop()
    model.pop()
    assert model.layers == []
    with pytest.raises(TypeError, match="There are no layers in the model."):
        model.pop()


def test_get_layer():
    model = seed_mlp()
    assert model.get_layer("dense_2") is model.layers[1]
    assert model.get_layer(index=0).name == "dense_1"
    with pytest.raises(ValueError, match="No such layer: nope"):
        model.get_layer("nope")
    with pytest.raises(ValueError, match="Was asked to retrieve layer at index 7 but model only "
                                         "has 3 layers."):
        model.get_layer(index=7)
    with pytest.raises(ValueError, match="Provide either a layer name or layer index."):
        model.get_layer()


def test_get_set_weights_roundtrip(rng):
    model = Sequential([Dense(3, input_shape=(2,)), Dense(1)])
    new = [rng.normal(size=w.shape).astype(np.float32) for w in model.get_weights()]
    model.set_weights(new)
    for a, b in zip(model.get_weights(), new):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="Layer weight shape"):
        model.set_weights([np.zeros((9, 9))] + new[1:])
    with pytest.raises(ValueError, match="weight list of length 1"):
        model.set_weights(new[:1])


def test_forward_matches_numpy(rng):
    model = Sequential([Dense(5, activation="relu", input_shape=(4,)), Dropout(0.3),
                        Dense(3, activation="softmax")])
    x = rng.normal(size=(6, 4)).astype(np.float32)
    w1, b1, w2, b2 = model.get_weights()
    h = np.maximum(x @ w1 + b1, 0)
    z = h @ w2 + b2
    expected = np.exp(z - z.max(1, keepdims=True))
    expected /= expected.sum(1, keepdims=True)
    np.testing.assert_allclose(model(x), expected, rtol=1e-5, atol=1e-6)


def test_trainable_false_moves_weights():
    model = seed_mlp()
    model.layers[0].trainable = False
    assert len(model.trainable_weights) == 4
    assert len(model.non_trainable_weights) == 2
    lines: list = []
    model.summary(print_fn=lines.append)
    assert "Trainable params: 79,510" in lines
    assert "Non-trainable params: 615,440" in lines
    model.trainable = False
    assert model.trainable_weights == [] and len(model.non_trainable_weights) == 6


def test_nested_sequential():
    inner = Sequential([Dense(3, input_shape=(2,)), Dense(4)])
    outer = Sequential([inner, Dense(1)])
    assert outer.output_shape == (None, 1)
    assert [layer.name for layer in outer.layers] == ["sequential_1", "dense_3"]
    assert outer.count_params() == 9 + 16 + 5
    assert outer(np.ones((3, 2))).shape == (3, 1)


def test_sequential_inside_functional_model():
    seq = Sequential([Dense(3, input_shape=(2,))])
    x = Input(shape=(2,))
    model = Model(x, Dense(1)(seq(x)))
    lines: list = []
    model.summary(print_fn=lines.append)
    assert any(line.startswith("sequential_1 (Sequential)") for line in lines)


def test_names_reset_by_clear_session():
    Dense(1)
    Sequential()
    K.clear_session()
    assert Dense(1).name == "dense_1"
    assert Sequential().name == "sequential_1"
    assert Dropout(0.1).name == "dropout_1"


def test_keras_alias_import():
    assert keras.models.Sequential is Sequential
    assert keras.layers.Dense is Dense
    assert Flatten.__module__ == "rkeras.layers.core"


def test_get_config_and_from_config():
    model = Sequential([Dense(3, input_shape=(2,), activation="relu"), Dropout(0.5)])
    config = model.get_config()
    assert config["name"] == "sequential_1"
    assert [c["class_name"] for c in config["layers"]] == ["Dense", "Dropout"]
    assert config["layers"][0]["config"]["batch_input_shape"] == (None, 2)
    K.clear_session()
    clone = Sequential.from_config(config)
    assert clone.output_shape == (None, 3)
    assert [layer.name for layer in clone.layers] == ["dense_1", "dropout_1"]
