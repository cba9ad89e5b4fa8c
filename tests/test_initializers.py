"""Initializers: every Keras 2 name, Keras's fans and scaling, repeatability through rkeras's
seeded generator, and get/serialize/deserialize."""

from __future__ import annotations

import math

import numpy as np
import pytest

from rkeras import backend as K
from rkeras import initializers, utils
from rkeras.initializers.base import compute_fans
from rkeras.utils.generic_utils import custom_object_scope, register_keras_serializable

KERAS2_NAMES = ["zeros", "ones", "constant", "random_normal", "random_uniform",
                "truncated_normal", "variance_scaling", "orthogonal", "identity",
                "lecun_uniform", "lecun_normal", "glorot_uniform", "glorot_normal",
                "he_uniform", "he_normal", "uniform", "normal"]
CLASS_NAMES = ["Zeros", "Ones", "Constant", "RandomNormal", "RandomUniform", "TruncatedNormal",
               "VarianceScaling", "Orthogonal", "Identity", "GlorotUniform", "GlorotNormal",
               "HeUniform", "HeNormal", "LecunUniform", "LecunNormal"]


@pytest.mark.parametrize("name", KERAS2_NAMES + CLASS_NAMES)
def test_every_name_builds_a_float32_initializer(name):
    init = initializers.get(name)
    assert isinstance(init, initializers.Initializer)
    out = init((6, 6), dtype="float32")
    assert isinstance(out, np.ndarray) and out.dtype == np.float32 and out.shape == (6, 6)
    assert isinstance(getattr(initializers, name)(), type(init))


def test_keras1_strings():
    assert type(initializers.get("uniform")) is initializers.RandomUniform
    assert type(initializers.get("normal")) is initializers.RandomNormal
    assert initializers.get("uniform").get_config()["maxval"] == 0.05


def test_keras2_defaults():
    assert initializers.RandomNormal().get_config() == {"mean": 0.0, "stddev": 0.05,
                                                        "seed": None}
    assert initializers.RandomUniform().get_config() == {"minval": -0.05, "maxval": 0.05,
                                                         "seed": None}
    assert initializers.TruncatedNormal().stddev == 0.05
    assert initializers.VarianceScaling().get_config() == {
        "scale": 1.0, "mode": "fan_in", "distribution": "truncated_normal", "seed": None}
    assert initializers.glorot_uniform(seed=1).get_config() == {"seed": 1}


def test_deterministic_initializers():
    assert initializers.Zeros()((2, 3)).sum() == 0
    assert initializers.Ones()([4]).tolist() == [1.0] * 4
    np.testing.assert_array_equal(initializers.Constant(value=[1.0, 2.0])((3, 2)),
                                  [[1, 2]] * 3)
    np.testing.assert_array_equal(initializers.Identity(gain=3.0)((3, 3)), 3 * np.eye(3))
    with pytest.raises(ValueError, match="only be used for 2D matrices"):
        initializers.Identity()((2, 2, 2))


@pytest.mark.parametrize("shape,fans", [((), (1, 1)), ((7,), (7, 7)), ((3, 5), (3, 5)),
                                        ((3, 8, 16), (24, 48)), ((3, 3, 16, 32), (144, 288)),
                                        ((2, 3, 3, 4, 5), (72, 90))])
def test_fans_as_keras(shape, fans):
    assert compute_fans(shape) == fans


@pytest.mark.parametrize("mode", ["fan_in", "fan_out", "fan_avg"])
@pytest.mark.parametrize("distribution", ["truncated_normal", "normal", "untruncated_normal",
                                          "uniform"])
def test_variance_scaling_statistics(mode, distribution):
    utils.set_random_seed(7)
    shape = (3, 3, 64, 96)
    fan_in, fan_out = 3 * 3 * 64, 3 * 3 * 96
    n = {"fan_in": fan_in, "fan_out": fan_out, "fan_avg": (fan_in + fan_out) / 2}[mode]
    w = initializers.VarianceScaling(scale=2.0, mode=mode, distribution=distribution)(shape)
    target = math.sqrt(2.0 / n)
    # The truncation correction makes every distribution's stddev sqrt(scale / n).
    assert abs(w.std() - target) / target < 0.02
    assert abs(w.mean()) < 0.05 * target
    if distribution == "uniform":
        assert np.abs(w).max() <= math.sqrt(3.0) * target * (1 + 1e-6)
    if distribution in ("truncated_normal", "normal"):
        assert np.abs(w).max() <= 2 * target / 0.87962566103423978 * (1 + 1e-6)


@pytest.mark.parametrize("name,scale,mode,uniform", [
    ("glorot_uniform", 1.0, "fan_avg", True), ("glorot_normal", 1.0, "fan_avg", False),
    ("he_uniform", 2.0, "fan_in", True), ("he_normal", 2.0, "fan_in", False),
    ("lecun_uniform", 1.0, "fan_in", True), ("lecun_normal", 1.0, "fan_in", False)])
def test_named_variance_scalings(name, scale, mode, uniform):
    init = initializers.get(name)
    assert (init.scale, init.mode) == (scale, mode)
    assert init.distribution == ("uniform" if uniform else "truncated_normal")
    utils.set_random_seed(3)
    w = init((400, 300))
    n = {"fan_in": 400, "fan_avg": 350}[mode]
    assert abs(w.std() - math.sqrt(scale / n)) / math.sqrt(scale / n) < 0.02


