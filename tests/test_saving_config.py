"""Configs and JSON: to_json / model_from_json / model_from_config, Keras 3 configs, custom
objects and Lambda safe mode."""

from __future__ import annotations

import json

import numpy as np
import pytest

from rkeras import backend as K
from rkeras import layers, models
from rkeras.saving.lambda_code import func_dump
from rkeras.utils import custom_object_scope, register_keras_serializable


@pytest.fixture(autouse=True)
def _fresh():
    K.clear_session()
    yield
    K.clear_session()


def _functional():
    a = layers.Input(shape=(4,), name="a")
    b = layers.Input(shape=(3,), name="b")
    h = layers.concatenate([layers.Dense(5, activation="tanh", name="da")(a),
                            layers.Dense(2, name="db")(b)], name="cat")
    return models.Model([a, b], layers.Dense(1, name="out")(h), name="two")


def test_sequential_json_roundtrip_keras2_format(rng):
    model = models.Sequential([layers.Dense(4, activation="relu", input_shape=(3,)),
                               layers.Dropout(0.5), layers.Dense(2)], name="seq")
    data = json.loads(model.to_json())
    assert data["class_name"] == "Sequential" and "keras_version" in data
    assert data["config"]["layers"][0]["config"]["batch_input_shape"] == [None, 3]
    clone = models.model_from_json(model.to_json())
    assert [type(la).__name__ for la in clone.layers] == ["Dense", "Dropout", "Dense"]
    assert clone.get_config() == model.get_config()


def test_functional_json_roundtrip_predicts_same_after_set_weights(rng):
    model = _functional()
    data = json.loads(model.to_json())
    assert data["class_name"] == "Functional"
    assert data["config"]["input_layers"] == [["a", 0, 0], ["b", 0, 0]]
    assert data["config"]["layers"][-1]["inbound_nodes"] == [[["cat", 0, 0, {}]]]
    clone = models.model_from_json(model.to_json())
    clone.set_weights(model.get_weights())
    xs = [rng.normal(size=(2, 4)).astype("float32"), rng.normal(size=(2, 3)).astype("float32")]
    np.testing.assert_allclose(clone.predict(xs, verbose=0), model.predict(xs, verbose=0),
                               rtol=1e-6)


def test_model_from_config_accepts_keras3_functional_config():
    tensor = {"class_name": "__keras_tensor__",
              "config": {"shape": [None, 2], "dtype": "float32", "keras_history": ["x", 0, 0]}}
    policy = {"module": "keras", "class_name": "DTypePolicy", "config": {"name": "float32"},
              "registered_name": None}
    config = {"module": "keras.src.models.functional", "class_name": "Functional",
              "registered_name": "Functional",
              "config": {"name": "k3", "trainable": True, "layers": [
                  {"module": "keras.layers", "class_name": "InputLayer", "registered_name": None,
                   "config": {"batch_shape": [None, 2], "dtype": "float32", "sparse": False,
                              "ragged": False, "name": "x", "optional": False},
                   "name": "x", "inbound_nodes": []},
                  {"module": "keras.layers", "class_name": "Dense", "registered_name": None,
                   "config": {"name": "d", "trainable": True, "dtype": policy, "units": 3,
                              "activation": "relu", "use_bias": True,
                              "kernel_initializer": {
                                  "module": "keras.initializers", "class_name": "GlorotUniform",
                                  "config": {"seed": None}, "registered_name": None},
                              "bias_initializer": "zeros", "kernel_regularizer": None,
                              "bias_regularizer": None, "kernel_constraint": None,
                              "bias_constraint": None, "quantization_config": None},
                   "build_config": {"input_shape": [None, 2]},
                   "name": "d", "inbound_nodes": [{"args": [tensor], "kwargs": {}}]}],
                  "input_layers": [["x", 0, 0]], "output_layers": ["d", 0, 0]}}
    model = models.model_from_config(config)
    assert model.output_shape == (None, 3) and model.layers[1].activation.__name__ == "relu"


def test_model_from_config_rejects_a_list():
    with pytest.raises(TypeError, match="expects a dictionary"):
        models.model_from_config([{"class_name": "Dense", "config": {}}])


class Scale(layers.Layer):
    def __init__(self, factor=2.0, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, inputs):
        return inputs * self.factor

    def get_config(self):
        return {**super().get_config(), "factor": self.factor}


def _custom_model():
    x = layers.Input(shape=(2,))
    return models.Model(x, Scale(3.0, name="scale")(x))


def test_custom_layer_needs_custom_objects():
    text = _custom_model().to_json()
    with pytest.raises(ValueError, match="Unknown layer: 'Scale'"):
        models.model_from_json(text)
    assert models.model_from_json(text, custom_objects={"Scale": Scale}).layers[1].factor == 3.0
    with custom_object_scope({"Scale": Scale}):
        assert models.model_from_json(text).layers[1].factor == 3.0


def test_registered_custom_layer_roundtrips_by_registered_name():
    @register_keras_serializable(package="Test")
    class Shift(layers.Layer):
        def call(self, inputs):
            return inputs + 1.0

    x = layers.Input(shape=(2,))
    model = models.Model(x, Shift(name="shift")(x))
    assert type(models.model_from_json(model.to_json()).layers[1]).__name__ == "Shift"
    k3 = {"module": None, "class_name": "Shift", "registered_name": "Test>Shift",
          "config": {"name": "s", "trainable": True, "dtype": "float32"}}
    assert isinstance(layers.deserialize(k3), Shift)


def test_keras3_lambda_code_loads_only_without_safe_mode():
    code, defaults, closure = func_dump(lambda t: t * 2.0)
    config = {"name": "lam", "trainable": True, "dtype": "float32",
              "function": {"class_name": "__lambda__",
                           "config": {"code": code, "defaults": defaults, "closure": closure}},
              "arguments": {}}
    data = {"class_name": "Lambda", "config": config}
    with pytest.raises(ValueError, match="safe_mode=False"):
        layers.deserialize(data)
    with pytest.raises(ValueError, match="arbitrary code execution"):
        models.model_from_config(data)
    layer = models.model_from_config(data, safe_mode=False)
    assert layer(np.ones((1, 2), "float32")).tolist() == [[2.0, 2.0]]
