"""Optimizers: arguments (Keras 2 and 3 spellings), variables, config, get(), Rust contract,
and the NumPy reference update rules."""

from __future__ import annotations

import numpy as np
import pytest

import rkeras as keras
from rkeras import backend as K
from rkeras import optimizers
from rkeras.backend import Variable

ALL = [optimizers.SGD, optimizers.RMSprop, optimizers.Adagrad, optimizers.Adadelta,
       optimizers.Adam, optimizers.Adamax, optimizers.Nadam]


def lr(opt) -> float:
    return float(K.get_value(opt.lr))


# ----------------------------------------------------------------------------- arguments


@pytest.mark.parametrize("cls, default", [
    (optimizers.SGD, 0.01), (optimizers.RMSprop, 0.001), (optimizers.Adagrad, 0.001),
    (optimizers.Adadelta, 0.001), (optimizers.Adam, 0.001), (optimizers.Adamax, 0.001),
    (optimizers.Nadam, 0.001),
])
def test_default_learning_rates(cls, default):
    opt = cls()
    assert opt.get_config()["learning_rate"] == default
    assert lr(opt) == pytest.approx(default)


@pytest.mark.parametrize("cls", ALL)
def test_lr_and_learning_rate_spellings(cls):
    assert lr(cls(lr=0.5)) == 0.5
    assert lr(cls(learning_rate=0.25)) == 0.25
    assert lr(cls(0.125)) == 0.125
    with pytest.raises(ValueError, match="Both `lr` and `learning_rate` were given"):
        cls(lr=0.1, learning_rate=0.2)
    # Giving the default value explicitly still counts as giving it.
    default = cls().get_config()["learning_rate"]
    with pytest.raises(ValueError, match="Both `lr` and `learning_rate`"):
        cls(learning_rate=default, lr=0.1)


def test_integer_and_numpy_learning_rates():
    assert lr(optimizers.Adadelta(lr=1)) == 1.0
    assert lr(optimizers.SGD(np.float64(0.5))) == 0.5
    with pytest.raises(TypeError, match="Argument `learning_rate` should be a float"):
        optimizers.SGD("fast")
    with pytest.raises(TypeError, match="learning-rate schedule objects"):
        optimizers.SGD(lambda step: 0.1)


def test_unexpected_and_unsupported_arguments():
    with pytest.raises(TypeError, match="Unexpected keyword argument.*momentun"):
        optimizers.SGD(momentun=0.9)
    # Keras-3 arguments at their "off" value are accepted, others are not supported.
    optimizers.Adam(weight_decay=None, use_ema=False, ema_momentum=0.99,
                    loss_scale_factor=None, gradient_accumulation_steps=None)
    with pytest.raises(NotImplementedError, match="`weight_decay`"):
        optimizers.Adam(weight_decay=0.01)
    with pytest.raises(NotImplementedError, match="`use_ema`"):
        optimizers.Adam(use_ema=True)


def test_sgd_momentum_range():
    with pytest.raises(ValueError, match=r"`momentum` must be a float between \[0, 1\]."):
        optimizers.SGD(momentum=1.5)
    with pytest.raises(ValueError, match="momentum"):
        optimizers.SGD(momentum=-0.1)


def test_positional_arguments_follow_keras():
    opt = optimizers.SGD(0.1, 0.9, True)
    assert (opt.momentum, opt.nesterov) == (0.9, True)
    opt = optimizers.Adam(0.002, 0.8, 0.99, 1e-8, True)
    assert (opt.beta_1, opt.beta_2, opt.epsilon, opt.amsgrad) == (0.8, 0.99, 1e-8, True)
    opt = optimizers.RMSprop(0.01, 0.8, 0.5, 1e-6, True)
    assert (opt.rho, opt.momentum, opt.epsilon, opt.centered) == (0.8, 0.5, 1e-6, True)


def test_epsilon_none_is_backend_epsilon():
    for cls in [optimizers.RMSprop, optimizers.Adagrad, optimizers.Adadelta, optimizers.Adam,
                optimizers.Adamax, optimizers.Nadam]:
        assert cls(epsilon=None).epsilon == K.epsilon()


