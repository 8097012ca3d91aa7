"""A runtime that answers instantly with what it was sent: gateway tests see exactly what reached the model."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from typing import Any

from deployments.providers import ChatMessage, Generation


class EchoStream:
    """The echo answer streamed in pieces of `piece` characters, like a runtime sending tokens."""

    def __init__(self, text: str, piece: int, prompt_tokens: int, delay: float = 0.0) -> None:
        self.text, self.piece, self.delay = text, piece, delay
        self.prompt_tokens, self.completion_tokens, self.finish_reason = prompt_tokens, 0, "stop"
        self.closed = False
        self.sent = 0

    def __iter__(self) -> Iterator[str]:
        for start in range(0, len(self.text), self.piece):
            if self.closed:
                return
            if self.delay:
                time.sleep(self.delay)  # a runtime that takes its time, so a test can stop it part-way
            self.completion_tokens += 1
            self.sent = start + self.piece
            yield self.text[start : start + self.piece]

    def close(self) -> None:
        self.closed = True


class EchoProvider:
    """Answers `Echo: <last turn>` plus a fixed sentence naming a person, so response handling is visible."""

    ANSWER_SUFFIX = " Follow up with Dr. Maria Garcia next week."

    def __init__(self) -> None:
        self.prompts: list[str] = []  # the last turn of each call, as the model saw it
        self.conversations: list[list[ChatMessage]] = []
        self.streams: list[EchoStream] = []
        self.piece = 3  # characters per streamed piece
        self.delay = 0.0  # seconds before each streamed piece
        self.answer: str | None = None  # answer this instead of the echo

    def _answer(self, messages: Sequence[ChatMessage]) -> str:
        self.conversations.append(list(messages))
        self.prompts.append(messages[-1].content)
        return self.answer if self.answer is not None else f"Echo: {messages[-1].content}{self.ANSWER_SUFFIX}"

    def generate(self, deployment: Any, messages: Sequence[ChatMessage], *, max_tokens: int,
                 temperature: float) -> Generation:  # fmt: skip
        text = self._answer(messages)
        return Generation(text=text, prompt_tokens=len(messages[-1].content.split()), completion_tokens=8)

    def stream(self, deployment: Any, messages: Sequence[ChatMessage], *, max_tokens: int,
               temperature: float) -> EchoStream:  # fmt: skip
        stream = EchoStream(self._answer(messages), self.piece, len(messages[-1].content.split()), self.delay)
        self.streams.append(stream)
        return stream

    def status(self, deployment: Any) -> str:
        return "running"


def use_echo_provider(monkeypatch: Any) -> EchoProvider:
    provider = EchoProvider()
    monkeypatch.setattr("deployments.gateway.provider_for", lambda name: provider)
    return provider


class FakeOpenAIServer:
    """A minimal OpenAI-compatible endpoint on loopback (the `external` provider's far end) that checks the key."""

    def __init__(self, api_key: str, model: str, *, tls: tuple[bytes, bytes] | None = None) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        self.received: list[dict[str, Any]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output quiet
                return

            def _reply(self, status: int, payload: dict[str, Any]) -> None:
                import json

                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _authorised(self) -> bool:
                if self.headers.get("Authorization") == f"Bearer {api_key}":
                    return True
                self._reply(401, {"error": {"message": "bad key"}})
                return False

            def do_GET(self) -> None:
                if self._authorised():
                    self._reply(200, {"object": "list", "data": [{"id": model, "object": "model"}]})

            def do_POST(self) -> None:
                import json

                if not self._authorised():
                    return
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                server.received.append(body)
                text = "External says: " + body["messages"][-1]["content"]
                self._reply(200, {"choices": [{"message": {"role": "assistant", "content": text},
                                               "finish_reason": "stop"}],
                                  "usage": {"prompt_tokens": 5, "completion_tokens": 4}})  # fmt: skip

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        scheme = "http"
        if tls is not None:  # (certificate PEM, key PEM)
            import ssl
            import tempfile
            from pathlib import Path

            folder = Path(tempfile.mkdtemp())
            (folder / "cert.pem").write_bytes(tls[0])
            (folder / "key.pem").write_bytes(tls[1])
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
            self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
            scheme = "https"
        self.url = f"{scheme}://127.0.0.1:{self.httpd.server_address[1]}/v1"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
