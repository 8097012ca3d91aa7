"""One client for every OpenAI-compatible runtime (llama.cpp locally, the AWS instance, external endpoints).

Connections are pooled per endpoint, TLS is verified (`PAITIENT_RUNTIME_CA_BUNDLE` adds a private CA), and
no error message carries the prompt or the answer: only status codes and the runtime's error type.

An `external=True` call is to a tenant-chosen endpoint: it connects only to public addresses (checked on every
connection, `egress.GuardedTransport`), follows no redirect, and its errors are fixed sentences with at most the
HTTP status: nothing the endpoint sent, and the same sentence for every way of not answering (refused, timed
out, not HTTP, a refused address), so they cannot be used to scan ports.
"""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Iterator, Sequence
from typing import Any

import httpx

from core.config import env_str
from core.tls import harden
from deployments.providers import ChatMessage, Generation, ProviderError, RuntimeUnavailable
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


def _chat_body(messages: Sequence[ChatMessage], model: str, max_tokens: int, temperature: float) -> dict[str, Any]:
    return {
        "model": model,
        "messages": [m.as_dict() for m in messages],
        "max_tokens": max_tokens,
        "temperature": temperature,
    }


def chat(
    base_url: str,
    secret: str,
    *,
    model: str,
    messages: Sequence[ChatMessage],
    max_tokens: int,
    temperature: float,
    pinned_certificate: str = "",
    external: bool = False,
) -> Generation:
    body = {**_chat_body(messages, model, max_tokens, temperature), "stream": False}
    client = _client(base_url, pinned_certificate, external=external)
    try:
        response = client.post("/chat/completions", json=body, headers=_headers(secret))
    except httpx.HTTPError as exc:
        raise _unavailable(exc, external) from None
    _check_status(response.status_code, external)
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


def _check_status(status: int, external: bool) -> None:
    if status in {502, 503, 504}:
        raise RuntimeUnavailable(f"{_who(external)} answered HTTP {status} to POST /chat/completions.")
    if status != 200:
        raise ProviderError(f"{_who(external)} answered HTTP {status} to POST /chat/completions.")


class ChatStream:
    """A streamed chat completion (server-sent events in OpenAI's chunk format), read as text pieces."""

    def __init__(self, response: httpx.Response, external: bool) -> None:
        self._response, self._external = response, external
        self.prompt_tokens = 0
        self.completion_tokens = 0
        self.finish_reason = "stop"
        self._usage_reported = False

    def __iter__(self) -> Iterator[str]:
        try:
            for line in self._response.iter_lines():
                if not line.startswith("data:"):
                    continue  # comments, keep-alives, event names
                data = line[5:].strip()
                if data == "[DONE]":
                    break
                yield from self._pieces(data)
        except httpx.HTTPError as exc:
            raise _unavailable(exc, self._external) from None
        finally:
            self.close()

    def _pieces(self, data: str) -> Iterator[str]:
        try:
            payload = json.loads(data)
            usage = payload.get("usage") or {}
            if usage:
                self._usage_reported = True
                self.prompt_tokens = int(usage.get("prompt_tokens") or 0)
                self.completion_tokens = int(usage.get("completion_tokens") or 0)
            pieces = []
            for choice in payload.get("choices") or []:
                if choice.get("finish_reason"):
                    self.finish_reason = str(choice["finish_reason"])
                content = (choice.get("delta") or {}).get("content")
                if content:
                    pieces.append(str(content))
        except (ValueError, TypeError, AttributeError):
            raise ProviderError(f"{_who(self._external)}'s stream is not OpenAI chat completion chunks.") from None
        for piece in pieces:
            if not self._usage_reported:
                self.completion_tokens += 1  # one chunk per token, until the runtime reports its own count
            yield piece

    def close(self) -> None:
        self._response.close()


def chat_stream(
    base_url: str,
    secret: str,
    *,
    model: str,
    messages: Sequence[ChatMessage],
    max_tokens: int,
    temperature: float,
    pinned_certificate: str = "",
    external: bool = False,
) -> ChatStream:
    """Open a streamed chat completion; errors before the first piece (refused, HTTP status) raise here."""
    body = {**_chat_body(messages, model, max_tokens, temperature), "stream": True,
            "stream_options": {"include_usage": True}}  # fmt: skip
    client = _client(base_url, pinned_certificate, external=external)
    try:
        request = client.build_request("POST", "/chat/completions", json=body, headers=_headers(secret))
        response = client.send(request, stream=True)
    except httpx.HTTPError as exc:
        raise _unavailable(exc, external) from None
    if response.status_code != 200:
        response.close()
        _check_status(response.status_code, external)
    return ChatStream(response, external)
