"""`LayerLR`: per-layer learning rates and per-variable gradient transforms for any optimizer."""

from __future__ import annotations

import copy

import keras
from keras import ops

from . import _backend, _keras_compat, _matching, table
from .transforms import GradientTransform


class _Routes:
    """What `LayerLR.build` resolved, held in a plain object so that the attribute tracking of
    Keras (and of TensorFlow checkpoints) leaves these Python lists and dicts alone."""

    def __init__(self, variables, multipliers, group_of, transform_of):
        self.variables = variables  # the variables the optimizer was built for, in order
        self.multipliers = multipliers  # one float32 optimizer variable per pattern
        self.group_of = group_of  # variable path -> index of its multiplier pattern
        self.transform_of = transform_of  # variable path -> GradientTransform


@keras.saving.register_keras_serializable(package="keras_layerlr")
class LayerLR(keras.optimizers.Optimizer):
    """Wrap any Keras optimizer with per-group learning-rate multipliers and gradient transforms.

    Each trainable variable belongs to the group of the first pattern (in dict order) that
    matches its ``variable.path``. A group behaves *exactly* like a separate copy of the wrapped
    optimizer whose learning rate (schedule included) is ``lr * multiplier``: the multiplier
    scales the learning rate handed to ``update_step`` (for Adam this is not the same as
    scaling the gradient), and decoupled weight decay (`AdamW`, `Lion`, ``weight_decay=``)
    uses the same ``lr * multiplier``. Variables matched by no pattern use the plain optimizer.
    A multiplier of 0 freezes its group without recompiling: the weights stay fixed, while
    slots (momenta) evolve as they would with learning rate 0.

    Transforms (``transforms={pattern: transform}``, same matching rules, independent of the
    multiplier groups) map each matched gradient after loss-scale unscaling and the
    cross-replica sum, before the wrapped optimizer's own ``clipnorm``/``clipvalue``.

    Multipliers are optimizer variables (one float32 scalar per pattern), saved with the model;
    change them with `set_multiplier` between epochs.

    Args:
        optimizer: the `keras.optimizers.Optimizer` to wrap (not a `LossScaleOptimizer`: wrap
            the `LayerLR` in one instead, as Keras does for ``mixed_float16``).
        multipliers: ``{pattern: multiplier >= 0}``. A pattern is a glob on ``variable.path``
            (``"encoder/*"``; ``*`` also crosses ``/``), a regex prefixed with ``"re:"``
            (``re.search``), or a Keras layer (all its variables). Defaults to none.
        transforms: ``{pattern: GradientTransform}`` (see `keras_layerlr.transforms`).
        overlap: ``"first"`` (default): a variable matched by several patterns goes to the first;
            ``"error"``: raise when a variable matches several patterns.
        allow_unmatched: if False (default), building raises for a pattern that matches no
            variable, listing the closest variable paths.
        name: optimizer name.

    >>> model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="encoder"),
    ...                           keras.layers.Dense(1, name="head")])
    >>> opt = LayerLR(keras.optimizers.Adam(1e-3), {"encoder/*": 0.1})
    >>> model.compile(opt, "mse")
    >>> opt.build(model.trainable_variables)
    >>> [round(float(r["learning_rate"]), 6) for r in opt.lr_table(model)]
    [0.0001, 0.0001, 0.001, 0.001]
    """

    def __init__(
        self,
        optimizer,
        multipliers=None,
        transforms=None,
        overlap="first",
        allow_unmatched=False,
        name=None,
    ):
        if isinstance(optimizer, dict):
            optimizer = keras.optimizers.deserialize(optimizer)
        if not isinstance(optimizer, keras.optimizers.Optimizer):
            raise TypeError(
                "`optimizer` must be a keras.optimizers.Optimizer instance. "
                f"Received: optimizer={optimizer!r}"
            )
        if isinstance(optimizer, (LayerLR, keras.optimizers.LossScaleOptimizer)):
            raise TypeError(
                "`optimizer` must be a plain optimizer, not a LayerLR or LossScaleOptimizer "
                "(wrap the LayerLR in a LossScaleOptimizer instead). "
                f"Received: optimizer={type(optimizer).__name__}"
            )
        if overlap not in _matching.OVERLAP_POLICIES:
            raise ValueError(
                f"`overlap` must be one of {_matching.OVERLAP_POLICIES}. "
                f"Received: overlap={overlap!r}"
            )
        if not isinstance(allow_unmatched, bool):
            raise TypeError(
                f"`allow_unmatched` must be a bool. Received: allow_unmatched={allow_unmatched!r}"
            )
        multipliers = _matching.normalize(multipliers, "multipliers")
        multipliers = {p: _matching.check_multiplier(m) for p, m in multipliers.items()}
        transforms = _matching.normalize(transforms, "transforms")
        for pattern, transform in list(transforms.items()):
            if isinstance(transform, dict):
                transform = keras.saving.deserialize_keras_object(transform)
            if not isinstance(transform, GradientTransform):
                raise TypeError(
                    "`transforms` values must be GradientTransform objects (e.g. "
                    "keras_layerlr.clip_by_norm(1.0)). "
                    f"Received: transforms[{pattern!r}]={transform!r}"
                )
            transforms[pattern] = transform
        super().__init__(learning_rate=0.0, name=name)
        # The wrapper owns no step counter or learning rate: it reports the wrapped ones.
        for variable in _keras_compat.own_step_and_learning_rate(self):
            _keras_compat.untrack_variable(self, variable)
        self.inner_optimizer = optimizer
        self.overlap = overlap
        self.allow_unmatched = allow_unmatched
        self._multiplier_values = multipliers
        self._transforms = transforms
        # Gradients are unscaled here, before transforms, so the inner optimizer must not.
        self._inner_loss_scale = optimizer.loss_scale_factor
        optimizer.loss_scale_factor = None

    # ---------------------------------------------------------------- building and routing

    def build(self, var_list):
        inner = self.inner_optimizer
        var_list = list(var_list)
        paths = [_matching.variable_path(v) for v in var_list]
        patterns = list(self._multiplier_values)
        groups = _matching.assign_groups(
            patterns,
            paths,
            argument="multipliers",
            overlap=self.overlap,
            allow_unmatched=self.allow_unmatched,
        )
        transform_patterns = list(self._transforms)
        transform_groups = _matching.assign_groups(
            transform_patterns,
            paths,
            argument="transforms",
            overlap=self.overlap,
            allow_unmatched=self.allow_unmatched,
        )
        if not inner.built:
            inner.build(var_list)
        with keras.name_scope(self.name, caller=self):
            multipliers = [
                self.add_variable(
                    (),
                    initializer=keras.initializers.Constant(value),
                    dtype="float32",
                    aggregation="only_first_replica",
                    name=f"multiplier_{i}",
                )
                for i, value in enumerate(self._multiplier_values.values())
            ]
            for transform in self._transforms.values():
                transform.build(self)
        group_of, transform_of = {}, {}
        for path, group, tgroup in zip(paths, groups, transform_groups, strict=True):
            if group is not None:
                group_of[path] = group
            if tgroup is not None:
                transform_of[path] = self._transforms[transform_patterns[tgroup]]
        self._routes = _Routes(var_list, multipliers, group_of, transform_of)
        grouped = [v for v, group in zip(var_list, groups, strict=True) if group is not None]
        self._install(inner, grouped)
        super().build(var_list)

    def _install(self, inner, grouped):
        """Route the wrapped optimizer's update and weight decay through the groups.

        The replacements live on the wrapped instance for good (set once, never swapped per
        call), so concurrent replica threads under `tf.distribute` see one consistent object.
        """
        plain_update = _keras_compat.backend_update_step(inner)
        plain_decay = _keras_compat.weight_decay_step(inner)
        guard = bool(grouped) and _backend.holds_velocity(inner)
        fused = _keras_compat.has_fused_update(inner)
        update_step = None
        if guard and not fused:
            guarded = {_keras_compat.variable_key(inner, v) for v in grouped}
            update_step = _backend.guarded_step(
                inner.update_step, lambda v: _keras_compat.variable_key(inner, v) in guarded
            )
        grouped_update = (
            _backend.guarded_parallel(plain_update) if guard and fused else plain_update
        )

        def backend_update_step(grads, variables, learning_rate):
            for group, (g, v) in self._split(grads, variables).items():
                if group is None:
                    plain_update(g, v, learning_rate)
                else:
                    grouped_update(g, v, self._group_lr(learning_rate, group))

        def apply_weight_decay(variables):
            if inner.weight_decay is None:
                return
            for group, (_, v) in self._split(variables, variables).items():
                if group is None:
                    plain_decay(v)
                else:
                    lr = self._group_lr(inner.learning_rate, group)
                    _backend.apply_weight_decay(inner, v, lr * inner.weight_decay)

        _keras_compat.route(
            inner,
            backend_update_step=backend_update_step,
            apply_weight_decay=apply_weight_decay,
            update_step=update_step,
            skip_all_reduce=bool(self._routes.transform_of)
            and keras.backend.backend() == "tensorflow",
        )

    def _split(self, grads, variables):
        """``{group or None: (grads, variables)}``, in first-seen order."""
        group_of = self._routes.group_of
        buckets = {}
        for g, v in zip(grads, variables, strict=True):
            bucket = buckets.setdefault(group_of.get(_matching.variable_path(v)), ([], []))
            bucket[0].append(g)
            bucket[1].append(v)
        return buckets

    def _group_lr(self, learning_rate, group):
        multiplier = self._routes.multipliers[group]
        return ops.multiply(ops.cast(learning_rate, multiplier.dtype), multiplier)

    # ---------------------------------------------------------------- applying gradients

    def apply(self, grads, trainable_variables=None):
        inner = self.inner_optimizer
        if trainable_variables is None:
            if not self.built:
                raise ValueError(
                    "`trainable_variables` must be given on the first call to `apply` "
                    "(or build the optimizer first)."
                )
            trainable_variables = self._routes.variables
        else:
            trainable_variables = list(trainable_variables)
            if not self.built:
                with keras.name_scope(self.name, caller=self):
                    self.build(trainable_variables)
        grads = list(grads)
        if self._inner_loss_scale is not None:
            grads = [None if g is None else g / self._inner_loss_scale for g in grads]
        transform_of = self._routes.transform_of
        if transform_of:
            grads = _backend.all_reduce(inner, grads, trainable_variables)
            step = inner.iterations
            new_grads = []
            for g, v in zip(grads, trainable_variables, strict=True):
                transform = transform_of.get(_matching.variable_path(v))
                new_grads.append(
                    g if g is None or transform is None else transform.update(g, v, step)
                )
            grads = new_grads
        inner.apply(grads, trainable_variables)

    def apply_gradients(self, grads_and_vars):
        grads, variables = zip(*grads_and_vars, strict=True)
        self.apply(grads, variables)
        return self.inner_optimizer.iterations

    def scale_loss(self, loss):
        if self._inner_loss_scale is not None:
            return loss * self._inner_loss_scale
        return loss

    def finalize_variable_values(self, var_list):
        self.inner_optimizer.finalize_variable_values(var_list)

    # ---------------------------------------------------------------- state and inspection

    @property
    def variables(self):
        return super().variables + self.inner_optimizer.variables

    @property
    def iterations(self):
        return self.inner_optimizer.iterations

    @property
    def learning_rate(self):
        return self.inner_optimizer.learning_rate

    @learning_rate.setter
    def learning_rate(self, learning_rate):
        self.inner_optimizer.learning_rate = learning_rate

    @property
    def multipliers(self):
        """``{pattern: current multiplier}`` (read from the variables once built)."""
        if not self.built:
            return dict(self._multiplier_values)
        return {
            p: float(ops.convert_to_numpy(m))
            for p, m in zip(self._multiplier_values, self._routes.multipliers, strict=True)
        }

    def set_multiplier(self, pattern, multiplier):
        """Change a group's multiplier in place (0 freezes it); no recompilation needed.

        Args:
            pattern: a pattern (or layer) given at construction.
            multiplier: float >= 0.
        """
        pattern = _matching.pattern_key(pattern, "pattern")
        multiplier = _matching.check_multiplier(multiplier, "multiplier")
        if pattern not in self._multiplier_values:
            raise ValueError(
                f"`pattern` must be one of the patterns given at construction "
                f"{list(self._multiplier_values)}. Received: pattern={pattern!r}"
            )
        self._multiplier_values[pattern] = multiplier
        if self.built:
            index = list(self._multiplier_values).index(pattern)
            self._routes.multipliers[index].assign(multiplier)

    def lr_table(self, model_or_variables):
        """Effective learning rate per variable; see `keras_layerlr.lr_table`."""
        return lr_table(model_or_variables, self)

    def get_config(self):
        inner = keras.optimizers.serialize(self.inner_optimizer)
        inner["config"]["loss_scale_factor"] = self._inner_loss_scale
        return {
            "name": self.name,
            "optimizer": inner,
            "multipliers": self.multipliers,
            "transforms": {
                p: keras.saving.serialize_keras_object(t) for p, t in self._transforms.items()
            },
            "overlap": self.overlap,
            "allow_unmatched": self.allow_unmatched,
        }

    @classmethod
    def from_config(cls, config, custom_objects=None):
        config = copy.deepcopy(config)  # Keras' deserialize edits the dict it is given
        config["optimizer"] = keras.optimizers.deserialize(
            config["optimizer"], custom_objects=custom_objects
        )
        config["transforms"] = {
            p: keras.saving.deserialize_keras_object(t, custom_objects=custom_objects)
            for p, t in (config.get("transforms") or {}).items()
        }
        return cls(**config)


