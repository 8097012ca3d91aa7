"""HTTP with the service: bearer auth, timeouts, retries with backoff on 429/502/503/504, typed errors."""

from __future__ import annotations

import json as _json
import random
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx

from paitient_secure_model.errors import ServiceUnavailableError, error_for

RETRY_STATUSES = {429, 502, 503, 504}
USER_AGENT = "paitient-secure-model-python/0.1.0"


class Transport:
    def __init__(
        self,
        base_url: str,
        api_key: str,
        *,
        timeout: float,
        verify: bool | str,
        max_retries: int,
        http_transport: httpx.BaseTransport | None = None,
        backoff_base: float = 0.25,
    ) -> None:
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self._http = httpx.Client(
            base_url=base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {api_key}", "User-Agent": USER_AGENT, "Accept": "application/json"},
            timeout=timeout,
            verify=verify,
            transport=http_transport,
        )

    def close(self) -> None:
        self._http.close()

    def request(self, method: str, path: str, *, params: Any = None, json: Any = None) -> Any:
        response = self._send(method, path, params=params, json=json)
        return response.json() if response.content else None

    def events(self, method: str, path: str, *, json: Any = None) -> Iterator[tuple[str, dict[str, Any]]]:
        """Open a server-sent event stream; iterate it for (event name, parsed data). A refusal raises here,
        like `request` (without retries: a stream is not replayed); closing the iterator closes the connection."""
        headers = {"Accept": "text/event-stream, application/json"}
        try:
            response = self._http.send(self._http.build_request(method, path, json=json, headers=headers), stream=True)
        except httpx.TransportError as exc:
            raise ServiceUnavailableError(f"cannot reach the service: {type(exc).__name__}") from None
        if response.status_code >= 400:
            response.read()
            response.close()
            raise error_for(response.status_code, _problem(response))
        return _server_sent_events(response)

    def download(self, url: str) -> bytes:
        """GET a link the service handed out (absolute or not) and return the body as bytes. The API key
        goes only to the configured service: another host's URL is taken for its path and query."""
        parts = urlsplit(url)
        base = self._http.base_url
        if parts.scheme and (parts.scheme, parts.netloc) != (base.scheme, base.netloc.decode("ascii")):
            url = parts.path + (f"?{parts.query}" if parts.query else "")
        return self._send("GET", url, headers={"Accept": "*/*"}).content

    def _send(
        self, method: str, path: str, *, params: Any = None, json: Any = None, headers: dict[str, str] | None = None
    ) -> httpx.Response:
        attempt = 0
        while True:
            try:
                response = self._http.request(method, path, params=params, json=json, headers=headers)
            except httpx.TransportError as exc:
                if attempt >= self.max_retries:
                    raise ServiceUnavailableError(f"cannot reach the service: {type(exc).__name__}") from None
            else:
                if response.status_code < 400:
                    return response
                if response.status_code not in RETRY_STATUSES or attempt >= self.max_retries:
                    raise error_for(response.status_code, _problem(response))
                retry_after = response.headers.get("Retry-After", "")
                if retry_after.isdigit():
                    time.sleep(min(float(retry_after), 30.0, self.backoff_base * 120))
                    attempt += 1
                    continue
            time.sleep(min(self.backoff_base * 2**attempt, 8.0) * (0.5 + random.random()))  # noqa: S311 - jitter
            attempt += 1


def _problem(response: httpx.Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {"status": response.status_code, "detail": response.reason_phrase}
    return body if isinstance(body, dict) else {"status": response.status_code, "detail": str(body)}


def _server_sent_events(response: httpx.Response) -> Iterator[tuple[str, dict[str, Any]]]:
    try:
        name, data = "message", []
        for line in response.iter_lines():
            if line.startswith("event:"):
                name = line[6:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].strip())
            elif not line and data:
                yield name, _json.loads("\n".join(data))
                name, data = "message", []
    except httpx.TransportError as exc:
        raise ServiceUnavailableError(f"the stream from the service broke: {type(exc).__name__}") from None
    finally:
        response.close()
