"""One client for every OpenAI-compatible runtime (llama.cpp locally, the AWS instance, external endpoints).

Connections are pooled per endpoint, TLS is verified (`PAITIENT_RUNTIME_CA_BUNDLE` adds a private CA), and
no error message carries the prompt or the answer: only status codes and the runtime's error type.

An `external=True` call is to a tenant-chosen endpoint: it connects only to public addresses (checked on every
connection, `egress.GuardedTransport`), follows no redirect, and its errors are fixed sentences with at most the
HTTP status: nothing the endpoint sent, and the same sentence for every way of not answering (refused, timed
out, not HTTP, a refused address), so they cannot be used to scan ports.
"""

from __future__ import annotations

import ssl
import threading
from typing import Any

import httpx

from core.config import env_str
from core.tls import harden
from deployments.providers import Generation, ProviderError, RuntimeUnavailable
from deployments.providers.egress import GuardedTransport

_clients: dict[str, httpx.Client] = {}
_lock = threading.Lock()
TIMEOUT = httpx.Timeout(connect=5.0, read=120.0, write=30.0, pool=5.0)
UNREACHABLE = "The endpoint could not be reached."


def _verify(pinned_certificate: str) -> ssl.SSLContext | str | bool:
    """TLS verification: a runtime we provisioned is pinned to the certificate we made for it (its hostname is
    a private address, so the pin replaces the name check); others verify against the system or a private CA."""
    if pinned_certificate:
        context = harden(ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cadata=pinned_certificate))
        context.check_hostname = False  # the certificate itself is pinned: only its holder can answer
        return context
    return env_str("PAITIENT_RUNTIME_CA_BUNDLE") or True


def _client(base_url: str, pinned_certificate: str = "", *, external: bool = False) -> httpx.Client:
    cache_key = f"{base_url}\n{pinned_certificate}\n{'external' if external else 'ours'}"
    with _lock:
        client = _clients.get(cache_key)
        if client is None:
            verify = _verify(pinned_certificate)
            if external:
                client = httpx.Client(base_url=base_url, timeout=TIMEOUT, transport=GuardedTransport(verify),
                                      follow_redirects=False, trust_env=False)  # fmt: skip
            else:
                client = httpx.Client(base_url=base_url, timeout=TIMEOUT, verify=verify, trust_env=False)
            _clients[cache_key] = client
        return client


def _who(external: bool) -> str:
    return "The endpoint" if external else "The runtime"


def _unavailable(exc: httpx.HTTPError, external: bool) -> RuntimeUnavailable:
    """Why nothing answered: for an external endpoint one sentence for every cause (no port scanning)."""
    return RuntimeUnavailable(UNREACHABLE if external else f"The runtime did not answer ({type(exc).__name__}).")


def _headers(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"} if secret else {}


def models(
    base_url: str, secret: str, *, timeout: float = 5.0, pinned_certificate: str = "", external: bool = False
) -> list[str]:
    """The model ids the runtime serves (`GET /models`); RuntimeUnavailable when it does not answer."""
    client = _client(base_url, pinned_certificate, external=external)
    try:
        response = client.get("/models", headers=_headers(secret), timeout=timeout)
    except httpx.HTTPError as exc:
        raise _unavailable(exc, external) from None
    if response.status_code != 200:
        raise ProviderError(f"{_who(external)} answered HTTP {response.status_code} to GET /models.")
    try:
        data = response.json().get("data", [])
        return [str(item.get("id")) for item in data if isinstance(item, dict)]
    except (ValueError, AttributeError, TypeError):
        raise ProviderError("The answer to GET /models is not an OpenAI model list.") from None


def chat(
    base_url: str,
    secret: str,
    *,
    model: str,
    prompt: str,
    max_tokens: int,
    temperature: float,
    pinned_certificate: str = "",
    external: bool = False,
) -> Generation:
    body: dict[str, Any] = {
        "model": model,
        "messages": [{"role": "user", "content": prompt}],
        "max_tokens": max_tokens,
        "temperature": temperature,
        "stream": False,
    }
    client = _client(base_url, pinned_certificate, external=external)
    try:
        response = client.post("/chat/completions", json=body, headers=_headers(secret))
    except httpx.HTTPError as exc:
        raise _unavailable(exc, external) from None
    if response.status_code in {502, 503, 504}:
        raise RuntimeUnavailable(f"{_who(external)} answered HTTP {response.status_code} to POST /chat/completions.")
    if response.status_code != 200:
        raise ProviderError(f"{_who(external)} answered HTTP {response.status_code} to POST /chat/completions.")
    try:
        payload = response.json()
        choice = payload["choices"][0]
        usage = payload.get("usage") or {}
        return Generation(
            text=str(choice["message"]["content"] or ""),
            prompt_tokens=int(usage.get("prompt_tokens") or 0),
            completion_tokens=int(usage.get("completion_tokens") or 0),
            finish_reason=str(choice.get("finish_reason") or "stop"),
        )
    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
        raise ProviderError(f"{_who(external)}'s answer is not an OpenAI chat completion.") from None
