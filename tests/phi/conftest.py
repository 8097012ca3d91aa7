"""Shared fixtures for the PHI engine tests: one engine per test session (the lexicon loads once)."""

from __future__ import annotations

import pytest

from phi import Engine


@pytest.fixture(scope="session")
def engine() -> Engine:
    return Engine()


def spans(engine: Engine, text: str) -> list[tuple[str, str]]:
    """(covered text, type) for each entity, for readable assertions."""
    return [(text[e.start : e.end], e.type) for e in engine.analyze(text)]
