"""Optimizer state (``iterations``, ``learning_rate`` and the per-weight slot variables) for
saving and restoring, in Keras 3's variable order.

The Rust trainer owns the slot variables and creates them with the training program, on the
first ``fit``. A loaded state is therefore kept on the model (``model._pending_optimizer_slots``)
and written into the trainer's slots by :func:`restore_pending_slots` as soon as the program
exists, so training resumes where it stopped.

Keras 3 creates an optimizer's slots with ``add_optimizer_variables(vars, [names])``:
within one call the slots of each weight are interleaved (``m0, v0, m1, v1, ...``); separate
calls (Adam's ``velocity_hat``, RMSprop's ``momentum``) follow one another.

>>> from rkeras import optimizers
>>> keras3_slot_groups(optimizers.Adam(amsgrad=True))
[['momentum', 'velocity'], ['velocity_hat']]
>>> keras3_slot_groups(optimizers.RMSprop(momentum=0.5, centered=True))
[['velocity'], ['momentum'], ['average_gradient']]
"""

from __future__ import annotations

import warnings
from typing import Any, Optional

import numpy as np

# Slots Keras 3 creates together (interleaved per weight), by optimizer kind.
_JOINT_SLOTS = {
    "adam": ("momentum", "velocity"),
    "nadam": ("momentum", "velocity"),
    "adamax": ("momentum", "norm"),
    "adadelta": ("accumulated_grad", "accumulated_delta_var"),
}


def keras3_slot_groups(optimizer: Any) -> list:
    """The optimizer's slot names grouped as Keras 3 creates them (see module doc)."""
    names = list(optimizer.slot_names())
    joint = [n for n in _JOINT_SLOTS.get(getattr(optimizer, "kind", ""), ()) if n in names]
    groups = [joint] if joint else []
    groups += [[n] for n in names if n not in joint]
    return groups


def _trainer(model: Any) -> Any:
    programs = getattr(model, "_programs", None)
    train = getattr(programs, "train", None) or {}
    return list(train.values())[-1] if train else None


def current_slots(model: Any) -> Optional[list]:
    """Per trainable weight, the list of slot arrays (rkeras slot order); ``None`` when the
    optimizer has no state yet."""
    from rkeras import _rkeras

    trainer = _trainer(model)
    if trainer is not None:
        return [[np.array(_rkeras.variable_get(h), dtype=np.float32) for h in handles]
                for handles in trainer.slot_variables()]
    pending = getattr(model, "_pending_optimizer_slots", None)
    if pending is not None and pending[0] is getattr(model, "optimizer", None):
        return [[np.array(a) for a in slots] for slots in pending[1]]
    return None


def _u_product(model: Any) -> float:
    """Nadam's running momentum product (1.0 before the first step)."""
    trainer = _trainer(model)
    state = trainer.optimizer_state() if trainer is not None else None
    if state is not None:
        return float(state[0])
    return float(model.__dict__.get("_pending_u_product", 1.0))


def keras3_variables(model: Any) -> list:
    """``[iterations, learning_rate, slots...]`` as NumPy arrays in Keras 3's order (only
    iterations and learning rate when no training step has run); Nadam's momentum product
    comes last, where Keras 3 tracks it."""
    opt = model.optimizer
    values = [np.asarray(int(round(float(opt.iterations.numpy()))), dtype=np.int64),
              np.asarray(opt.learning_rate.numpy(), dtype=np.float32)]
    slots = current_slots(model)
    if not slots:
        return values
    names = list(opt.slot_names())
    for group in keras3_slot_groups(opt):
        for per_weight in slots:
            for name in group:
                values.append(per_weight[names.index(name)])
    if getattr(opt, "kind", "") == "nadam":
        values.append(np.asarray(_u_product(model), dtype=np.float32))
    return values


def _expected_shapes(model: Any) -> list:
    return [tuple(w.shape) for w in model.trainable_weights]