def test_clip_arguments():
    opt = optimizers.Adam(clipnorm=1.0, clipvalue=0.5)  # Keras 2 allowed both
    assert opt.rust_config()["clipnorm"] == 1.0 and opt.rust_config()["clipvalue"] == 0.5
    assert optimizers.SGD(global_clipnorm=2).rust_config()["global_clipnorm"] == 2.0
    with pytest.raises(ValueError, match="Only one of `clipnorm`, `clipvalue` and "
                                         "`global_clipnorm` can be set"):
        optimizers.SGD(clipnorm=1.0, global_clipnorm=1.0)
    # Keras 2 treats 0 as "no clipping".
    cfg = optimizers.SGD(clipnorm=0.0, clipvalue=0).rust_config()
    assert cfg["clipnorm"] is None and cfg["clipvalue"] is None


def test_decay_argument():
    opt = optimizers.SGD(lr=0.1, decay=0.5)
    assert opt.decay == 0.5 and opt.initial_decay == 0.5
    assert opt.rust_config()["decay"] == 0.5
    assert opt.current_learning_rate() == pytest.approx(0.1)
    opt.iterations.assign(4.0)
    assert opt.current_learning_rate() == pytest.approx(0.1 / (1 + 0.5 * 4))
    assert optimizers.Adam(decay=None).decay == 0.0
    with pytest.raises(ValueError, match="`decay` must be >= 0"):
        optimizers.Adam(decay=-1.0)


# ----------------------------------------------------------------------------- variables


def test_learning_rate_is_a_backend_variable_shared_with_lr():
    opt = optimizers.Adam(lr=0.001)
    assert isinstance(opt.learning_rate, Variable) and opt.lr is opt.learning_rate
    var = opt.learning_rate
    K.set_value(opt.lr, 0.01)  # the Keras-2 idiom
    assert float(K.get_value(opt.learning_rate)) == pytest.approx(0.01)
    opt.lr = 0.02
    assert lr(opt) == pytest.approx(0.02)
    opt.learning_rate = np.float32(0.03)
    assert lr(opt) == pytest.approx(0.03)
    opt.learning_rate.assign(0.04)
    assert lr(opt) == pytest.approx(0.04)
    opt.lr = K.variable(0.05)
    assert lr(opt) == pytest.approx(0.05)
    assert opt.learning_rate is var  # always assigned in place
    assert opt.get_config()["learning_rate"] == 0.05


def test_iterations_variable():
    opt = optimizers.SGD()
    assert isinstance(opt.iterations, Variable)
    assert float(K.get_value(opt.iterations)) == 0.0
    opt.iterations.assign(7.0)
    assert int(K.get_value(opt.iterations)) == 7
    assert opt.variables[:2] == [opt.iterations, opt.learning_rate]
    assert opt.weights == [opt.iterations]
    assert [float(w) for w in opt.get_weights()] == [7.0]
    opt.set_weights([np.array(3.0, np.float32)])
    assert float(K.get_value(opt.iterations)) == 3.0
    with pytest.raises(ValueError, match="does not match the number of weights"):
        opt.set_weights([])


# ----------------------------------------------------------------------------- config


@pytest.mark.parametrize("cls", ALL)
def test_get_config_round_trip(cls):
    opt = cls(lr=0.05, decay=1e-4, clipnorm=1.0, name="my_opt")
    config = opt.get_config()
    assert config["name"] == "my_opt" and config["learning_rate"] == 0.05
    assert config["decay"] == 1e-4 and config["clipnorm"] == 1.0
    assert "clipvalue" not in config and "global_clipnorm" not in config
    clone = cls.from_config(config)
    assert type(clone) is cls and clone.get_config() == config
    assert clone.learning_rate is not opt.learning_rate
    assert clone.rust_config() == opt.rust_config()


def test_get_config_keys():
    assert optimizers.SGD(momentum=0.9, nesterov=True).get_config() == {
        "name": "sgd", "learning_rate": 0.01, "decay": 0.0, "momentum": 0.9, "nesterov": True}
    assert optimizers.Adam(amsgrad=True).get_config() == {
        "name": "adam", "learning_rate": 0.001, "decay": 0.0, "beta_1": 0.9, "beta_2": 0.999,
        "epsilon": 1e-7, "amsgrad": True}
    assert optimizers.RMSprop(centered=True).get_config() == {
        "name": "rmsprop", "learning_rate": 0.001, "decay": 0.0, "rho": 0.9, "momentum": 0.0,
        "epsilon": 1e-7, "centered": True}


