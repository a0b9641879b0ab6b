"""Layer-wise learning-rate decay (LLRD) multipliers for stacked blocks."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from . import _matching


def layerwise_lr_decay(blocks: Sequence[Any], decay: float, head: Sequence[Any] = ()) -> dict:
    """Multipliers ``decay ** (depth - i)`` for ``blocks[i]``, the top block decaying least.

    As in BEiT/ELECTRA fine-tuning: list the blocks from the input (embeddings first) to the
    output; with ``depth = len(blocks)`` block ``i`` gets ``decay ** (depth - i)`` and every
    ``head`` pattern gets 1.0. Pass the result to `LayerLR`.

    Args:
        blocks: patterns or layers, input side first; at least one.
        decay: float in (0, 1].
        head: patterns or layers trained at the full learning rate (listed first, so they win
            over a broader block pattern). Defaults to none.

    Returns:
        ``{pattern: multiplier}`` in priority order (head first, then top block down).

    >>> layerwise_lr_decay(["embed/*", "block_0/*", "block_1/*"], 0.5, head=["head/*"])
    {'head/*': 1.0, 'block_1/*': 0.5, 'block_0/*': 0.25, 'embed/*': 0.125}
    """
    if isinstance(decay, bool) or not isinstance(decay, (int, float)) or not 0 < decay <= 1:
        raise ValueError(f"`decay` must be a number in (0, 1]. Received: decay={decay!r}")
    if isinstance(blocks, (str, bytes)) or not isinstance(blocks, Sequence) or not blocks:
        raise ValueError(
            f"`blocks` must be a non-empty list of patterns or layers. Received: blocks={blocks!r}"
        )
    if isinstance(head, (str, bytes)):
        head = [head]
    depth = len(blocks)
    multipliers = {_matching.pattern_key(h, "head"): 1.0 for h in head}
    for i in reversed(range(depth)):
        pattern = _matching.pattern_key(blocks[i], "blocks")
        if pattern in multipliers:
            raise ValueError(f"`blocks` lists the pattern {pattern!r} twice (or also in `head`).")
        multipliers[pattern] = float(decay) ** (depth - i)
    return multipliers
