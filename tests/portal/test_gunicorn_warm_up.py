"""gunicorn workers build the PHI engine as they start, so the first prompt after a start does not wait for it."""

from __future__ import annotations

import threading

import pytest

import phi
from phi.engine import Engine
from portal import gunicorn_conf


def test_each_worker_builds_the_phi_engine_in_the_background(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(phi, "_engine", None)
    gunicorn_conf.post_worker_init(object())
    [warm_up] = [thread for thread in threading.enumerate() if thread.name == "phi-engine-warm-up"]
    assert warm_up.daemon  # never keeps a stopping worker alive
    warm_up.join(timeout=120)
    assert isinstance(phi._engine, Engine) and phi.get_engine() is phi._engine  # built once, then shared
