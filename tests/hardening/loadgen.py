"""A small HTTP load generator: client processes (each its own interpreter, started fresh, no Django) with
client threads in each, every thread on its own keep-alive connection. Used by the audit-under-load test and
`bench/gateway_load.py`.

    python -m tests.hardening.loadgen URL TOKEN METHOD PATH --calls N --threads T [--body JSON]

prints one JSON line per call (status, milliseconds, inference id) once every thread is done.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent.parent


@dataclass(frozen=True)
class Call:
    status: int
    ms: float
    inference_id: str = ""
    error: str = ""


def _thread(base_url: str, token: str, method: str, path: str, body: Any, calls: int, start: float) -> list[Call]:
    results: list[Call] = []
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=base_url, headers=headers, timeout=120.0, trust_env=False) as client:
        time.sleep(max(0.0, start - time.time()))  # every thread of every process starts together
        for _ in range(calls):
            started = time.perf_counter()
            try:
                response = client.request(method, path, json=body)
            except httpx.HTTPError as exc:
                results.append(Call(0, (time.perf_counter() - started) * 1000, error=type(exc).__name__))
                continue
            ms = (time.perf_counter() - started) * 1000
            inference_id = ""
            if response.status_code == 200 and response.headers.get("content-type", "").startswith("application/json"):
                inference_id = str(response.json().get("id", "")) if method == "POST" else ""
            results.append(Call(response.status_code, ms, inference_id, "" if response.status_code == 200 else
                                response.text[:200]))  # fmt: skip
    return results


def run_threads(
    base_url: str, token: str, method: str, path: str, body: Any, *, calls: int, threads: int, start: float
) -> list[Call]:
    """`calls` calls on each of `threads` threads of this process."""
    with ThreadPoolExecutor(threads) as pool:
        futures = [pool.submit(_thread, base_url, token, method, path, body, calls, start) for _ in range(threads)]
        return [call for future in futures for call in future.result()]


def run(
    base_url: str,
    token: str,
    method: str,
    path: str,
    body: Any = None,
    *,
    calls: int,
    threads: int,
    processes: int,
    start_in: float = 3.0,
) -> tuple[list[Call], float]:
    """(every call, wall seconds): `processes` client processes x `threads` threads x `calls` calls each, all
    starting at the same instant (`start_in` seconds from now, time for the interpreters to start)."""
    start = time.time() + start_in
    argv = [sys.executable, "-m", "tests.hardening.loadgen", base_url, token, method, path, "--calls", str(calls),
            "--threads", str(threads), "--start", repr(start), "--body", json.dumps(body)]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    children = [
        subprocess.Popen(argv, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)  # noqa: S603
        for _ in range(processes)
    ]
    results: list[Call] = []
    lock = threading.Lock()

    def collect(child: subprocess.Popen[bytes]) -> None:
        out, err = child.communicate(timeout=900)
        if child.returncode != 0:
            raise RuntimeError(f"load process failed ({child.returncode}): {err.decode(errors='replace')[-2000:]}")
        calls_ = [Call(**json.loads(line)) for line in out.decode().splitlines() if line.strip()]
        with lock:
            results.extend(calls_)

    try:
        with ThreadPoolExecutor(processes) as pool:
            for future in [pool.submit(collect, child) for child in children]:
                future.result()
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                child.wait()
    return results, time.time() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    for name in ("url", "token", "method", "path"):
        parser.add_argument(name)
    parser.add_argument("--calls", type=int, required=True)
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--start", type=float, default=0.0)
    parser.add_argument("--body", default="null")
    args = parser.parse_args()
    calls = run_threads(args.url, args.token, args.method, args.path, json.loads(args.body), calls=args.calls,
                        threads=args.threads, start=args.start)  # fmt: skip
    for call in calls:
        print(json.dumps(call.__dict__))


if __name__ == "__main__":
    main()