def test_random_initializers_are_repeatable_with_the_process_seed():
    for name in ["random_normal", "random_uniform", "truncated_normal", "glorot_uniform",
                 "he_normal", "orthogonal", "variance_scaling"]:
        init = initializers.get(name)
        utils.set_random_seed(123)
        a = init((5, 4))
        b = init((5, 4))
        utils.set_random_seed(123)
        np.testing.assert_array_equal(init((5, 4)), a)
        assert not np.array_equal(a, b)
        K.set_random_seed(123)
        np.testing.assert_array_equal(init((5, 4)), a)


def test_random_ranges():
    utils.set_random_seed(0)
    w = initializers.RandomUniform(-0.3, 0.1)((2000,))
    assert w.min() >= -0.3 and w.max() <= 0.1 and abs(w.mean() + 0.1) < 0.01
    w = initializers.RandomNormal(mean=1.0, stddev=0.5)((20000,))
    assert abs(w.mean() - 1.0) < 0.02 and abs(w.std() - 0.5) < 0.02
    w = initializers.TruncatedNormal(mean=0.0, stddev=0.5)((20000,))
    assert np.abs(w).max() <= 1.0 + 1e-6


@pytest.mark.parametrize("shape", [(4, 4), (6, 3), (3, 6), (3, 3, 4, 8), (2, 5, 7)])
def test_orthogonal(shape):
    utils.set_random_seed(1)
    q = initializers.Orthogonal(gain=2.0)(shape)
    assert q.shape == shape and q.dtype == np.float32
    flat = q.reshape(-1, shape[-1]) / 2.0
    rows, cols = flat.shape
    if rows >= cols:
        np.testing.assert_allclose(flat.T @ flat, np.eye(cols), atol=1e-5)
    else:
        np.testing.assert_allclose(flat @ flat.T, np.eye(rows), atol=1e-5)
    with pytest.raises(ValueError, match="at least two-dimensional"):
        initializers.Orthogonal()((5,))


def test_invalid_arguments():
    with pytest.raises(ValueError, match="`scale` must be positive"):
        initializers.VarianceScaling(scale=0.0)
    with pytest.raises(ValueError, match="Invalid `mode` argument: fan_mid"):
        initializers.VarianceScaling(mode="fan_mid")
    with pytest.raises(ValueError, match="Invalid `distribution` argument: gamma"):
        initializers.VarianceScaling(distribution="gamma")


@pytest.mark.parametrize("init", [
    initializers.Zeros(), initializers.Constant(2.5), initializers.Constant(np.float32(1.5)),
    initializers.Identity(gain=0.5), initializers.RandomNormal(0.1, 0.2, seed=4),
    initializers.RandomUniform(-1, 1), initializers.TruncatedNormal(stddev=0.3),
    initializers.VarianceScaling(2.0, "fan_out", "uniform", seed=1),
    initializers.Orthogonal(gain=1.5), initializers.glorot_normal(seed=9),
    initializers.he_uniform()])
def test_serialize_round_trip(init):
    config = initializers.serialize(init)
    assert config["class_name"] == type(init).__name__
    back = initializers.deserialize(config)
    assert type(back) is type(init) and back.get_config() == init.get_config()
    assert initializers.get(config).get_config() == init.get_config()


def test_keras3_and_tf_configs():
    k3 = {"module": "keras.initializers", "class_name": "GlorotUniform",
          "config": {"seed": None}, "registered_name": None}
    assert type(initializers.get(k3)) is initializers.GlorotUniform
    tf1 = {"class_name": "RandomUniform", "config": {"minval": -1, "maxval": 1, "seed": None,
                                                     "dtype": "float32"}}
    assert initializers.get(tf1).maxval == 1


def test_get_callables_and_errors():
    fn = initializers.he_normal()
    assert initializers.get(fn) is fn
    assert initializers.get(None) is None
    assert type(initializers.get(initializers.Ones)) is initializers.Ones

    def my_init(shape, dtype=None):
        return np.full(shape, 7.0, np.float32)

    assert initializers.get(my_init) is my_init
    with pytest.raises(ValueError) as info:
        initializers.get("glorot_uniformm")
    message = str(info.value)
    assert message.startswith("Unknown initializer: 'glorot_uniformm'.")
    assert "'glorot_uniform'" in message and "'he_normal'" in message
    with pytest.raises(ValueError, match="Could not interpret initializer identifier"):
        initializers.get(3.5)


def test_custom_initializers_by_scope_and_registration():
    class Sevens(initializers.Initializer):
        def __call__(self, shape, dtype=None):
            return np.full(shape, 7.0, np.float32)

    with custom_object_scope({"Sevens": Sevens}):
        assert type(initializers.get("Sevens")) is Sevens
        assert type(initializers.deserialize(initializers.serialize(Sevens()))) is Sevens

    @register_keras_serializable(package="Test")
    class Eights(initializers.Initializer):
        def __call__(self, shape, dtype=None):
            return np.full(shape, 8.0, np.float32)

    config = initializers.serialize(Eights())
    assert config["class_name"] == "Test>Eights"
    assert initializers.deserialize(config)((1,)).tolist() == [8.0]
