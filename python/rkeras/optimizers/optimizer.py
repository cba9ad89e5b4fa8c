"""The optimizer base class: configuration and state holder for the Rust training loop.

An rkeras optimizer does not compute updates in Python. It holds

- the hyperparameters, handed to the Rust trainer by :meth:`Optimizer.rust_config`;
- ``learning_rate``: a backend variable (``K.variable``) the trainer reads at every step, so
  the Keras-2 idioms ``K.set_value(model.optimizer.lr, 0.01)`` and ``optimizer.lr = 0.01`` take
  effect on the next step;
- ``iterations``: a backend variable counting applied steps (an integer stored as a float),
  which the trainer advances and Keras-2 time decay (``decay=``) reads.

:meth:`Optimizer.apply_gradients_numpy` is a slow NumPy reference of the same update rules
(used in tests and for small experiments); training goes through the Rust kernels.
"""

from __future__ import annotations

from typing import Any, Optional, Sequence

import numpy as np

from rkeras import backend as K
from rkeras.backend.tensors import Variable

# Keras-3 base-optimizer arguments rkeras accepts only at their "off" value.
_KERAS3_UNSUPPORTED = {
    "weight_decay": None,
    "use_ema": False,
    "ema_overwrite_frequency": None,
    "loss_scale_factor": None,
    "gradient_accumulation_steps": None,
}
# Keys of Keras-3 / tf.keras configs that carry no information for rkeras.
_IGNORED_CONFIG_KEYS = frozenset({"ema_momentum", "is_legacy_optimizer", "jit_compile"})


class DefaultFloat(float):
    """A default argument value that can be told apart from the same value passed explicitly
    (so ``SGD(lr=0.1)`` is not mistaken for passing both ``lr`` and ``learning_rate``)."""


DEFAULT_LR_0_01 = DefaultFloat(0.01)
DEFAULT_LR_0_001 = DefaultFloat(0.001)


def _short_float(value: Any) -> float:
    """A float32 value as the shortest Python float that rounds to it (0.01, not
    0.009999999776482582)."""
    f32 = np.float32(np.asarray(value, dtype=np.float32))
    if not np.isfinite(f32):
        return float(f32)
    return float(np.format_float_positional(f32, unique=True, trim="-"))


def _as_float(name: str, value: Any) -> float:
    if isinstance(value, Variable):
        return float(value.numpy())
    if isinstance(value, (bool, np.bool_)) or not np.isscalar(value) and np.ndim(value) != 0:
        raise TypeError(f"Argument `{name}` should be a float. Received: {name}={value!r}")
    try:
        return float(value)
    except (TypeError, ValueError):
        raise TypeError(
            f"Argument `{name}` should be a float. Received: {name}={value!r}"
        ) from None