def slots_from_keras3(model: Any, values: list, interleaved: bool = True) -> Optional[list]:
    """Per-weight slot arrays from Keras-ordered optimizer slot values (after iterations and
    learning rate); ``None`` when they do not match the model."""
    opt = model.optimizer
    names = list(opt.slot_names())
    shapes = _expected_shapes(model)
    if len(values) != len(names) * len(shapes) or not names:
        return None
    groups = keras3_slot_groups(opt) if interleaved else [[n] for n in names]
    slots: list = [[None] * len(names) for _ in shapes]
    it = iter(values)
    for group in groups:
        for i, shape in enumerate(shapes):
            for name in group:
                value = np.asarray(next(it), dtype=np.float32)
                if value.shape != shape:
                    return None
                slots[i][names.index(name)] = value
    return slots


def apply_state(model: Any, iterations: Any, learning_rate: Any, slots: Optional[list]) -> None:
    """Sets iterations and learning rate now; slot values go into the trainer now if it
    exists, else they wait for :func:`restore_pending_slots`."""
    opt = model.optimizer
    if iterations is not None:
        opt.iterations.assign(float(np.asarray(iterations)))
    if learning_rate is not None:
        opt.learning_rate.assign(float(np.asarray(learning_rate)))
    if not slots:
        return
    model._pending_optimizer_slots = (opt, slots)
    trainer = _trainer(model)
    if trainer is not None:
        restore_pending_slots(model, trainer)


def restore_pending_slots(model: Any, trainer: Any) -> None:
    """The hook run right after the Rust training program is created: writes the slot values
    loaded from a file into the trainer's slot variables (once), if they belong to the
    model's current optimizer."""
    from rkeras import _rkeras

    pending = model.__dict__.pop("_pending_optimizer_slots", None)
    if pending is None or pending[0] is not getattr(model, "optimizer", None):
        return
    handles = trainer.slot_variables()
    slots = pending[1]
    if len(handles) != len(slots) or any(len(h) != len(s) for h, s in zip(handles, slots)):
        warnings.warn("The saved optimizer state does not match the training program's "
                      "variables; the optimizer starts from a fresh state.", stacklevel=2)
        return
    for hs, values in zip(handles, slots):
        for h, value in zip(hs, values):
            _rkeras.variable_set(h, np.ascontiguousarray(value, dtype=np.float32))
    u_product = model.__dict__.pop("_pending_u_product", None)
    if u_product is not None:
        iterations = int(round(float(model.optimizer.iterations.numpy())))
        trainer.set_optimizer_state(float(u_product), iterations)


def restore_keras3_variables(model: Any, values: list, source: str) -> None:
    """Applies ``[iterations, learning_rate, slots...]`` read from a Keras 3 file."""
    if len(values) < 2:
        warnings.warn(f"{source}: the optimizer state is incomplete; the optimizer starts "
                      "from a fresh state.", stacklevel=3)
        return
    rest = values[2:]
    if getattr(model.optimizer, "kind", "") == "nadam" and rest and np.ndim(rest[-1]) == 0:
        # Keras 3 tracks Nadam's momentum product after the slots.
        model._pending_u_product = float(np.asarray(rest[-1]))
        rest = rest[:-1]
    slots = slots_from_keras3(model, rest) if rest else None
    if rest and slots is None:
        warnings.warn(f"Skipping variable loading for optimizer '{model.optimizer.name}', "
                      f"because it has {len(rest) + 2} variables in {source} whereas the "
                      "model's optimizer expects "
                      f"{2 + len(model.optimizer.slot_names()) * len(model.trainable_weights)}.",
                      stacklevel=3)
        apply_state(model, values[0], values[1], None)
        return
    apply_state(model, values[0], values[1], slots)


__all__ = [
    "apply_state", "current_slots", "keras3_slot_groups", "keras3_variables",
    "restore_keras3_variables", "restore_pending_slots", "slots_from_keras3",
]
