"""Inference gateway overhead: everything except the model, for a 1 KB clinical prompt.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/paitient .venv/bin/python bench/gateway_bench.py [--calls N]

The runtime answers instantly (an in-process provider), so the figures are the gateway's own cost: policy
check, compliance gate, PHI engine on prompt and answer, two audit events, and (for the REST figure) bearer-key
authentication, DRF parsing and serialisation. Baselines in the same process: the PHI engine alone on the
prompt, and a bare authenticated REST call (`GET /api/v1/me`). Each gateway figure is followed by its per-stage
breakdown (policy, compliance gate, PHI prompt, provider, PHI answer, audit), read from the gateway's Prometheus
histogram. Targets (issue 23): REST redact p50 <= 1.6x and p99 <= 2.0x `GET /api/v1/me` in the same run.
Runs in a throw-away database (test_<name>), created and dropped here.
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("SECRET_KEY", "bench-" + secrets.token_urlsafe(32))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("PAITIENT_MASTER_KEY", "YmVuY2gtbWFzdGVyLWtleS0zMi1ieXRlcy1sb25nISE=")

import django

django.setup()

from django.db import connection  # noqa: E402

PROMPT = (
    "Patient John Smith (DOB: 01/15/1965, MRN 4417823) was seen on 03/02/2024 at Mercy General Hospital for "
    "follow-up of type 2 diabetes. HbA1c 8.1%, up from 7.4% in October. He reports polyuria and fatigue, denies "
    "chest pain. Current medications: metformin 1000 mg twice daily, lisinopril 10 mg daily. BP 142/88, BMI 31. "
    "Plan: add empagliflozin 10 mg daily, recheck BMP in two weeks, refer to nutrition. His daughter Mary Smith "
    "(phone 617-555-0143) will drive him to appointments. Discussed foot care and annual retinal exam; the last "
    "eye exam was 11/2022. Continue home glucose monitoring; call the clinic at 617-555-0100 for readings over 300. "
    "Labs today: fasting glucose 186 mg/dL, creatinine 1.1 mg/dL, eGFR 68, potassium 4.6, LDL 112 on atorvastatin "
    "20 mg. Microalbumin/creatinine ratio 42 (mildly increased). Vaccines: influenza given, pneumococcal due. "
    "Follow-up with Dr. Alvarez in 3 months; sooner if symptoms worsen. Total time 30 minutes, over half counseling. "
    "Return precautions were reviewed with him and his daughter."
)


class InstantRuntime:
    def generate(self, deployment: Any, messages: Any, *, max_tokens: int, temperature: float) -> Any:
        from deployments.providers import Generation

        return Generation(text="Summary: glucose control worsening; SGLT2 inhibitor added.", prompt_tokens=250,
                          completion_tokens=12)  # fmt: skip


def timed(call: Callable[[], Any], calls: int, warmup: int = 20, warm: Callable[[], Any] | None = None) -> list[float]:
    for _ in range(warmup):
        call()
    if warm is not None:  # after the warm-up, before the timed calls
        warm()
    samples = []
    for _ in range(calls):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def stage_totals() -> dict[str, tuple[float, float]]:
    """Seconds and calls so far per gateway stage, read from the Prometheus histogram the gateway feeds."""
    from prometheus_client import REGISTRY

    from core.metrics import GATEWAY_STAGES

    totals = {}
    for stage in GATEWAY_STAGES:
        seconds = REGISTRY.get_sample_value("paitient_gateway_stage_seconds_sum", {"stage": stage}) or 0.0
        calls = REGISTRY.get_sample_value("paitient_gateway_stage_seconds_count", {"stage": stage}) or 0.0
        totals[stage] = (seconds, calls)
    return totals


def mark(totals: dict[str, tuple[float, float]]) -> None:
    totals.update(stage_totals())


def breakdown(before: dict[str, tuple[float, float]], samples: list[float]) -> str:
    """Mean milliseconds per call in each stage since `before`, and what the stages don't cover."""
    after = stage_totals()
    parts, staged = [], 0.0
    for stage, (seconds, calls) in after.items():
        done = calls - before[stage][1]
        mean_ms = (seconds - before[stage][0]) / done * 1000 if done else 0.0
        staged += mean_ms
        parts.append(f"{stage} {mean_ms:.2f}")
    rest = statistics.mean(samples) - staged
    return f"    stages, mean ms per call: {', '.join(parts)}; outside the stages {rest:.2f}"


