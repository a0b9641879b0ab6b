"""Plain data that plugins hand to the harness: what a plugin is, what to check, what to time.

Pure python on purpose: listing plugins imports this module, and it must not import Keras.
Every callable here is called *later*, by the conformance suite or the benchmark runner, after
the backend has been chosen and `keras.utils.set_random_seed` has been called.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

#: Every shared conformance check, in the order the matrix prints them.
CHECKS: tuple[str, ...] = (
    "trains",
    "saves",
    "config",
    "seeded",
    "jit",
    "distributed",
    "mixed",
    "bad-input",
    "gpu",
)

BACKENDS: tuple[str, ...] = ("tensorflow", "jax", "torch")


@dataclass(frozen=True)
class PluginInfo:
    """What `keras-plugins list` shows about a plugin.

    Args:
        name: distribution name, e.g. ``"keras-ema"``; the matrix and test ids use it.
        version: the distribution's version string.
        summary: one line saying what the plugin does.
        backends: Keras backends the plugin supports; the others are skipped with a reason.
        url: where the plugin's documentation lives (optional).

    Raises:
        ValueError: ``name`` is empty or ``backends`` names an unknown backend.

    >>> info = PluginInfo("keras-demo", "0.1.0", "Does one thing well", backends=("jax",))
    >>> info.name, info.backends
    ('keras-demo', ('jax',))
    >>> try:
    ...     PluginInfo("keras-demo", "0.1.0", "Does one thing well", backends=("mxnet",))
    ... except ValueError as error:
    ...     print(str(error).rpartition(". ")[2])
    Received unknown backends: ['mxnet']
    """

    name: str
    version: str
    summary: str
    backends: tuple[str, ...] = BACKENDS
    url: str = ""

    def __post_init__(self) -> None:
        if not self.name or not isinstance(self.name, str):
            raise ValueError(f"`name` must be a non-empty string. Received: name={self.name!r}")
        unknown = sorted(set(self.backends) - set(BACKENDS))
        if unknown:
            raise ValueError(
                f"`backends` may only contain {BACKENDS}. Received unknown backends: {unknown}"
            )


@dataclass(frozen=True)
class Misuse:
    """One documented misuse and the error it must raise (the `bad-input` check).

    Args:
        argument: the argument the error message must name (matched case-sensitively).
        call: a zero-argument callable performing the misuse; it must raise ``error``.
        error: accepted exception type(s). Defaults to ``(ValueError, TypeError)``.
        description: a few words for reports, e.g. ``"decay above 1"``.

    The check calls ``call()`` and passes when it raises ``error`` with a message naming
    ``argument`` in backticks:

    >>> def scale(factor):
    ...     if factor <= 0:
    ...         raise ValueError(f"`factor` must be > 0. Received: factor={factor}")
    >>> misuse = Misuse("factor", lambda: scale(-1.0), description="negative factor")
    >>> try:
    ...     misuse.call()
    ... except misuse.error as error:
    ...     print(f"`{misuse.argument}`" in str(error), error)
    True `factor` must be > 0. Received: factor=-1.0
    """

    argument: str
    call: Callable[[], object]
    error: type[BaseException] | tuple[type[BaseException], ...] = (ValueError, TypeError)
    description: str = ""


@dataclass(frozen=True)
class ConformanceCase:
    """A tiny model plus data on which the harness runs every shared check.

    The harness calls ``keras.utils.set_random_seed(seed)`` then ``build_model()`` and fits it
    with ``model.fit(x, y, batch_size=batch_size, epochs=epochs, shuffle=False,
    callbacks=callbacks())``. ``build_model`` must return a *compiled* model (plugins choose the
    optimizer, loss and metrics) and must be reproducible: the `saves` check calls it by name in a
    fresh process to look up this case again, so it has to live in an importable module.

    Args:
        name: short id, unique within the plugin (``"dense"``, ``"cnn-bn"``); used in test ids
            ``<plugin>::<case>::<check>``.
        build_model: zero-argument callable returning a compiled ``keras.Model``.
        make_data: zero-argument callable returning ``(x, y)`` numpy data (y may be None when
            the model is compiled without a loss). Keep it small: a few dozen samples.
        callbacks: zero-argument callable returning fresh callbacks for every ``fit`` call
            (a plugin delivered as a callback goes here).
        plugin_state: callable ``model -> {name: array}`` returning plugin state that is not in
            ``model.weights`` / ``model.optimizer.variables`` (both are always compared after a
            reload); e.g. a callback's step counter.
        misuses: documented misuses for the `bad-input` check; at least one is required.
        skip: ``{check_id: reason}`` for checks that do not apply; the reason is shown. A key
            ``"check@backend"`` (``"mixed@jax"``) skips the check on that backend only.
        batch_size: batch size for every fit.
        epochs: epochs of the `trains` fit; the loss of the last epoch must be below the first.
        atol: absolute tolerance when comparing runs that should agree (jit, distributed, gpu).
        seed: the seed passed to ``keras.utils.set_random_seed`` before building.

    Raises:
        ValueError: a bad ``name``, ``skip`` key, ``batch_size`` or ``epochs``.

    In a plugin's ``<package>_plugin/cases.py`` (Keras is imported inside the callables, when the
    suite runs):

    >>> import numpy as np
    >>> def build_model():
    ...     import keras
    ...     model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2)])
    ...     model.compile(optimizer="sgd", loss="mse")
    ...     return model
    >>> def make_data():
    ...     rng = np.random.default_rng(0)
    ...     return rng.normal(size=(32, 4)), rng.normal(size=(32, 2))
    >>> case = ConformanceCase(
    ...     "dense",
    ...     build_model,
    ...     make_data,
    ...     misuses=[Misuse("units", lambda: int("-"), error=ValueError)],
    ...     skip={"mixed@jax": "no float16 matmul on this CPU"},
    ... )
    >>> [array.shape for array in case.make_data()]
    [(32, 4), (32, 2)]
    >>> case.skip_reason("mixed", "jax"), case.skip_reason("mixed", "torch")
    ('no float16 matmul on this CPU', None)
    """

    name: str
    build_model: Callable[[], Any]
    make_data: Callable[[], tuple[Any, Any]]
    callbacks: Callable[[], list[Any]] = list
    plugin_state: Callable[[Any], Mapping[str, Any]] | None = None
    misuses: Sequence[Misuse] = ()
    skip: Mapping[str, str] = field(default_factory=dict)
    batch_size: int = 16
    epochs: int = 3
    atol: float = 1e-4
    seed: int = 1234

    def __post_init__(self) -> None:
        if not self.name or "::" in self.name:
            raise ValueError(
                f"`name` must be non-empty and must not contain '::'. Received: name={self.name!r}"
            )
        for key in self.skip:
            check, _, backend = key.partition("@")
            if check not in CHECKS or (backend and backend not in BACKENDS):
                raise ValueError(
                    f"`skip` key {key!r} must be a check or 'check@backend'; checks: {CHECKS}, "
                    f"backends: {BACKENDS}"
                )
        if self.batch_size < 1 or self.epochs < 2:
            raise ValueError(
                "`batch_size` must be >= 1 and `epochs` >= 2 (the `trains` check compares the "
                f"first and last epoch). Received: batch_size={self.batch_size}, "
                f"epochs={self.epochs}"
            )

    def skip_reason(self, check: str, backend: str) -> str | None:
        """Why ``check`` does not run on ``backend`` for this case (None: it runs)."""
        return self.skip.get(f"{check}@{backend}") or self.skip.get(check)


@dataclass(frozen=True)
class BenchCase:
    """A side-by-side measurement: plugin vs baseline in one run (`nox -s bench`).

    Two kinds, which may be combined:

    * **timing**: ``baseline`` and ``candidate`` are zero-argument *setup* callables, each
      returning a zero-argument *step* callable (e.g. one ``train_on_batch``). The runner warms
      both up, then alternates blocks of steps and reports ``median(candidate) /
      median(baseline)``; ``max_ratio`` (a number, or ``{backend: number}``) is the budget.
    * **measure**: a zero-argument callable returning table rows (``list[dict]``) of quality
      numbers (accuracy, FID, ROUGE...), written to ``docs/benchmarks.md`` as they are. It may
      also save figures into ``docs/images`` named after the plugin, with or without its
      ``keras-`` prefix (``keras-mixup-reliability.png``, ``gan-arch-dcgan.png``): the page
      shows them after the plugin's tables.

    Args:
        name: short id, unique within the plugin.
        description: one line saying what is compared.
        baseline: setup callable for the baseline step (timing kind).
        candidate: setup callable for the plugin step (timing kind).
        max_ratio: budget for ``candidate / baseline``; ``None`` only reports the ratio.
        measure: callable returning rows of numbers (measure kind).
        steps: steps per timing block; blocks: number of alternating blocks.
        backends: backends on which this case runs.

    Raises:
        ValueError: only one of ``baseline``/``candidate`` is given, or neither kind is.

    A timing case whose candidate step does twice the work of the baseline step, with a budget
    on JAX only, and a measure case:

    >>> def setup(repeats):
    ...     values = list(range(1000))
    ...     return lambda: [sum(values) for _ in range(repeats)]
    >>> timing = BenchCase(
    ...     "sum-twice",
    ...     "two sums vs one",
    ...     baseline=lambda: setup(1),
    ...     candidate=lambda: setup(2),
    ...     max_ratio={"jax": 2.5},
    ... )
    >>> timing.ratio_budget("jax"), timing.ratio_budget("torch")
    (2.5, None)
    >>> timing.candidate()()
    [499500, 499500]
    >>> quality = BenchCase("quality", "accuracy", measure=lambda: [{"model": "demo", "acc": 0.9}])
    >>> quality.measure()
    [{'model': 'demo', 'acc': 0.9}]
    """

    name: str
    description: str
    baseline: Callable[[], Callable[[], object]] | None = None
    candidate: Callable[[], Callable[[], object]] | None = None
    max_ratio: float | Mapping[str, float] | None = None
    measure: Callable[[], list[dict[str, Any]]] | None = None
    steps: int = 20
    blocks: int = 7
    backends: tuple[str, ...] = BACKENDS

    def __post_init__(self) -> None:
        timing = (self.baseline is None, self.candidate is None)
        if timing not in ((True, True), (False, False)):
            raise ValueError("`baseline` and `candidate` must be given together.")
        if self.baseline is None and self.measure is None:
            raise ValueError("give `baseline` + `candidate` (timing) or `measure`, or both.")

    def ratio_budget(self, backend: str) -> float | None:
        """The ``max_ratio`` that applies on ``backend`` (None: report only)."""
        if isinstance(self.max_ratio, Mapping):
            return self.max_ratio.get(backend)
        return self.max_ratio
