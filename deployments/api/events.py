"""Server-sent events for streamed inference: the encoding, and the response body that audits a client gone early."""

from __future__ import annotations

import json
from collections.abc import Callable, Generator, Iterator
from typing import Any

from django.http import StreamingHttpResponse

from deployments.streaming import InferenceStream

Events = Generator[bytes, None, None]


def sse(payload: dict[str, Any], event: str | None = None) -> bytes:
    """One event; `event` names it (the native stream), OpenAI's chunks have none."""
    data = f"data: {json.dumps(payload, separators=(',', ':'))}\n\n"
    return (f"event: {event}\n" + data if event else data).encode()


class EventStream:
    """The streamed response's body. Django closes it when the response ends or the client goes away, even
    before the first event: then the call is still audited (cancelled) and the runtime's stream closed."""

    def __init__(self, stream: InferenceStream, events: Callable[[InferenceStream], Events]) -> None:
        self._stream = stream
        self._events = events(stream)

    def __iter__(self) -> Iterator[bytes]:
        return self._events

    def close(self) -> None:
        self._events.close()
        self._stream.close()


def event_stream_response(
    stream: InferenceStream, events: Callable[[InferenceStream], Events]
) -> StreamingHttpResponse:
    response = StreamingHttpResponse(EventStream(stream, events), content_type="text/event-stream")
    response["Cache-Control"] = "no-cache"
    response["X-Accel-Buffering"] = "no"  # a proxy must pass each event on as it comes
    return response
