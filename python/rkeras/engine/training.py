"""Training: ``compile``, ``fit``, ``evaluate``, ``predict`` and their batch variants.

``compile`` records what to train with; the first ``fit`` (or ``evaluate``/``predict``) lowers
the model, the losses, the metrics, the regularization penalties and the optimizer into compiled
Rust programs, and each epoch then runs in Rust with the GIL released: Rust shuffles, gathers the
batches, runs forward, backward and the update, and calls back into Python at most once per
batch (progress bar, batch-level callbacks).
"""

from __future__ import annotations

import inspect
from typing import Any, Callable, Optional

import numpy as np

from rkeras import _rkeras
from rkeras.engine import data_adapter as da
from rkeras.engine import trace

_SPARSE_LOSSES = ("sparse_categorical_crossentropy",)


def _fn_name(fn: Any) -> str:
    name = getattr(fn, "__name__", None) or getattr(fn, "name", None)
    return name or type(fn).__name__.lower()


class _Objective:
    """One output's loss: the function, its weight, and the name used in logs."""

    def __init__(self, fn: Callable, weight: float, output_name: str) -> None:
        self.fn = fn
        self.weight = float(weight)
        self.output_name = output_name
        self.name = _fn_name(fn)

    @property
    def sparse(self) -> bool:
        return self.name in _SPARSE_LOSSES


class _Metric:
    """One reported metric: its function, the output it watches, its log key."""

    def __init__(self, fn: Callable, output_index: int, key: str) -> None:
        self.fn = fn
        self.output_index = output_index
        self.key = key


class _Programs:
    """The compiled programs of one ``compile``, built on first use."""

    def __init__(self) -> None:
        self.train: dict = {}
        self.eval: dict = {}
        self.predict: Optional[Any] = None


