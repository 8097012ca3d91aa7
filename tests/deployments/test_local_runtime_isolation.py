"""The local runtime sees only an allow-listed environment, and its bearer key goes only to its own process."""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path
from typing import Any

import pytest

from deployments.providers import ProviderError, local
from deployments.providers.local import LocalRuntime, listener_pids, start_runtime, wait_until_serving


def test_the_runtime_gets_an_allow_listed_environment(monkeypatch, tmp_path, settings):
    settings.VAR_DIR = str(tmp_path)
    for name in ("DATABASE_URL", "CELERY_BROKER_URL", "EMAIL_HOST_PASSWORD", "SECRET_KEY", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "canary-secret")
    seen: dict[str, Any] = {}

    def fake_run(argv: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        seen.update(kwargs["env"])
        return subprocess.CompletedProcess(argv, 0, stdout="4242\n", stderr="")

    monkeypatch.setattr("deployments.providers.local.subprocess.run", fake_run)
    runtime = start_runtime(Path("/nonexistent.gguf"), alias="m", log_name="t")
    assert runtime.pid == 4242
    assert "canary-secret" not in seen.values()
    assert seen["API_KEY"] == runtime.secret and "PATH" in seen
    assert set(seen) <= local._RUNTIME_ENVIRONMENT | {"API_KEY", "RUNTIME_LOG", local.OWNER_VARIABLE} | {
        k for k in seen if k.startswith("LC_")
    }
    assert seen[local.OWNER_VARIABLE] == f"{tmp_path.resolve()}|t"  # whose runtime it is: a path and an id


def test_listener_pids_names_the_process_listening_on_a_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        owners = listener_pids(port)
    if owners is None:
        pytest.skip("/proc/net/tcp is not readable here")
    assert owners == {os.getpid()}


def test_the_key_is_never_sent_to_a_process_that_took_the_runtimes_port(monkeypatch):
    sent: list[str] = []
    monkeypatch.setattr(local, "is_ours", lambda pid, port: True)
    monkeypatch.setattr(local, "stop_runtime", lambda pid, port: None)

    def models(url: str, secret: str, timeout: float) -> list[str]:
        sent.append(secret)
        return ["m"]

    monkeypatch.setattr("deployments.providers.local.openai_compat.models", models)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as squatter:  # this test process plays the squatter
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        if listener_pids(port) is None:
            pytest.skip("/proc/net/tcp is not readable here")
        runtime = LocalRuntime(pid=os.getpid() + 100000, port=port, secret="bearer-secret")
        with pytest.raises(ProviderError, match="another process took the runtime's port"):
            wait_until_serving(runtime, timeout=5)
    assert sent == []
