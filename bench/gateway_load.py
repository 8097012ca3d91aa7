"""The inference gateway under concurrent load: requests/s and p50/p99 latency of `POST .../generate`.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/paitient .venv/bin/python bench/gateway_load.py \
        [--calls 1000] [--threads 8] [--processes 2] [--workers 4] [--web-threads 4]

gunicorn serves the app with the production settings file (`portal/gunicorn_conf.py`: `--workers` processes x
`--web-threads` threads, plain HTTP on loopback); client processes x threads, each on its own keep-alive
connection, share `--calls` calls. The runtime is an OpenAI-compatible endpoint on loopback that answers at once
(an `external` deployment), so the figures are the gateway's: authentication, policy, PHI redaction of prompt and
answer, the runtime round trip, two audit events. Baseline, same server and concurrency: `GET /api/v1/me`.
Afterwards every answered call must have its `model.inference` event and the sequenced chain must verify.
Runs in a throw-away database (created and dropped here).
"""

from __future__ import annotations

import argparse
import math
import os
import secrets
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("SECRET_KEY", "bench-" + secrets.token_urlsafe(32))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("PAITIENT_MASTER_KEY", "YmVuY2gtbWFzdGVyLWtleS0zMi1ieXRlcy1sb25nISE=")

import django

django.setup()

import httpx  # noqa: E402
from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402

from tests.hardening import loadgen  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent

PROMPT = (
    "Patient John Smith (DOB: 01/15/1965, MRN 4417823) was seen on 03/02/2024 for follow-up of type 2 diabetes. "
    "HbA1c 8.1%, up from 7.4%. Plan: add empagliflozin 10 mg daily, recheck BMP in two weeks. Summarise in one line."
)
RUNTIME_KEY = "sk-bench-runtime-0123456789"


def database_url() -> str:
    """The throw-away database, for the gunicorn processes."""
    conf = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{conf['NAME']}"
    user, password = conf.get("USER") or "", conf.get("PASSWORD") or ""
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    return f"postgres://{auth}{conf.get('HOST') or '127.0.0.1'}:{conf.get('PORT') or 5432}/{conf['NAME']}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def describe(name: str, calls: list[loadgen.Call], wall: float, baseline: float | None = None) -> str:
    ok = [call.ms for call in calls if call.status == 200]
    failed = len(calls) - len(ok)
    if len(ok) < 2:
        return f"{name:40s} {len(ok)} answered, {failed} failed"
    rate = len(ok) / wall
    p50, p99 = statistics.median(ok), statistics.quantiles(ok, n=100)[98]
    line = f"{name:40s} {rate:8.1f} req/s   p50 {p50:7.2f} ms   p99 {p99:7.2f} ms   ({len(ok)} ok, {failed} failed)"
    if baseline is not None:
        line += f"   {baseline / rate:5.2f}x baseline time per request"
    return line


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=8, help="client threads per client process")
    parser.add_argument("--processes", type=int, default=2, help="client processes")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--web-threads", type=int, default=4, help="threads per gunicorn worker")
    args = parser.parse_args()
    test = connection.settings_dict.setdefault("TEST", {})
    if connection.vendor == "sqlite":
        test["NAME"] = str(Path(settings.VAR_DIR) / "gateway-load.sqlite3")
    else:
        test["NAME"] = f"test_{connection.settings_dict['NAME']}_gateway_load"
    creation = connection.creation
    test_name = creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        run(args, test_name)
    finally:
        connection.close()
        creation.destroy_test_db(test_name, verbosity=0)


def run(args: Any, test_name: str) -> None:
    from accessctl.api_keys import api_key_issue
    from accessctl.models import Role
    from accessctl.services import organization_get_or_create, role_assign, user_create
    from audit.models import AuditEvent
    from audit.services import sequence_chain
    from audit.verify_live import verify_chain
    from deployments.catalog import catalog_ensure
    from deployments.models import CatalogModel, Deployment
    from tests.deployments.fakes import FakeOpenAIServer

    catalog_ensure()
    organization, _ = organization_get_or_create(name="Load Health")
    user = user_create(organization=organization, username="load", email="load@example.org", password=None)
    role_assign(actor=None, organization=organization, user=user,
                role=Role.objects.get(organization=organization, name="org-admin"))  # fmt: skip
    runtime = FakeOpenAIServer(api_key=RUNTIME_KEY, model="bench-model")
    deployment = Deployment.objects.create(
        organization=organization, name="load-assistant", provider="external", compute_type="cpu", state="ready",
        model=CatalogModel.objects.get(name="HuggingFaceTB/SmolLM2-135M-Instruct"), endpoint_url=runtime.url,
        endpoint_secret=RUNTIME_KEY, provider_state={"remote_model": "bench-model"},
        security_settings={"network_isolation": True, "private_endpoints": False},
    )  # fmt: skip
    _, token = api_key_issue(actor=None, organization=organization, user=user, name="load")
    connection.close()  # the server processes take over the database

    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url(), "PAITIENT_BIND": f"127.0.0.1:{port}",
           "WEB_CONCURRENCY": str(args.workers), "WEB_THREADS": str(args.web_threads), "PAITIENT_TLS_CERT": "",
           "PAITIENT_TLS_KEY": ""}  # fmt: skip
    log_path = Path(settings.VAR_DIR) / "gateway-load-gunicorn.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as log_file:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "portal/gunicorn_conf.py", "portal.wsgi:application"],
            cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT,
        )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                raise SystemExit(f"gunicorn exited; see {log_path}")
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"gunicorn did not answer within 60 s; see {log_path}")
            time.sleep(0.2)

        clients = args.threads * args.processes
        per_thread = math.ceil(args.calls / clients)
        generate = f"/api/v1/deployments/{deployment.public_id}/generate"
        body = {"prompt": PROMPT, "max_tokens": 32, "security_settings": {"phi_handling": "redact"}}
        print(f"database: {connection.vendor} ({test_name}); cores: {os.cpu_count()}")
        print(f"server: gunicorn {args.workers} processes x {args.web_threads} threads; clients: {args.processes} "
              f"processes x {args.threads} threads, {per_thread * clients} calls each figure")  # fmt: skip
        # Warm-up: every server process loads the PHI engine and opens its connections before timing.
        loadgen.run(url, token, "POST", generate, body, calls=3, threads=args.threads, processes=args.processes)
        warmed = AuditEvent.objects.filter(event_type="model.inference").count()

        me, me_wall = loadgen.run(url, token, "GET", "/api/v1/me", calls=per_thread, threads=args.threads,
                                  processes=args.processes)  # fmt: skip
        baseline_rate = sum(call.status == 200 for call in me) / me_wall
        print(describe("baseline: GET /api/v1/me", me, me_wall))
        calls, wall = loadgen.run(url, token, "POST", generate, body, calls=per_thread, threads=args.threads,
                                  processes=args.processes)  # fmt: skip
        print(describe("POST .../generate (redact, external)", calls, wall, baseline_rate))
        errors = sorted({f"{call.status} {call.error[:80]}" for call in calls if call.status != 200})
        for error in errors[:5]:
            print(f"  error: {error}")
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        runtime.close()

    answered = {call.inference_id for call in calls if call.status == 200}
    sequence_chain(organization.public_id)
    audited = AuditEvent.objects.filter(event_type="model.inference", resource_id=deployment.public_id).count()
    report = verify_chain(organization.public_id)
    print(f"audit: {audited - warmed} model.inference events for {len(answered)} answered calls; chain {report.line()}")


if __name__ == "__main__":
    main()
