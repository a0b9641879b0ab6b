"""Per-thread hand-over of one batch's mixing parameters between a model's forward pass, its
``ManifoldMixup`` layers and its ``compute_loss`` (TensorFlow's MirroredStrategy runs replicas
in threads, so the state is thread-local)."""

from __future__ import annotations

import threading
from typing import Any

_STATE = threading.local()


def active() -> dict[str, Any] | None:
    """The forward pass in progress: ``{"params", "choice", "positions"}``, or None."""
    return getattr(_STATE, "active", None)


def set_active(value: dict[str, Any] | None) -> None:
    _STATE.active = value


def put_pending(owner: Any, params: dict[str, Any]) -> None:
    pending = getattr(_STATE, "pending", None)
    if pending is None:
        pending = _STATE.pending = {}
    pending[id(owner)] = params


def pop_pending(owner: Any) -> dict[str, Any] | None:
    pending = getattr(_STATE, "pending", None) or {}
    return pending.pop(id(owner), None)
