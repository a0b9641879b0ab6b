"""A train step's random draws, and on PyTorch (CPU) the draws of the next steps at once.

PyTorch runs each op of a draw eagerly: hashing, sorting, Beta lookups and CutMix boxes are
40 to 90 small ops per step, whose dispatch costs more than their work on a small model's
batch (about 3-8% of a 10 ms digits-CNN step). ``DrawAhead`` draws a block of steps in one
``torch.func.vmap`` call, so each op runs once per block, and a step only takes its slice.

Same numbers as drawing step by step: step ``j`` of a block uses the key the seed generator
holds at that step (its state plus ``j`` counter increments), and the generator still advances
at every step. A block is used only while the generator's state lies inside it, so a reload, a
state set by hand or another batch shape simply draws a new block (tested against per-step
draws). On TensorFlow and JAX the step is one compiled graph and draws inside it, step by
step; so does PyTorch on a GPU, where reading the generator's state would wait for the device,
and under ``torch.compile``.
"""

from __future__ import annotations

from typing import Any

from . import _rng, _sampling
from ._keras_compat import add_in_place

# Steps per block: as many as fit in BLOCK_BYTES, within [MIN_STEPS, MAX_STEPS]. A block costs
# about as much as 10-20 single draws (the ops run once, on more data); it holds per step the
# partner index and shares, O(N), and with CutMix each spatial axis' extent, O(N * (H + W)).
BLOCK_BYTES = 8 << 20
MIN_STEPS, MAX_STEPS = 16, 256
_MAX_BLOCKS = 4  # blocks kept (one per batch shape: full batches and the epoch's last one)


def step_draws(
    mixer: Any, x: Any, places: tuple[int, int] | None, key: Any = None
) -> tuple[dict[str, Any], Any]:
    """One train step's draws: the mixing parameters and, when ``places = (low, count)``, the
    place to mix (an int32 scalar in ``[low, low + count)``; ``ManifoldMixup`` layers).

    With ``key`` None the mixer's generator advances once per draw; with a (2,) key the draws
    are the ones the generator would give from that state (the place uses the next counter).
    """
    params = mixer.draw(x) if key is None else mixer.draw(x, seed=key)
    if places is None:
        return params, None
    backend = mixer.backend
    if key is None:
        place_key = _rng.seed_pair(backend, mixer.generator)
    else:
        place_key = key + _sampling._constant(backend, ("counter",), _next_counter)
    low, count = places
    u = _rng.uniform(backend, place_key, (1,))[0]
    return params, low + backend.cast(backend.numpy.floor(u * count), "int32")


def _next_counter() -> Any:
    import numpy as np

    return np.array([0, 1], "int32")


class DrawAhead:
    """Blocks of several steps' draws for one ``MixupModel`` (PyTorch on the CPU only).

    ``usable(x)`` says whether this step can take its draws from a block: a pure draw (the
    parameters depend on the key and ``x``'s shape alone: :class:`Mixup` and :class:`CutMix`,
    not the stateful schedule of :class:`SamplePairing`), eager PyTorch on the CPU, where the
    generator's state can be read without waiting for a device.
    """

    def __init__(self, mixer: Any, places: tuple[int, int] | None) -> None:
        from ._mixup import Mixup

        self.mixer, self.places = mixer, places
        self.stride = 1 if places is None else 2  # generator increments per step
        self.pure = type(mixer).draw is Mixup.draw
        self.blocks: dict[tuple[Any, ...], _Block] = {}

    def usable(self, x: Any) -> bool:
        if not self.pure or self.mixer.backend.name != "torch":
            return False
        import torch

        return torch.is_tensor(x) and x.device.type == "cpu" and not torch.compiler.is_compiling()

    def draw(self, x: Any) -> tuple[dict[str, Any], Any]:
        generator_state = self.mixer.generator.state
        state = generator_state.value
        seed, counter = state.tolist()  # on the CPU: no device sync
        shape = tuple(x.shape)
        block = self.blocks.get(shape)
        if block is None or not block.covers(seed, counter):
            if len(self.blocks) >= _MAX_BLOCKS:
                self.blocks.clear()
            block = self.blocks[shape] = _Block(self, x, state)
        step = (counter - block.counter) // self.stride
        # what `stride` draws would have done to the generator
        add_in_place(generator_state, block.increment)
        return block.steps[step]


class _Block:
    def __init__(self, ahead: DrawAhead, x: Any, state: Any) -> None:
        import torch

        self.stride = ahead.stride
        self.seed, self.counter = state.tolist()
        self.size = steps = block_steps(ahead.mixer, x.shape)
        keys = state.to(torch.int32).repeat(steps, 1)
        keys[:, 1] += torch.arange(steps, dtype=torch.int32) * self.stride
        shape_only = x.detach()  # the draws read x's shape, never its values or gradients

        def one(key: Any) -> tuple[Any, ...]:
            params, choice = step_draws(ahead.mixer, shape_only, ahead.places, key)
            pairs, shares = _sampling.loss_pairs(ahead.mixer.backend, params)
            params = dict(params, pairs=pairs, shares=shares)  # for integer labels' loss
            return (params,) if choice is None else (params, choice)  # vmap returns tensors

        params, *choice = torch.func.vmap(one)(keys)
        columns = {name: _unbind(value) for name, value in params.items()}
        choices = choice[0].unbind(0) if choice else [None] * steps
        self.steps = [
            ({name: column[j] for name, column in columns.items()}, choices[j])
            for j in range(steps)
        ]
        self.increment = torch.tensor([0, self.stride], dtype=state.dtype)

    def covers(self, seed: int, counter: int) -> bool:
        offset = counter - self.counter
        inside = 0 <= offset < self.size * self.stride
        return seed == self.seed and inside and offset % self.stride == 0


def block_steps(mixer: Any, shape: tuple[int, ...]) -> int:
    """Steps per block for inputs of ``shape`` (see ``BLOCK_BYTES``)."""
    n = int(shape[0])
    per_step = 4 * n * 8  # index, share, lam_x, lam_y, pairs and shares (2N)
    if mixer.cutmix_alpha is not None:
        per_step += 4 * n * sum(int(size) for size in shape[1:-1])
    return max(MIN_STEPS, min(MAX_STEPS, BLOCK_BYTES // per_step))


def _unbind(value: Any) -> Any:
    """Per-step views of a block tensor, or of each tensor of a tuple (CutMix's box)."""
    if isinstance(value, tuple):
        return list(zip(*(t.unbind(0) for t in value), strict=True))
    return value.unbind(0)