class Trainer:
    """Mixin of :class:`rkeras.models.Model` providing compile/fit/evaluate/predict.

    >>> Trainer  # doctest: +ELLIPSIS
    <class '...Trainer'>
    """

    # ------------------------------------------------------------------ compile

    def compile(self, optimizer: Any = "rmsprop", loss: Any = None, metrics: Any = None,
                loss_weights: Any = None, sample_weight_mode: Any = None,
                weighted_metrics: Any = None, target_tensors: Any = None,
                **kwargs: Any) -> None:
        """Configures training: optimizer, loss(es), metrics (Keras 2 arguments)."""
        from rkeras import losses as losses_mod
        from rkeras import metrics as metrics_mod
        from rkeras import optimizers

        for key in kwargs:
            if key not in ("run_eagerly", "steps_per_execution", "jit_compile", "auto_scale_loss"):
                raise TypeError(f"Invalid keyword argument(s) in `compile()`: ({key!r},). Valid "
                                "keyword arguments include \"cloning\", \"experimental_run_tf_"
                                "function\", \"distribute\", \"target_tensors\", or "
                                "\"sample_weight_mode\".")
        # Resolve every name first so that a bad argument raises before anything changes:
        # a failed compile leaves the model (optimizer, losses, compiled programs) as it was.
        new_optimizer = optimizers.get(optimizer)
        for fn in self._iter_specs(loss):
            if fn is not None:
                losses_mod.get(fn)
        for entry in _metric_entries(metrics) + _metric_entries(weighted_metrics):
            if not (isinstance(entry, str) and entry in ("acc", "accuracy", "crossentropy",
                                                         "ce")):
                metrics_mod.get(entry)
        saved = {k: self.__dict__[k] for k in _COMPILE_STATE if k in self.__dict__}
        self._loss_spec = loss
        self._loss_weights_spec = loss_weights
        self._metrics_spec = metrics
        self._weighted_metrics_spec = weighted_metrics
        self._objectives: Optional[list] = None
        self._metrics: Optional[list] = None
        try:
            if getattr(self, "built", False) and getattr(self, "outputs", None):
                self._resolve_objectives()
        except Exception:
            for k in _COMPILE_STATE:
                self.__dict__.pop(k, None)
            self.__dict__.update(saved)
            raise
        self.optimizer = new_optimizer
        self._programs = _Programs()
        self.stop_training = False
        self._is_compiled = True

    @staticmethod
    def _iter_specs(spec: Any) -> list:
        if isinstance(spec, dict):
            return list(spec.values())
        if isinstance(spec, (list, tuple)):
            return list(spec)
        return [spec]

    def _check_compiled(self, what: str) -> None:
        if not getattr(self, "_is_compiled", False):
            raise RuntimeError(f"You must compile your model before {what}. Use "
                               "`model.compile(optimizer, loss)`.")

    def _resolve_objectives(self) -> None:
        """Per-output losses and metrics, from the compile arguments and the built model."""
        from rkeras import losses as losses_mod
        from rkeras import metrics as metrics_mod

        names = list(self.output_names)
        n = len(names)
        spec = self._loss_spec
        if isinstance(spec, dict):
            unknown = [k for k in spec if k not in names]
            if unknown:
                raise ValueError(f"Unknown entry in loss dictionary: {unknown[0]!r}. Only "
                                 f"expected the following keys: {names}")
            per_output = [spec.get(name) for name in names]
        elif isinstance(spec, (list, tuple)):
            if len(spec) != n:
                raise ValueError(f"When passing a list as loss, it should have one entry per "
                                 f"model outputs. The model has {n} outputs, but you passed "
                                 f"loss={list(spec)}")
            per_output = list(spec)
        else:
            per_output = [spec] * n
        weights = self._loss_weights_spec
        if isinstance(weights, dict):
            w = [weights.get(name, 1.0) for name in names]
        elif isinstance(weights, (list, tuple)):
            if len(weights) != n:
                raise ValueError(f"When passing a list as loss_weights, it should have one "
                                 f"entry per model output. The model has {n} outputs, but you "
                                 f"passed loss_weights={list(weights)}")
            w = list(weights)
        else:
            w = [1.0] * n
        self._objectives = [
            None if fn is None else _Objective(losses_mod.get(fn), wt, name)
            for fn, wt, name in zip(per_output, w, names)
        ]
        if all(o is None for o in self._objectives) and self._loss_spec is not None:
            raise ValueError("No loss to compute: every output's loss is None")
        metrics: list = []
        spec = self._metrics_spec
        for i, name in enumerate(names):
            if isinstance(spec, dict):
                entries = to_list_or_empty(spec.get(name))
            elif isinstance(spec, (list, tuple)) and spec and all(
                isinstance(s, (list, tuple)) for s in spec
            ):
                entries = list(spec[i]) if i < len(spec) else []
            else:
                entries = to_list_or_empty(spec)
            for entry in entries:
                obj = self._objectives[i]
                if isinstance(entry, str):
                    label = entry
                    fn = metrics_mod.resolve_accuracy(
                        entry, obj.fn if obj else None, tuple(self.outputs[i].shape)
                    ) if entry in ("acc", "accuracy", "crossentropy", "ce") else \
                        metrics_mod.get(entry)
                else:
                    fn = metrics_mod.get(entry)
                    label = _fn_name(entry)
                key = label if n == 1 else f"{name}_{label}"
                metrics.append(_Metric(fn, i, key))
        self._metrics = metrics

    @property
    def metrics_names(self) -> list:
        """Log keys in order: ``loss``, per-output losses (several outputs), metrics."""
        if not getattr(self, "_is_compiled", False):
            return []
        if self._objectives is None:
            if not getattr(self, "built", False):
                return ["loss"]
            self._resolve_objectives()
        names = ["loss"]
        if len(self._objectives) > 1:
            names += [f"{o.output_name}_loss" for o in self._objectives if o is not None]
        names += [m.key for m in self._metrics]
        names += [n for n in self.__dict__.get("_added_metric_names", []) if n not in names]
        return names

    # ------------------------------------------------------------------ lowering

    def _lower(self, training: bool, target_shapes: list) -> tuple:
        """Traces the model, losses and metrics into a fresh graph."""
        from rkeras.backend import functions as K
        from rkeras.backend.tensors import FuncGraph, node_of

        graph = FuncGraph("train" if training else "evaluate")
        xs = [graph.placeholder(list(t.shape), "float32", f"input_{i}")
              for i, t in enumerate(self.inputs)]
        with trace.tracing(graph, training) as tr:
            outs = da.to_list(self.call(xs[0] if len(xs) == 1 else xs, training=training))
            ys, sws, per_output, total = [], [], [], None
            for i, (out, obj) in enumerate(zip(outs, self._objectives)):
                y = graph.placeholder([None] + list(target_shapes[i][1:]), "float32",
                                      f"target_{i}")
                sw = graph.placeholder([None], "float32", f"sample_weight_{i}")
                ys.append(y)
                sws.append(sw)
                if obj is None:
                    continue
                per_sample = self._per_sample(_call_user_fn(obj.fn, obj.name, "loss", y, out),
                                              obj.name, "loss")
                value = K.mean(per_sample * sw)
                per_output.append(value)
                weighted = value * obj.weight if obj.weight != 1.0 else value
                total = weighted if total is None else total + weighted
            for penalty in self._regularization_penalties(graph) + tr.losses:
                total = penalty if total is None else total + penalty
            if total is None:
                raise ValueError("The model has no loss to optimize: pass `loss` to compile() "
                                 "or add losses with `add_loss`.")
            metric_values = [
                K.mean(self._per_sample(_call_user_fn(m.fn, m.key, "metric",
                                                      ys[m.output_index], outs[m.output_index]),
                                        m.key, "metric"))
                for m in self._metrics
            ]
            # Metrics from add_metric (layers' calls, Model.add_metric), after the compiled ones.
            known = {m.key for m in self._metrics}
            added = [(n, v) for n, v in tr.metrics if n not in known]
            self._added_metric_names = [n for n, _ in added]
            metric_values += [v if v.ndim == 0 else K.mean(v) for _, v in added]
        scalars = [total] + (per_output if len(self._objectives) > 1 else []) + metric_values
        feeds = xs + ys + sws
        updates = [(v.handle, node_of(graph, value)) for v, value in tr.updates]
        return graph, feeds, scalars, updates

    @staticmethod
    def _per_sample(value: Any, name: str, kind: str) -> Any:
        from rkeras.backend import functions as K
        from rkeras.backend.tensors import SymbolicTensor

        if not isinstance(value, SymbolicTensor):
            raise TypeError(f"The {kind} function {name!r} must return a tensor computed from "
                            f"y_true and y_pred with backend (K) ops; it returned "
                            f"{type(value).__name__}")
        while value.ndim > 1:
            value = K.mean(value, axis=-1)
        return value

    def _regularization_penalties(self, graph: Any) -> list:
        from rkeras.backend.functions import _in_graph

        penalties = []
        for layer in _all_layers(self):
            for reg, var in getattr(layer, "_weight_regularizers", []):
                penalties.append(reg(_in_graph(graph, var)))
        return penalties

    def _constraint_updates(self, graph: Any) -> list:
        from rkeras.backend.functions import _in_graph
        from rkeras.backend.tensors import node_of

        out = []
        for layer in _all_layers(self):
            constraints = getattr(layer, "_constraints", {}) or {}
            for var in layer.weights:
                c = constraints.get(var.handle)
                if c is not None:
                    out.append((var.handle, node_of(graph, c(_in_graph(graph, var)))))
        return out

    def _train_program(self, target_shapes: list) -> Any:
        key = tuple(tuple(s[1:]) for s in target_shapes)
        prog = self._programs.train.get(key)
        if prog is None:
            graph, feeds, scalars, updates = self._lower(True, target_shapes)
            weights = [w for w in self.trainable_weights]
            from rkeras.backend.tensors import node_of

            wrt = [node_of(graph, w) for w in weights]
            grads = graph.raw.gradients(scalars[0].node, wrt) if wrt else []
            post = self._constraint_updates(graph)
            opt = self.optimizer
            prog = _rkeras.Trainer(
                graph.raw, [f.node for f in feeds], [s.node for s in scalars],
                [(w.handle, g) for w, g in zip(weights, grads)], updates,
                opt.rust_config(), opt.learning_rate.handle, opt.iterations.handle, post,
            )
            self._programs.train[key] = prog
            # Optimizer state loaded from a file goes into the slots the trainer just made.
            from rkeras.saving.optimizer_state import restore_pending_slots

            restore_pending_slots(self, prog)
        return prog

    def _eval_program(self, target_shapes: list) -> Any:
        key = tuple(tuple(s[1:]) for s in target_shapes)
        prog = self._programs.eval.get(key)
        if prog is None:
            graph, feeds, scalars, _ = self._lower(False, target_shapes)
            prog = _rkeras.Trainer(graph.raw, [f.node for f in feeds], [s.node for s in scalars])
            self._programs.eval[key] = prog
        return prog

    def _predict_function(self) -> Any:
        programs = getattr(self, "_programs", None)
        if programs is None:
            programs = self._programs = _Programs()
        if programs.predict is None:
            from rkeras.backend.tensors import FuncGraph

            graph = FuncGraph("predict")
            xs = [graph.placeholder(list(t.shape), "float32", f"input_{i}")
                  for i, t in enumerate(self.inputs)]
            with trace.tracing(graph, False):
                outs = da.to_list(self.call(xs[0] if len(xs) == 1 else xs, training=False))
            programs.predict = _rkeras.Function(graph.raw, [x.node for x in xs],
                                                [o.node for o in outs])
        return programs.predict

    # ------------------------------------------------------------------ data

    def _ensure_built(self, x: Any) -> None:
        if getattr(self, "built", False) and getattr(self, "inputs", None):
            return
        first = x[0] if isinstance(x, (list, tuple)) else (
            next(iter(x.values())) if isinstance(x, dict) else x)
        arr = np.asarray(first)
        self.build((None,) + arr.shape[1:])

    def _inputs(self, x: Any) -> list:
        return da.standardize(x, self.input_names, [tuple(t.shape) for t in self.inputs],
                              "input")

    def _targets(self, y: Any) -> list:
        shapes = []
        for out, obj in zip(self.outputs, self._objectives):
            shape = tuple(out.shape)
            shapes.append(None if obj is not None and obj.sparse else shape)
        ys = da.standardize(y, self.output_names, shapes, "target")
        return ys

    def _arrays(self, x: Any, y: Any, sample_weight: Any, class_weight: Any) -> tuple:
        self._ensure_built(x)
        if self._objectives is None:
            self._resolve_objectives()
        inputs = self._inputs(x)
        if y is None and self._objectives and all(o is None for o in self._objectives):
            # No compiled loss (the objective comes from add_loss): no targets are needed;
            # the target placeholders of the program are fed placeholder zeros.
            n = len(inputs[0]) if inputs else 0
            targets = [np.zeros((n, 1), np.float32) for _ in self._objectives]
            weights = da.sample_weights(sample_weight, None, targets, self.output_names)
            da.check_lengths(inputs, targets, weights)
            return inputs, targets, weights
        if y is None:
            raise ValueError("Target data is missing: fit/evaluate need `y` (the model's "
                             "outputs are compared with it)")
        targets = self._targets(y)
        weights = da.sample_weights(sample_weight, class_weight, targets, self.output_names)
        da.check_lengths(inputs, targets, weights)
        return inputs, targets, weights

    # ------------------------------------------------------------------ fit

    def fit(self, x: Any = None, y: Any = None, batch_size: Optional[int] = None,
            epochs: int = 1, verbose: int = 1, callbacks: Optional[list] = None,
            validation_split: float = 0.0, validation_data: Any = None, shuffle: Any = True,
            class_weight: Any = None, sample_weight: Any = None, initial_epoch: int = 0,
            steps_per_epoch: Optional[int] = None, validation_steps: Optional[int] = None,
            validation_freq: int = 1, **kwargs: Any) -> Any:
        """Trains for `epochs` epochs; returns the :class:`~rkeras.callbacks.History`."""
        if "nb_epoch" in kwargs:
            epochs = kwargs.pop("nb_epoch")
        for key in ("max_queue_size", "workers", "use_multiprocessing"):
            kwargs.pop(key, None)
        if kwargs:
            raise TypeError(f"Unrecognized keyword arguments: {kwargs}")
        self._check_compiled("training/testing")
        if _is_generator(x):
            return self._fit_generator(x, steps_per_epoch, epochs, verbose, callbacks,
                                       validation_data, validation_steps, class_weight,
                                       initial_epoch, shuffle)
        batch_size = 32 if batch_size is None else int(batch_size)
        if batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size}")
        inputs, targets, weights = self._arrays(x, y, sample_weight, class_weight)
        val = None
        if validation_data is not None:
            vx, vy, vsw = da.unpack_validation(validation_data)
            val = self._arrays(vx, vy, vsw, None)
        elif validation_split:
            n_in, n_t = len(inputs), len(targets)
            train_part, val_part = da.split_validation(inputs + targets + weights,
                                                       validation_split)
            inputs, targets, weights = (train_part[:n_in], train_part[n_in:n_in + n_t],
                                        train_part[n_in + n_t:])
            val = (val_part[:n_in], val_part[n_in:n_in + n_t], val_part[n_in + n_t:])
        arrays = inputs + targets + weights
        program = self._train_program([t.shape for t in targets])
        n = len(inputs[0])
        names = self.metrics_names
        cb = self._callback_list(callbacks, verbose, epochs, n, batch_size, val is not None,
                                 names, steps_per_epoch)
        if val is not None and verbose:
            print(f"Train on {n} samples, validate on {len(val[0][0])} samples")
        self.stop_training = False
        cb.on_train_begin()
        batch_hook = self._batch_hook(cb, names) if _needs_batch_calls(cb, verbose) else None
        for epoch in range(initial_epoch, epochs):
            cb.on_epoch_begin(epoch)
            means, _, _ = program.run_epoch(arrays, batch_size, shuffle is not False, batch_hook)
            logs = dict(zip(names, means))
            if val is not None and (epoch + 1) % max(1, validation_freq) == 0:
                vals = self._evaluate_arrays(*val, batch_size=batch_size, verbose=0)
                logs.update({f"val_{k}": v for k, v in zip(names, vals)})
            cb.on_epoch_end(epoch, logs)
            if self.stop_training:
                break
        cb.on_train_end()
        return self.history

    def _callback_list(self, callbacks: Optional[list], verbose: int, epochs: int,
                       samples: Optional[int], batch_size: Optional[int],
                       do_validation: bool, names: list, steps: Optional[int]) -> Any:
        from rkeras import callbacks as cbks

        self.history = cbks.History()
        user = list(callbacks or [])
        progbar = [cbks.ProgbarLogger(count_mode="steps" if samples is None else "samples")] \
            if verbose else []
        cb = cbks.CallbackList(progbar + user + [self.history])
        cb.set_model(self)
        metrics = names + ([f"val_{k}" for k in names] if do_validation else [])
        cb.set_params({"batch_size": batch_size, "epochs": epochs, "steps": steps,
                       "samples": samples, "verbose": verbose, "do_validation": do_validation,
                       "metrics": metrics})
        return cb

    def _batch_hook(self, cb: Any, names: list) -> Callable:
        def hook(batch: int, size: int, values: list) -> bool:
            logs = {"batch": batch, "size": size}
            cb.on_batch_begin(batch, dict(logs))
            logs.update(zip(names, values))
            cb.on_batch_end(batch, logs)
            return bool(self.stop_training)

        return hook

    # ------------------------------------------------------------------ evaluate / predict

    def evaluate(self, x: Any = None, y: Any = None, batch_size: Optional[int] = None,
                 verbose: int = 1, sample_weight: Any = None, steps: Optional[int] = None,
                 callbacks: Optional[list] = None, return_dict: bool = False,
                 **kwargs: Any) -> Any:
        """Loss and metrics on the data: a scalar, or a list in ``metrics_names`` order."""
        self._check_compiled("training/testing")
        if _is_generator(x):
            return self.evaluate_generator(x, steps=steps, verbose=verbose)
        inputs, targets, weights = self._arrays(x, y, sample_weight, None)
        values = self._evaluate_arrays(inputs, targets, weights,
                                       batch_size=32 if batch_size is None else int(batch_size),
                                       verbose=verbose)
        return self._format_results(values, return_dict)

    def _evaluate_arrays(self, inputs: list, targets: list, weights: list, batch_size: int,
                         verbose: int) -> list:
        program = self._eval_program([t.shape for t in targets])
        hook = None
        if verbose == 1:
            from rkeras.utils.progbar import Progbar

            bar = Progbar(target=len(inputs[0]), verbose=1)
            seen = [0]

            def hook(batch: int, size: int, values: list) -> bool:
                seen[0] += size
                bar.update(seen[0])
                return False

        means, _, _ = program.run_epoch(inputs + targets + weights, batch_size, False, hook)
        return list(means)

    def _format_results(self, values: list, return_dict: bool) -> Any:
        names = self.metrics_names
        if return_dict:
            return dict(zip(names, values))
        return values[0] if len(values) == 1 else list(values)

    def predict(self, x: Any, batch_size: Optional[int] = None, verbose: int = 0,
                steps: Optional[int] = None, callbacks: Optional[list] = None,
                **kwargs: Any) -> Any:
        """Model outputs for `x`, computed in batches (default 32)."""
        if _is_generator(x):
            return self.predict_generator(x, steps=steps, verbose=verbose)
        self._ensure_built(x)
        inputs = self._inputs(x)
        if not inputs or len(inputs[0]) == 0:
            raise ValueError("predict: the input data is empty")
        batch_size = 32 if batch_size is None else int(batch_size)
        if batch_size < 1:
            raise ValueError(f"batch_size must be a positive integer, got {batch_size}")
        outs = _rkeras.predict_batched(self._predict_function(), inputs, batch_size)
        return outs[0] if len(outs) == 1 else outs

    # ------------------------------------------------------------------ batch variants

    def train_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None,
                       class_weight: Any = None, reset_metrics: bool = True,
                       return_dict: bool = False) -> Any:
        """One gradient update on one batch; returns the loss (and metrics)."""
        self._check_compiled("training/testing")
        inputs, targets, weights = self._arrays(x, y, sample_weight, class_weight)
        program = self._train_program([t.shape for t in targets])
        return self._format_results(program.step(inputs + targets + weights), return_dict)

    def test_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None,
                      reset_metrics: bool = True, return_dict: bool = False) -> Any:
        """Loss (and metrics) on one batch, without updating."""
        self._check_compiled("training/testing")
        inputs, targets, weights = self._arrays(x, y, sample_weight, None)
        program = self._eval_program([t.shape for t in targets])
        return self._format_results(program.step(inputs + targets + weights), return_dict)

    def predict_on_batch(self, x: Any) -> Any:
        """Model outputs for one batch."""
        self._ensure_built(x)
        outs = self._predict_function()(self._inputs(x))
        return outs[0] if len(outs) == 1 else outs

    # ------------------------------------------------------------------ generators

    def fit_generator(self, generator: Any, steps_per_epoch: Optional[int] = None,
                      epochs: int = 1, verbose: int = 1, callbacks: Optional[list] = None,
                      validation_data: Any = None, validation_steps: Optional[int] = None,
                      class_weight: Any = None, max_queue_size: int = 10, workers: int = 1,
                      use_multiprocessing: bool = False, shuffle: bool = True,
                      initial_epoch: int = 0, **kwargs: Any) -> Any:
        """Trains on batches from a generator or :class:`~rkeras.utils.Sequence` (Keras 2)."""
        self._check_compiled("training/testing")
        return self._fit_generator(generator, steps_per_epoch, epochs, verbose, callbacks,
                                   validation_data, validation_steps, class_weight,
                                   initial_epoch, shuffle)

    def _fit_generator(self, generator: Any, steps_per_epoch: Optional[int], epochs: int,
                       verbose: int, callbacks: Optional[list], validation_data: Any,
                       validation_steps: Optional[int], class_weight: Any,
                       initial_epoch: int, shuffle: Any = True) -> Any:
        steps = _steps_of(generator, steps_per_epoch, "steps_per_epoch")
        names = None
        cb = None
        self.stop_training = False
        # One stream for the whole fit: a Python generator goes on where the last epoch
        # stopped; a Sequence is read pass after pass (its batch order shuffled, as Keras 2).
        stream = _batches(generator, shuffle=shuffle is not False)
        for epoch in range(initial_epoch, epochs):
            sums: Optional[np.ndarray] = None
            seen = 0
            for step, batch in zip(range(steps), stream):
                bx, by, bsw = _unpack_batch(batch)
                if cb is None:
                    self._ensure_built(bx)
                    names = self.metrics_names
                    cb = self._callback_list(callbacks, verbose, epochs, None, None,
                                             validation_data is not None, names, steps)
                    cb.on_train_begin()
                if step == 0:
                    cb.on_epoch_begin(epoch)
                size = len(np.asarray(bx[0] if isinstance(bx, (list, tuple)) else
                                      next(iter(bx.values())) if isinstance(bx, dict) else bx))
                cb.on_batch_begin(step, {"batch": step, "size": size})
                values = np.atleast_1d(np.asarray(
                    self.train_on_batch(bx, by, sample_weight=bsw, class_weight=class_weight),
                    dtype=np.float64))
                sums = values * size if sums is None else sums + values * size
                seen += size
                cb.on_batch_end(step, dict(zip(names, values.tolist()),
                                           batch=step, size=size))
                if self.stop_training:
                    break
            if cb is None:
                raise ValueError("The generator produced no batches")
            if sums is None:
                import warnings

                warnings.warn("Your generator ran out of data; interrupting training. Make "
                              "sure that it can generate at least `steps_per_epoch * epochs` "
                              "batches.", stacklevel=3)
                break
            logs = dict(zip(names, (sums / max(seen, 1)).tolist()))
            if validation_data is not None:
                if _is_generator(validation_data):
                    vals = self.evaluate_generator(validation_data, steps=validation_steps)
                else:
                    vx, vy, vsw = da.unpack_validation(validation_data)
                    vals = self.evaluate(vx, vy, sample_weight=vsw, verbose=0)
                logs.update({f"val_{k}": float(v) for k, v in zip(names, np.atleast_1d(vals))})
            cb.on_epoch_end(epoch, logs)
            if hasattr(generator, "on_epoch_end"):
                generator.on_epoch_end()
            if self.stop_training:
                break
        if cb is not None:
            cb.on_train_end()
        return self.history

    def evaluate_generator(self, generator: Any, steps: Optional[int] = None,
                           verbose: int = 0, **kwargs: Any) -> Any:
        """Loss and metrics over batches from a generator or Sequence."""
        self._check_compiled("training/testing")
        steps = _steps_of(generator, steps, "steps")
        sums, seen = None, 0
        for _, batch in zip(range(steps), _batches(generator)):
            bx, by, bsw = _unpack_batch(batch)
            values = np.atleast_1d(np.asarray(self.test_on_batch(bx, by, sample_weight=bsw),
                                              dtype=np.float64))
            size = len(self._inputs(bx)[0])
            sums = values * size if sums is None else sums + values * size
            seen += size
        if sums is None:
            raise ValueError("The generator produced no batches")
        return self._format_results((sums / seen).tolist(), False)

    def predict_generator(self, generator: Any, steps: Optional[int] = None,
                          verbose: int = 0, **kwargs: Any) -> Any:
        """Outputs for batches from a generator or Sequence, concatenated."""
        steps = _steps_of(generator, steps, "steps")
        parts: list = []
        for _, batch in zip(range(steps), _batches(generator)):
            bx = batch[0] if isinstance(batch, tuple) else batch
            out = self.predict_on_batch(bx)
            parts.append(da.to_list(out))
        if not parts:
            raise ValueError("The generator produced no batches")
        outs = [np.concatenate(p) for p in zip(*parts)]
        return outs[0] if len(outs) == 1 else outs

    # ------------------------------------------------------------------ Keras 2 conveniences

    def predict_classes(self, x: Any, batch_size: int = 32, verbose: int = 0) -> np.ndarray:
        """Class indices (Keras 2 ``Sequential.predict_classes``)."""
        proba = self.predict(x, batch_size=batch_size, verbose=verbose)
        if proba.shape[-1] > 1:
            return proba.argmax(axis=-1)
        return (proba > 0.5).astype("int32")

    def predict_proba(self, x: Any, batch_size: int = 32, verbose: int = 0) -> np.ndarray:
        """Class probabilities (Keras 2 ``Sequential.predict_proba``)."""
        return self.predict(x, batch_size=batch_size, verbose=verbose)