def test_from_keras3_and_tf_keras_configs():
    keras3 = {"name": "adam", "learning_rate": 0.002, "weight_decay": None, "clipnorm": None,
              "global_clipnorm": None, "clipvalue": None, "use_ema": False,
              "ema_momentum": 0.99, "ema_overwrite_frequency": None,
              "loss_scale_factor": None, "gradient_accumulation_steps": None,
              "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-07, "amsgrad": False}
    opt = optimizers.Adam.from_config(keras3)
    assert lr(opt) == pytest.approx(0.002)
    tf_keras = {"name": "SGD", "learning_rate": 0.01, "decay": 0.0, "momentum": 0.0,
                "nesterov": False, "is_legacy_optimizer": False, "jit_compile": True}
    assert optimizers.SGD.from_config(tf_keras).name == "SGD"
    keras2 = {"lr": 0.1, "momentum": 0.9, "decay": 1e-6, "nesterov": True}  # Keras 2.2
    assert lr(optimizers.SGD.from_config(keras2)) == pytest.approx(0.1)
    with pytest.raises(TypeError, match="schedule"):
        optimizers.Adam.from_config({"learning_rate": {"class_name": "ExponentialDecay"}})


def test_serialize_deserialize():
    opt = optimizers.RMSprop(lr=0.01, rho=0.8)
    data = optimizers.serialize(opt)
    assert data["class_name"] == "RMSprop"
    clone = optimizers.deserialize(data)
    assert isinstance(clone, optimizers.RMSprop) and clone.rho == 0.8
    with pytest.raises(ValueError, match="Improper config format"):
        optimizers.deserialize({"config": {}})

    class MyOpt(optimizers.SGD):
        pass

    custom = optimizers.deserialize({"class_name": "MyOpt", "config": {"lr": 0.2}},
                                    custom_objects={"MyOpt": MyOpt})
    assert type(custom) is MyOpt and lr(custom) == pytest.approx(0.2)


# ----------------------------------------------------------------------------- get()


@pytest.mark.parametrize("name, cls", [
    ("sgd", optimizers.SGD), ("SGD", optimizers.SGD), ("rmsprop", optimizers.RMSprop),
    ("RMSprop", optimizers.RMSprop), ("adagrad", optimizers.Adagrad),
    ("Adagrad", optimizers.Adagrad), ("adadelta", optimizers.Adadelta),
    ("Adadelta", optimizers.Adadelta), ("adam", optimizers.Adam), ("Adam", optimizers.Adam),
    ("ADAM", optimizers.Adam), ("adamax", optimizers.Adamax), ("Adamax", optimizers.Adamax),
    ("nadam", optimizers.Nadam), ("Nadam", optimizers.Nadam),
])
def test_get_by_name(name, cls):
    opt = optimizers.get(name)
    assert type(opt) is cls
    assert optimizers.get(name) is not opt  # a fresh instance each time


def test_get_dict_instance_none_and_errors():
    opt = optimizers.Adam()
    assert optimizers.get(opt) is opt
    assert optimizers.get(None) is None
    from_dict = optimizers.get({"class_name": "SGD", "config": {"learning_rate": 0.3}})
    assert isinstance(from_dict, optimizers.SGD) and lr(from_dict) == pytest.approx(0.3)
    keras3_dict = {"module": "keras.optimizers", "class_name": "Adam",
                   "config": {"learning_rate": 0.01}, "registered_name": None}
    assert isinstance(optimizers.get(keras3_dict), optimizers.Adam)
    for bad in ["adamw", "ftrl", 3, {"class_name": "Lion", "config": {}}]:
        with pytest.raises(ValueError) as info:
            optimizers.get(bad)
        msg = str(info.value)
        assert "Could not interpret optimizer identifier" in msg
        for name in ["'adadelta'", "'adagrad'", "'adam'", "'adamax'", "'nadam'", "'rmsprop'",
                     "'sgd'"]:
            assert name in msg


def test_keras2_module_aliases():
    assert keras.optimizers.sgd is optimizers.SGD and keras.optimizers.adam is optimizers.Adam
    with pytest.raises(TypeError, match="abstract"):
        optimizers.Optimizer(0.1)


# ----------------------------------------------------------------------------- Rust contract


def test_rust_config_keys_per_optimizer():
    common = {"decay": 0.0, "clipnorm": None, "clipvalue": None, "global_clipnorm": None}
    assert optimizers.SGD(momentum=0.9, nesterov=True).rust_config() == dict(
        kind="sgd", momentum=0.9, nesterov=True, **common)
    assert optimizers.RMSprop().rust_config() == dict(
        kind="rmsprop", rho=0.9, momentum=0.0, epsilon=1e-7, centered=False, **common)
    assert optimizers.Adagrad().rust_config() == dict(
        kind="adagrad", initial_accumulator_value=0.1, epsilon=1e-7, **common)
    assert optimizers.Adadelta().rust_config() == dict(
        kind="adadelta", rho=0.95, epsilon=1e-7, **common)
    assert optimizers.Adam().rust_config() == dict(
        kind="adam", beta_1=0.9, beta_2=0.999, epsilon=1e-7, amsgrad=False, **common)
    assert optimizers.Adamax().rust_config() == dict(
        kind="adamax", beta_1=0.9, beta_2=0.999, epsilon=1e-7, **common)
    assert optimizers.Nadam().rust_config() == dict(
        kind="nadam", beta_1=0.9, beta_2=0.999, epsilon=1e-7, **common)


def test_rust_config_value_types():
    cfg = optimizers.SGD(momentum=1, nesterov=1).rust_config()
    assert type(cfg["momentum"]) is float and type(cfg["nesterov"]) is bool
    assert all(type(v) in (str, float, bool, type(None)) for v in cfg.values())


def test_slot_names_mirror_rust():
    assert optimizers.SGD().slot_names() == []
    assert optimizers.SGD(momentum=0.5).slot_names() == ["momentum"]
    assert optimizers.RMSprop().slot_names() == ["velocity"]
    assert optimizers.RMSprop(momentum=0.9, centered=True).slot_names() == [
        "velocity", "momentum", "average_gradient"]
    assert optimizers.RMSprop(centered=True).slot_names() == ["velocity", "average_gradient"]
    assert optimizers.Adagrad().slot_names() == ["accumulator"]
    assert optimizers.Adadelta().slot_names() == ["accumulated_grad", "accumulated_delta_var"]
    assert optimizers.Adam().slot_names() == ["momentum", "velocity"]
    assert optimizers.Adam(amsgrad=True).slot_names() == ["momentum", "velocity",
                                                          "velocity_hat"]
    assert optimizers.Adamax().slot_names() == ["momentum", "norm"]
    assert optimizers.Nadam().slot_names() == ["momentum", "velocity"]


# ----------------------------------------------------------------------------- NumPy reference

PARAM = np.array([0.5, -1.0, 2.0], np.float32)
GRADS = [np.array([0.1, -0.2, 0.3], np.float32), np.array([-0.5, 0.4, 0.05], np.float32),
         np.array([0.2, 0.2, -0.1], np.float32)]


def run(opt, steps=5):
    w = K.variable(PARAM)
    for s in range(steps):
        opt.apply_gradients_numpy([(GRADS[s % 3], w)])
    assert float(K.get_value(opt.iterations)) == steps
    return np.asarray(K.get_value(w), np.float64)


def reference(kind, lr, steps=5, **h):
    """Straightforward float64 Keras-3 update rules."""
    p = PARAM.astype(np.float64)
    n = len(p)
    s1, s2, s3 = np.zeros(n), np.zeros(n), np.zeros(n)
    if kind == "adagrad":
        s1 += h.get("initial_accumulator_value", 0.1)
    u_product = 1.0
    for s in range(steps):
        g = GRADS[s % 3].astype(np.float64)
        t = s + 1
        if kind == "sgd":
            s1 = h["momentum"] * s1 - lr * g
            p = p + (h["momentum"] * s1 - lr * g if h.get("nesterov") else s1)
        elif kind == "rmsprop":
            rho = 0.9
            s1 = rho * s1 + (1 - rho) * g * g
            if h.get("centered"):
                s3 = rho * s3 + (1 - rho) * g
                denom = s1 - s3 * s3 + 1e-7
            else:
                denom = s1 + 1e-7
            inc = lr * g / np.sqrt(denom)
            if h.get("momentum", 0) > 0:
                s2 = h["momentum"] * s2 + inc
                p = p - s2
            else:
                p = p - inc
        elif kind == "adagrad":
            s1 += g * g
            p = p - lr * g / np.sqrt(s1 + 1e-7)
        elif kind == "adadelta":
            s1 = 0.95 * s1 + 0.05 * g * g
            delta = -np.sqrt(s2 + 1e-7) * g / np.sqrt(s1 + 1e-7)
            s2 = 0.95 * s2 + 0.05 * delta * delta
            p = p + lr * delta
        elif kind == "adam":
            alpha = lr * np.sqrt(1 - 0.999 ** t) / (1 - 0.9 ** t)
            s1 += (g - s1) * 0.1
            s2 += (g * g - s2) * 0.001
            v = s2
            if h.get("amsgrad"):
                s3 = np.maximum(s3, s2)
                v = s3
            p = p - s1 * alpha / (np.sqrt(v) + 1e-7)
        elif kind == "adamax":
            s1 += (g - s1) * 0.1
            s2 = np.maximum(0.999 * s2, np.abs(g))
            p = p - lr * s1 / ((1 - 0.9 ** t) * (s2 + 1e-7))
        elif kind == "nadam":
            u_t = 0.9 * (1 - 0.5 * 0.96 ** t)
            u_t1 = 0.9 * (1 - 0.5 * 0.96 ** (t + 1))
            u_product *= u_t
            s1 += (g - s1) * 0.1
            s2 += (g * g - s2) * 0.001
            m_hat = u_t1 * s1 / (1 - u_product * u_t1) + (1 - u_t) * g / (1 - u_product)
            v_hat = s2 / (1 - 0.999 ** t)
            p = p - m_hat * lr / (np.sqrt(v_hat) + 1e-7)
    return p


@pytest.mark.parametrize("cls, kind, kwargs", [
    (optimizers.SGD, "sgd", {"momentum": 0.0}),
    (optimizers.SGD, "sgd", {"momentum": 0.9}),
    (optimizers.SGD, "sgd", {"momentum": 0.9, "nesterov": True}),
    (optimizers.RMSprop, "rmsprop", {}),
    (optimizers.RMSprop, "rmsprop", {"momentum": 0.5, "centered": True}),
    (optimizers.Adagrad, "adagrad", {}),
    (optimizers.Adagrad, "adagrad", {"initial_accumulator_value": 0.0}),
    (optimizers.Adadelta, "adadelta", {}),
    (optimizers.Adam, "adam", {}),
    (optimizers.Adam, "adam", {"amsgrad": True}),
    (optimizers.Adamax, "adamax", {}),
    (optimizers.Nadam, "nadam", {}),
])
def test_numpy_reference_matches_float64_rules(cls, kind, kwargs):
    lr = 10.0 if kind == "adadelta" else 0.05
    got = run(cls(learning_rate=lr, **kwargs))
    np.testing.assert_allclose(got, reference(kind, lr, **kwargs), rtol=1e-5, atol=1e-6)


def test_numpy_reference_slots_and_weights():
    opt = optimizers.Adam(amsgrad=True)
    w = K.variable(PARAM)
    opt.apply_gradients_numpy([(GRADS[0], w)])
    assert len(opt.weights) == 4 and len(opt.variables) == 5
    assert [v.name for v in opt.weights[1:]] == [f"{w.name}_momentum", f"{w.name}_velocity",
                                                f"{w.name}_velocity_hat"]
    opt = optimizers.Adagrad(initial_accumulator_value=0.25)
    opt.apply_gradients_numpy([(np.zeros(3), K.variable(PARAM))])
    np.testing.assert_allclose(K.get_value(opt.weights[1]), [0.25] * 3)


def test_numpy_reference_decay_and_lr_changes():
    opt = optimizers.SGD(lr=1.0, decay=1.0)
    w = K.variable(np.zeros(1))
    for _ in range(3):
        opt.apply_gradients_numpy([(np.ones(1), w)])
    # lr_t = 1 / (1 + iterations): 1, 1/2, 1/3.
    np.testing.assert_allclose(K.get_value(w), [-(1 + 1 / 2 + 1 / 3)], rtol=1e-6)
    K.set_value(opt.lr, 0.0)
    opt.apply_gradients_numpy([(np.ones(1), w)])
    np.testing.assert_allclose(K.get_value(w), [-(1 + 1 / 2 + 1 / 3)], rtol=1e-6)


def test_numpy_reference_clipping():
    g = np.array([3.0, 4.0], np.float32)  # norm 5
    w = K.variable(np.zeros(2))
    optimizers.SGD(lr=1.0, clipnorm=1.0).apply_gradients_numpy([(g, w)])
    np.testing.assert_allclose(K.get_value(w), [-0.6, -0.8], rtol=1e-6)
    w = K.variable(np.zeros(2))
    optimizers.SGD(lr=1.0, clipvalue=3.5).apply_gradients_numpy([(g, w)])
    np.testing.assert_allclose(K.get_value(w), [-3.0, -3.5], rtol=1e-6)
    w1, w2 = K.variable(np.zeros(2)), K.variable(np.zeros(1))
    optimizers.SGD(lr=1.0, global_clipnorm=6.5).apply_gradients_numpy(
        [(g, w1), (np.array([12.0], np.float32), w2)])  # global norm 13 -> scale 0.5
    np.testing.assert_allclose(K.get_value(w1), [-1.5, -2.0], rtol=1e-6)
    np.testing.assert_allclose(K.get_value(w2), [-6.0], rtol=1e-6)
