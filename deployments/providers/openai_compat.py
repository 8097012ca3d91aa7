"""One client for every OpenAI-compatible runtime (llama.cpp locally, the AWS instance, external endpoints).

Connections are pooled per endpoint, TLS is verified (`PAITIENT_RUNTIME_CA_BUNDLE` adds a private CA), and
no error message carries the prompt or the answer: only status codes and the runtime's error type.
"""

from __future__ import annotations

import ssl
import threading
from typing import Any

import httpx

from deployments.providers import Generation, ProviderError, RuntimeUnavailable
from portal.config import env_str
from portal.tls import harden

_clients: dict[str, httpx.Client] = {}
_lock = threading.Lock()
TIMEOUT = httpx.Timeout(connect=5.0, read=120.0, write=30.0, pool=5.0)


def _verify(pinned_certificate: str) -> ssl.SSLContext | str | bool:
    """TLS verification: a runtime we provisioned is pinned to the certificate we made for it (its hostname is
    a private address, so the pin replaces the name check); others verify against the system or a private CA."""
    if pinned_certificate:
        context = harden(ssl.create_default_context(ssl.Purpose.SERVER_AUTH, cadata=pinned_certificate))
        context.check_hostname = False  # the certificate itself is pinned: only its holder can answer
        return context
    return env_str("PAITIENT_RUNTIME_CA_BUNDLE") or True


def _client(base_url: str, pinned_certificate: str = "") -> httpx.Client:
    cache_key = f"{base_url}\n{pinned_certificate}"
    with _lock:
        client = _clients.get(cache_key)
        if client is None:
            verify = _verify(pinned_certificate)
            client = httpx.Client(base_url=base_url, timeout=TIMEOUT, verify=verify, trust_env=False)
            _clients[cache_key] = client
        return client


def _headers(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"} if secret else {}


def models(base_url: str, secret: str, *, timeout: float = 5.0, pinned_certificate: str = "") -> list[str]:
    """The model ids the runtime serves (`GET /models`); RuntimeUnavailable when it does not answer."""
    try:
        response = _client(base_url, pinned_certificate).get("/models", headers=_headers(secret), timeout=timeout)
    except httpx.HTTPError as exc:
        raise RuntimeUnavailable(f"the runtime did not answer ({type(exc).__name__})") from None
    if response.status_code != 200:
        raise ProviderError(f"the runtime answered HTTP {response.status_code} to GET /models")
    return [str(item.get("id")) for item in response.json().get("data", []) if isinstance(item, dict)]


def chat(
    base_url: str,
    secret: str,
    *,
    model: str,
    prompt: str,
    max_tokens: int,
    temperature: float,
    pinned_certificate: str = "",
) -> Generation:
    body: dict[str, Any] = {
        "model": model,
        "messages": [{"role": "user", "content": prompt}],
        "max_tokens": max_tokens,
        "temperature": temperature,
        "stream": False,
    }
    try:
        response = _client(base_url, pinned_certificate).post("/chat/completions", json=body, headers=_headers(secret))
    except httpx.HTTPError as exc:
        raise RuntimeUnavailable(f"the runtime did not answer ({type(exc).__name__})") from None
    if response.status_code in {502, 503, 504}:
        raise RuntimeUnavailable(f"the runtime answered HTTP {response.status_code}")
    if response.status_code != 200:
        raise ProviderError(f"the runtime answered HTTP {response.status_code}")
    try:
        payload = response.json()
        choice = payload["choices"][0]
        text = choice["message"]["content"] or ""
        usage = payload.get("usage") or {}
    except (ValueError, KeyError, IndexError, TypeError):
        raise ProviderError("the runtime's answer is not an OpenAI chat completion") from None
    return Generation(
        text=str(text),
        prompt_tokens=int(usage.get("prompt_tokens") or 0),
        completion_tokens=int(usage.get("completion_tokens") or 0),
        finish_reason=str(choice.get("finish_reason") or "stop"),
    )