_COMPILE_STATE = ("_loss_spec", "_loss_weights_spec", "_metrics_spec", "_weighted_metrics_spec",
                  "_objectives", "_metrics")


def _call_user_fn(fn: Callable, name: str, kind: str, y_true: Any, y_pred: Any) -> Any:
    """``fn(y_true, y_pred)`` while tracing; an error it raises names the loss or metric."""
    try:
        return fn(y_true, y_pred)
    except Exception as err:
        message = (f"Error in the {kind} function {name!r} (called on y_true of shape "
                   f"{tuple(y_true.shape)} and y_pred of shape {tuple(y_pred.shape)}): {err}")
        try:
            wrapped = type(err)(message)
        except Exception:  # noqa: BLE001 - an exception type with another constructor
            wrapped = RuntimeError(message)
        raise wrapped from err


def _metric_entries(spec: Any) -> list:
    """Every metric named in a ``metrics`` argument (list, nested lists or dict by output)."""
    out: list = []
    for entry in (spec.values() if isinstance(spec, dict) else da.to_list(spec)):
        if isinstance(entry, (list, tuple, dict)):
            out.extend(_metric_entries(entry))
        elif entry is not None:
            out.append(entry)
    return out


def to_list_or_empty(x: Any) -> list:
    """`x` as a list; ``None`` gives an empty list."""
    return da.to_list(x)


