"""gunicorn workers build the PHI engine as they start, so the first prompt after a start does not wait for it."""

from __future__ import annotations

import threading

import pytest

import phi
from phi.engine import Engine
from portal import gunicorn_conf


def test_each_worker_builds_the_phi_engine_in_the_background(monkeypatch: pytest.MonkeyPatch) -> None:
    build = phi.get_engine
    started, release = threading.Event(), threading.Event()

    def held_build() -> Engine:  # the build waits for the test, so the thread is still there to be seen
        started.set()
        release.wait(60)
        return build()

    monkeypatch.setattr(phi, "_engine", None)
    monkeypatch.setattr(phi, "get_engine", held_build)
    gunicorn_conf.post_worker_init(object())
    assert started.wait(60)
    [warm_up] = [thread for thread in threading.enumerate() if thread.name == "phi-engine-warm-up"]
    assert warm_up.daemon  # never keeps a stopping worker alive
    release.set()
    warm_up.join(timeout=120)
    assert isinstance(phi._engine, Engine) and build() is phi._engine  # built once, then shared


def test_the_heavy_libraries_are_imported_before_the_worker_serves(monkeypatch: pytest.MonkeyPatch) -> None:
    """A request thread and the warm-up thread importing spaCy at once fail on a partially initialised module:
    post_worker_init imports the libraries itself, before the worker takes a request."""
    import sys

    monkeypatch.setattr(phi, "get_engine", lambda: None)
    for name in ("spacy", "presidio_analyzer"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    gunicorn_conf.post_worker_init(object())
    assert "spacy" in sys.modules and "presidio_analyzer" in sys.modules