class Optimizer:
    """Base class of the rkeras optimizers (not usable on its own).

    Subclasses set ``kind`` (the Rust optimizer's name) and ``_hyper`` (hyperparameter names,
    in ``get_config`` order, each stored as an attribute of the same name).

    Arguments shared by all optimizers:
        learning_rate: float; ``lr`` is the Keras-2 spelling (giving both is an error).
        decay: float >= 0, Keras-2 inverse time decay of the learning rate:
            ``lr_t = learning_rate / (1 + decay * iterations)``.
        clipnorm: clip each gradient to this L2 norm (``None``/0: off).
        clipvalue: clip gradient elements to ``[-clipvalue, clipvalue]`` (``None``/0: off).
        global_clipnorm: clip all gradients together to this global L2 norm (cannot be
            combined with `clipnorm` / `clipvalue`).
        name: the optimizer's name.

    >>> from rkeras import optimizers
    >>> from rkeras import backend as K
    >>> opt = optimizers.SGD(lr=0.1)
    >>> float(K.get_value(opt.lr)) == float(K.get_value(opt.learning_rate))
    True
    """

    kind: str = ""
    _hyper: tuple = ()
    _default_lr: float = 0.001

    def __init__(self, learning_rate: Any = None, name: Optional[str] = None, *,
                 lr: Any = None, decay: Any = 0.0, clipnorm: Optional[float] = None,
                 clipvalue: Optional[float] = None, global_clipnorm: Optional[float] = None,
                 **kwargs: Any) -> None:
        if type(self) is Optimizer:
            raise TypeError("Optimizer is an abstract base class; use e.g. SGD or Adam")
        explicit = learning_rate is not None and not isinstance(learning_rate, DefaultFloat)
        if lr is not None:
            if explicit:
                raise ValueError(
                    "Both `lr` and `learning_rate` were given; pass only `learning_rate` "
                    f"(`lr` is its Keras-2 alias). Received: lr={lr!r}, "
                    f"learning_rate={learning_rate!r}"
                )
            learning_rate = lr
        if learning_rate is None:
            learning_rate = self._default_lr
        if callable(learning_rate) and not isinstance(learning_rate, Variable):
            raise TypeError(
                "rkeras optimizers do not support learning-rate schedule objects yet; pass a "
                "float (Keras-2 `decay=` and the LearningRateScheduler / ReduceLROnPlateau "
                f"callbacks are supported). Received: learning_rate={learning_rate!r}"
            )
        for key, off in _KERAS3_UNSUPPORTED.items():
            if key in kwargs:
                value = kwargs.pop(key)
                if value != off and not (off is None and value is None):
                    raise NotImplementedError(
                        f"rkeras optimizers do not support `{key}` yet "
                        f"(received {key}={value!r})"
                    )
        for key in _IGNORED_CONFIG_KEYS:
            kwargs.pop(key, None)
        if kwargs:
            raise TypeError(
                f"Unexpected keyword argument(s) passed to optimizer {type(self).__name__}: "
                f"{', '.join(sorted(kwargs))}"
            )
        decay = 0.0 if decay is None else _as_float("decay", decay)
        if decay < 0:
            raise ValueError(f"Argument `decay` must be >= 0. Received: decay={decay}")
        clips = {"clipnorm": clipnorm, "clipvalue": clipvalue, "global_clipnorm": global_clipnorm}
        clips = {k: (None if v is None else _as_float(k, v)) for k, v in clips.items()}
        if clips["global_clipnorm"] is not None and (
            clips["clipnorm"] is not None or clips["clipvalue"] is not None
        ):
            raise ValueError(
                "Only one of `clipnorm`, `clipvalue` and `global_clipnorm` can be set. "
                f"Received: clipnorm={clipnorm}, clipvalue={clipvalue}, "
                f"global_clipnorm={global_clipnorm}"
            )
        self.name = name if name is not None else type(self).__name__.lower()
        self.decay = decay
        self.initial_decay = decay  # Keras-2 attribute name
        self.clipnorm = clips["clipnorm"]
        self.clipvalue = clips["clipvalue"]
        self.global_clipnorm = clips["global_clipnorm"]
        self._iterations = K.variable(0.0, name=f"{self.name}/iterations")
        self._learning_rate = K.variable(
            _as_float("learning_rate", learning_rate), name=f"{self.name}/learning_rate"
        )
        self._slots: dict = {}

    # ------------------------------------------------------------------ learning rate, steps

    @property
    def learning_rate(self) -> Variable:
        """The learning-rate variable (read by the trainer at every step)."""
        return self._learning_rate

    @learning_rate.setter
    def learning_rate(self, value: Any) -> None:
        # Assign in place: the trainer and the callbacks keep reading the same variable.
        self._learning_rate.assign(_as_float("learning_rate", value))

    @property
    def lr(self) -> Variable:
        """Keras-2 alias of :attr:`learning_rate`."""
        return self._learning_rate

    @lr.setter
    def lr(self, value: Any) -> None:
        self.learning_rate = value

    @property
    def iterations(self) -> Variable:
        """The number of applied steps, as a float variable."""
        return self._iterations

    def current_learning_rate(self) -> float:
        """The learning rate of the next step: ``lr / (1 + decay * iterations)``."""
        lr = float(self._learning_rate.numpy())
        if self.decay > 0:
            lr = lr * (1.0 / (1.0 + self.decay * float(self._iterations.numpy())))
        return lr

    @property
    def variables(self) -> list:
        """Keras-3 ``optimizer.variables``: iterations, learning rate, then any slot
        variables."""
        return [self._iterations, self._learning_rate] + self._slot_variable_list()

    @property
    def weights(self) -> list:
        """Keras-2 ``optimizer.weights``: iterations, then any slot variables."""
        return [self._iterations] + self._slot_variable_list()

    def _slot_variable_list(self) -> list:
        return [v for slots in self._slots.values() for v in slots]

    def get_weights(self) -> list:
        """The values of :attr:`weights` as NumPy arrays."""
        return K.batch_get_value(self.weights)

    def set_weights(self, weights: Sequence[Any]) -> None:
        """Sets :attr:`weights` from NumPy arrays (same count and shapes)."""
        params = self.weights
        if len(params) != len(weights):
            raise ValueError(
                f"Length of the specified weight list ({len(weights)}) does not match the "
                f"number of weights of the optimizer ({len(params)})"
            )
        for p, w in zip(params, weights):
            w = np.asarray(w)
            if tuple(p.shape) != tuple(w.shape):
                raise ValueError(
                    f"Optimizer weight shape {tuple(p.shape)} not compatible with provided "
                    f"weight shape {tuple(w.shape)}"
                )
            K.set_value(p, w)

    # ------------------------------------------------------------------ Rust contract

    def slot_names(self) -> list:
        """The per-parameter slot variables' names, in the Rust kernel's order."""
        raise NotImplementedError

    def rust_config(self) -> dict:
        """The configuration handed to the Rust trainer.

        ``{"kind": ..., <hyperparameters under the Rust struct's field names>, "decay": float,
        "clipnorm": float|None, "clipvalue": float|None, "global_clipnorm": float|None}``;
        a clip value <= 0 (Keras 2's "off") is given as ``None``. The learning rate and step
        count are not in it: the trainer reads ``learning_rate`` and reads/writes
        ``iterations``.
        """
        config: dict = {"kind": self.kind}
        for key in self._hyper:
            value = getattr(self, key)
            config[key] = value if isinstance(value, bool) else float(value)
        config["decay"] = float(self.decay)
        for key in ("clipnorm", "clipvalue", "global_clipnorm"):
            value = getattr(self, key)
            config[key] = float(value) if value is not None and value > 0 else None
        return config

    # ------------------------------------------------------------------ serialization

    def get_config(self) -> dict:
        """Keras config: name, learning_rate, decay, hyperparameters, and the clip arguments
        that are set."""
        config: dict = {
            "name": self.name,
            "learning_rate": _short_float(self._learning_rate.numpy()),
            "decay": float(self.decay),
        }
        for key in self._hyper:
            config[key] = getattr(self, key)
        for key in ("clipnorm", "clipvalue", "global_clipnorm"):
            if getattr(self, key) is not None:
                config[key] = getattr(self, key)
        return config

    @classmethod
    def from_config(cls, config: dict, custom_objects: Optional[dict] = None) -> "Optimizer":
        """Creates an optimizer from :meth:`get_config`'s output (Keras-2, tf.keras and
        Keras-3 configs accepted)."""
        config = dict(config)
        if isinstance(config.get("learning_rate"), dict):
            raise TypeError(
                "rkeras optimizers do not support learning-rate schedule objects yet; "
                f"got learning_rate={config['learning_rate']!r}"
            )
        return cls(**config)

    def __repr__(self) -> str:
        lr = _short_float(self._learning_rate.numpy())
        return f"<{type(self).__name__} name={self.name!r} learning_rate={lr}>"

    # ------------------------------------------------------------------ NumPy reference

    def apply_gradients_numpy(self, grads_and_vars: Sequence[tuple]) -> None:
        """Applies one step to variables with the NumPy reference of the Rust update rules
        (clipping, Keras-2 decay, then the optimizer's update), advancing :attr:`iterations`.

        Slow; for tests and tiny experiments. Slots are created on first use (their values
        then appear in :attr:`weights`).

        >>> import numpy as np
        >>> from rkeras import backend as K, optimizers
        >>> w = K.variable(np.array([1.0, 2.0]))
        >>> opt = optimizers.SGD(learning_rate=0.1)
        >>> opt.apply_gradients_numpy([(np.array([0.5, -1.0]), w)])
        >>> [round(float(x), 4) for x in K.get_value(w)], float(K.get_value(opt.iterations))
        ([0.95, 2.1], 1.0)
        """
        pairs = [(np.asarray(g, dtype=np.float32), v) for g, v in grads_and_vars]
        grads = [g.copy() for g, _ in pairs]
        cfg = self.rust_config()
        if cfg["global_clipnorm"] is not None:
            norm = np.sqrt(sum(float(np.sum(np.square(g, dtype=np.float64))) for g in grads))
            scale = cfg["global_clipnorm"] * min(1.0 / norm if norm > 0 else np.inf,
                                                  1.0 / cfg["global_clipnorm"])
            grads = [g * np.float32(scale) for g in grads]
        if cfg["clipnorm"] is not None:
            clipped = []
            for g in grads:
                n = float(np.sqrt(np.sum(np.square(g, dtype=np.float64))))
                clipped.append(g * np.float32(cfg["clipnorm"] / max(n, cfg["clipnorm"])))
            grads = clipped
        if cfg["clipvalue"] is not None:
            grads = [np.clip(g, -cfg["clipvalue"], cfg["clipvalue"]) for g in grads]
        lr = np.float32(self.current_learning_rate())
        step = int(float(self._iterations.numpy())) + 1
        self._begin_step_numpy(step)
        for g, (_, var) in zip(grads, pairs):
            slots = self._slots.get(id(var))
            if slots is None:
                shape = tuple(var.shape)
                slots = [
                    K.variable(np.full(shape, self._slot_initial_value(i), dtype=np.float32),
                               name=f"{var.name}_{slot}")
                    for i, slot in enumerate(self.slot_names())
                ]
                self._slots[id(var)] = slots
            p = np.array(var.numpy(), dtype=np.float32)
            values = [np.array(s.numpy(), dtype=np.float32) for s in slots]
            p = self._update_numpy(p, g, values, lr, step)
            K.set_value(var, p)
            for s, v in zip(slots, values):
                K.set_value(s, v)
        self._iterations.assign(float(step))

    def _slot_initial_value(self, index: int) -> float:
        return 0.0

    def _begin_step_numpy(self, step: int) -> None:
        """Optimizer-level state advanced once per step (Nadam's ``u_product``)."""

    def _update_numpy(self, p: np.ndarray, g: np.ndarray, slots: list, lr: np.float32,
                      step: int) -> np.ndarray:
        raise NotImplementedError