def _all_layers(model: Any) -> list:
    out, stack, seen = [], list(getattr(model, "layers", [])), set()
    while stack:
        layer = stack.pop(0)
        if id(layer) in seen:
            continue
        seen.add(id(layer))
        out.append(layer)
        stack.extend(getattr(layer, "layers", []) or [])
    return out


def _overrides(cb: Any, method: str) -> bool:
    from rkeras.callbacks import Callback

    if method in getattr(cb, "__dict__", {}):
        return True  # set on the instance (LambdaCallback's functions)
    impl = getattr(type(cb), method, None)
    return impl is not None and impl is not getattr(Callback, method, None)


def _needs_batch_calls(cb_list: Any, verbose: int) -> bool:
    if verbose:
        return True  # the progress bar counts samples batch by batch (also for verbose=2)
    methods = ("on_batch_begin", "on_batch_end", "on_train_batch_begin", "on_train_batch_end")
    return any(_overrides(cb, m) for cb in getattr(cb_list, "callbacks", []) for m in methods
               if type(cb).__name__ not in ("History", "ProgbarLogger"))


def _is_generator(x: Any) -> bool:
    from rkeras.utils.data_utils import Sequence

    return isinstance(x, Sequence) or inspect.isgenerator(x) or (
        hasattr(x, "__next__") and not isinstance(x, np.ndarray))


