"""Audit completeness under load: N concurrent generate_text calls (client processes x threads, against a live
server: threads in one process, or gunicorn worker processes) on a runtime that answers at once → exactly N
`model.inference` events, one per answered call; with the sequencer running meanwhile and once more after,
`seq` is gapless and the chain verifies."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from django.conf import settings
from django.db import connection

from accessctl.api_keys import api_key_issue
from audit.models import AuditEvent, ChainHead
from audit.services import sequence_chain
from audit.verify_live import verify_chain
from deployments.catalog import catalog_ensure
from deployments.models import CatalogModel, Deployment
from tests.conftest import ROOT, _database_url_for_worker
from tests.deployments.fakes import FakeOpenAIServer
from tests.hardening import loadgen
from tests.hardening.workers import wait_for

pytestmark = pytest.mark.django_db(transaction=True)

PROCESSES, THREADS, CALLS_PER_THREAD = 2, 6, 20
N = PROCESSES * THREADS * CALLS_PER_THREAD  # 240
RUNTIME_KEY = "sk-load-runtime-0123456789"
PROMPT = "Patient John Smith (DOB: 01/15/1965, MRN 4417823) reports fatigue; summarise the plan in one line."


@pytest.fixture
def runtime() -> Iterator[FakeOpenAIServer]:
    remote = FakeOpenAIServer(api_key=RUNTIME_KEY, model="load-model")
    yield remote
    remote.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def gunicorn_url(transactional_db: None) -> Iterator[str]:
    """gunicorn with the production settings file (3 worker processes x 4 threads) on the test database."""
    port = _free_port()
    # The fake runtime the external deployment points at listens on loopback.
    env = {**os.environ, "DATABASE_URL": _database_url_for_worker(), "DJANGO_SETTINGS_MODULE": "tests.settings",
           "PAITIENT_BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "3", "WEB_THREADS": "4",
           "PAITIENT_TLS_CERT": "", "PAITIENT_TLS_KEY": "",
           "PAITIENT_EXTERNAL_ALLOW_PRIVATE_NETWORKS": "1"}  # fmt: skip
    log_path = Path(settings.VAR_DIR) / f"gunicorn-load-{port}.log"
    with log_path.open("wb") as log_file:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "portal/gunicorn_conf.py", "portal.wsgi:application"],
            cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"

    def answers() -> bool:
        if server.poll() is not None:
            raise AssertionError(f"gunicorn exited: {log_path.read_text()[-3000:]}")
        try:
            return httpx.get(f"{url}/healthz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_for(answers, 60, "gunicorn to answer", interval=0.2)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


class Sequencer(threading.Thread):
    """The beat task's job, done meanwhile: sequence the chain every 100 ms while events are being written."""

    def __init__(self, chain: str) -> None:
        super().__init__(daemon=True)
        self.chain, self.stopping, self.runs, self.error = chain, threading.Event(), 0, ""

    def run(self) -> None:
        try:
            while not self.stopping.is_set():
                sequence_chain(self.chain)
                self.runs += 1
                self.stopping.wait(0.1)
        except Exception as exc:
            self.error = repr(exc)
        finally:
            connection.close()

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=60)


@pytest.mark.parametrize("server", ["threads", "processes"])
def test_every_concurrent_inference_is_audited_once_in_a_gapless_verified_chain(request, server, runtime, acme, alice,
                                                                                settings):  # fmt: skip
    settings.PAITIENT_EXTERNAL_ALLOW_PRIVATE_NETWORKS = True  # the fake runtime listens on loopback
    catalog_ensure()
    deployment = Deployment.objects.create(
        organization=acme, name="load-assistant", provider="external", compute_type="cpu", state="ready",
        model=CatalogModel.objects.get(name="HuggingFaceTB/SmolLM2-135M-Instruct"), endpoint_url=runtime.url,
        endpoint_secret=RUNTIME_KEY, provider_state={"remote_model": "load-model"},
        security_settings={"network_isolation": True, "private_endpoints": False},
    )  # fmt: skip
    _, token = api_key_issue(actor=None, organization=acme, user=alice, name="load")
    url = request.getfixturevalue("live_server").url if server == "threads" else request.getfixturevalue("gunicorn_url")
    chain = acme.public_id
    before = AuditEvent.objects.filter(chain=chain).count()

    sequencer = Sequencer(chain)
    sequencer.start()
    try:
        body = {"prompt": PROMPT, "max_tokens": 16, "security_settings": {"phi_handling": "redact"}}
        calls, _ = loadgen.run(url, token, "POST", f"/api/v1/deployments/{deployment.public_id}/generate", body,
                               calls=CALLS_PER_THREAD, threads=THREADS, processes=PROCESSES)  # fmt: skip
    finally:
        sequencer.stop()
    assert not sequencer.error, sequencer.error
    assert sequencer.runs > 1

    assert len(calls) == N
    refused = Counter((call.status, call.error[:120]) for call in calls if call.status != 200)
    assert not refused, refused
    answered = {call.inference_id for call in calls}
    assert len(answered) == N and "" not in answered
    assert len(runtime.received) == N  # each call reached the runtime once

    sequence_chain(chain)
    inferences = AuditEvent.objects.filter(event_type="model.inference", resource_id=deployment.public_id)
    audited: list[Any] = [details["inference_id"] for details in inferences.values_list("details", flat=True)]
    assert len(audited) == N and set(audited) == answered
    detections = AuditEvent.objects.filter(event_type="phi.detection", resource_id=deployment.public_id)
    assert detections.count() == N
    assert all(outcome == "success" for outcome in inferences.values_list("outcome", flat=True))

    assert not AuditEvent.objects.filter(chain=chain, seq__isnull=True).exists()
    seqs = list(AuditEvent.objects.filter(chain=chain).order_by("seq").values_list("seq", flat=True))
    assert len(seqs) >= before + 2 * N
    assert seqs == list(range(1, len(seqs) + 1))  # gapless, no number twice
    assert ChainHead.objects.get(chain=chain).size == len(seqs)
    report = verify_chain(chain)
    assert report.ok and report.events == len(seqs), report.line()