def lr_table(model_or_variables, optimizer):
    """Effective learning rate per trainable variable under ``optimizer``.

    Works before training (the optimizer need not be built): patterns are resolved the way
    `LayerLR.build` will resolve them, and unmatched patterns are ignored here. The learning
    rate is the wrapped optimizer's current one (a schedule evaluated at the current step)
    times the group multiplier.

    Args:
        model_or_variables: a model (its ``trainable_variables``) or a list of variables.
        optimizer: a `LayerLR`, a `LossScaleOptimizer` around one, or any Keras optimizer
            (every multiplier is then 1).

    Returns:
        An `LRTable`: a list of row dicts; ``print(table)`` shows it aligned.

    >>> import keras
    >>> from keras_layerlr import LayerLR
    >>> model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, name="head")],
    ...                          name="net")
    >>> rows = lr_table(model, LayerLR(keras.optimizers.SGD(0.1), {"bias": 0.0}))
    >>> [(r["path"], r["learning_rate"]) for r in rows]
    [('net/head/kernel', 0.1), ('net/head/bias', 0.0)]
    """
    variables = getattr(model_or_variables, "trainable_variables", model_or_variables)
    while isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
        optimizer = optimizer.inner_optimizer
    learning_rate = float(ops.convert_to_numpy(optimizer.learning_rate))
    if not isinstance(optimizer, LayerLR):
        return table.rows(variables, learning_rate)
    return table.rows(
        variables,
        learning_rate,
        optimizer.multipliers,
        optimizer._transforms,
        optimizer.overlap,
    )