def _steps_of(generator: Any, steps: Optional[int], arg: str) -> int:
    if steps is not None:
        return int(steps)
    if hasattr(generator, "__len__"):
        return len(generator)
    raise ValueError(f"`{arg}` is required when the data is a generator without a length; "
                     "pass the number of batches per epoch")


def _batches(generator: Any, shuffle: bool = False) -> Any:
    """An iterator over the batches of a Sequence (endless passes, each in a random order when
    `shuffle`) or of a generator. A plain generator is iterated directly (not through
    ``yield from``, which would close it when this wrapper is dropped after an epoch)."""
    from rkeras.utils.data_utils import Sequence

    if isinstance(generator, Sequence):
        return _sequence_passes(generator, shuffle)
    return iter(generator)


def _sequence_passes(sequence: Any, shuffle: bool) -> Any:
    import random

    while True:
        order = list(range(len(sequence)))
        if not order:
            return
        if shuffle:
            random.shuffle(order)
        for i in order:
            yield sequence[i]


def _unpack_batch(batch: Any) -> tuple:
    if isinstance(batch, tuple) and len(batch) in (2, 3):
        return batch[0], batch[1], batch[2] if len(batch) == 3 else None
    raise ValueError("Output of generator should be a tuple `(x, y, sample_weight)` or "
                     f"`(x, y)`. Found: {type(batch).__name__}")