def describe(name: str, samples: list[float], baseline: list[float] | None = None) -> str:
    p50 = statistics.median(samples)
    p99 = statistics.quantiles(samples, n=100)[98]
    line = f"{name:44s} p50 {p50:7.2f} ms   p99 {p99:7.2f} ms"
    if baseline is not None:
        line += f"   ({p50 / statistics.median(baseline):6.1f}x baseline p50)"
    return line


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=500)
    args = parser.parse_args()
    creation = connection.creation
    test_name = creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        run(args.calls, test_name)
    finally:
        creation.destroy_test_db(test_name, verbosity=0)


def run(calls: int, test_name: str) -> None:
    import deployments.gateway as gateway
    from accessctl.actor import Actor
    from accessctl.api_keys import api_key_issue
    from accessctl.models import Role
    from accessctl.services import organization_get_or_create, role_assign, user_create
    from deployments.catalog import catalog_ensure
    from deployments.models import CatalogModel, Deployment
    from phi import get_engine, process

    catalog_ensure()
    organization, _ = organization_get_or_create(name="Bench Health")
    user = user_create(organization=organization, username="bench", email="bench@example.org", password=None)
    role_assign(actor=None, organization=organization, user=user,
                role=Role.objects.get(organization=organization, name="org-admin"))  # fmt: skip
    deployment = Deployment.objects.create(
        organization=organization, name="bench-assistant", provider="local", compute_type="cpu", state="ready",
        model=CatalogModel.objects.get(name="HuggingFaceTB/SmolLM2-135M-Instruct"),
        security_settings={"network_isolation": True, "private_endpoints": False, "encryption_level": "maximum"},
    )  # fmt: skip
    runtime = InstantRuntime()
    setattr(gateway, "provider_for", lambda name: runtime)  # noqa: B010 - the instant runtime stands in
    get_engine()  # load the lexicon before timing
    actor = Actor(organization=organization, user=user, ip="10.0.0.5")
    print(f"database: {connection.vendor} ({test_name}); prompt {len(PROMPT.encode())} bytes; {calls} calls each")
    print(f"cores: {os.cpu_count()}")

    def phi_only() -> None:
        process(PROMPT, "redact")

    baseline = timed(phi_only, calls)
    print(describe("baseline: PHI engine alone on the prompt", baseline))
    results: dict[str, list[float]] = {}
    for mode in ("detect", "redact", "deidentify"):
        request = gateway.GenerateRequest(prompt=PROMPT, max_tokens=64, temperature=0.2, phi_handling=mode)

        def call(request: gateway.GenerateRequest = request) -> None:
            gateway.generate(actor=actor, deployment_id=deployment.public_id, request=request)

        before: dict[str, tuple[float, float]] = {}
        results[mode] = timed(call, calls, warm=partial(mark, before))
        print(describe(f"gateway service, {mode}", results[mode], baseline))
        print(breakdown(before, results[mode]))

    from rest_framework.test import APIClient

    _, token = api_key_issue(actor=None, organization=organization, user=user, name="bench")
    client = APIClient(REMOTE_ADDR="10.0.0.5", HTTP_HOST="localhost")
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    url = f"/api/v1/deployments/{deployment.public_id}/generate"
    body = {"prompt": PROMPT, "max_tokens": 64, "security_settings": {"phi_handling": "redact"}}

    def rest_me() -> None:
        assert client.get("/api/v1/me").status_code == 200

    def rest_generate() -> None:
        assert client.post(url, body, format="json").status_code == 200

    rest_baseline = timed(rest_me, calls)
    print(describe("baseline: authenticated GET /api/v1/me", rest_baseline))
    before = {}
    rest = timed(rest_generate, calls, warm=partial(mark, before))
    print(describe("REST POST .../generate, redact (full stack)", rest, rest_baseline))
    print(breakdown(before, rest) + " (authentication, DRF, serialisation)")
    p50_ratio = statistics.median(rest) / statistics.median(rest_baseline)
    p99 = statistics.quantiles(rest, n=100)[98]
    p99_ratio = p99 / statistics.quantiles(rest_baseline, n=100)[98]
    service_ratio = statistics.median(results["detect"]) / statistics.median(baseline)
    print(
        f"ratios: REST redact p50 {p50_ratio:.2f}x GET /me (target <= 1.6x), p99 {p99_ratio:.2f}x (target <= 2.0x); "
        f"gateway service detect p50 {service_ratio:.2f}x the PHI engine alone"
    )
    print(f"gateway overhead p99 (REST, redact): {p99:.2f} ms (issue 8's absolute target: 10 ms on its machine)")


if __name__ == "__main__":
    main()
