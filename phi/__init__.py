"""The Django-free PHI engine: detect, redact, reject, de-identify (issue 7)."""

from __future__ import annotations

import threading
from collections.abc import Sequence

from phi.engine import Engine, redaction_label
from phi.types import ENTITY_TYPES, MODES, DeidContext, Entity, Mode, PHIError, PHIRejected, Result

__all__ = [
    "ENTITY_TYPES",
    "MODES",
    "DeidContext",
    "Engine",
    "Entity",
    "Mode",
    "PHIError",
    "PHIRejected",
    "Result",
    "get_engine",
    "process",
    "redaction_label",
]

_lock = threading.Lock()
_engine: Engine | None = None


def get_engine() -> Engine:
    """The process-wide default engine (fast backend, no spaCy), built on first use."""
    global _engine
    with _lock:
        if _engine is None:
            _engine = Engine()
        return _engine


def process(text: str, mode: str, *, context: DeidContext | None = None, allowed_types: Sequence[str] = ()) -> Result:
    """`get_engine().process(...)`: the call the inference gateway makes on prompts and responses."""
    return get_engine().process(text, mode, context=context, allowed_types=allowed_types)
