"""Collectors on loopback for the SIEM tests: an HTTPS endpoint that takes OCSF JSON lines with a bearer token,
and a syslog-over-TLS receiver (RFC 5425 octet counting). Both use a fresh self-signed certificate for 127.0.0.1
and localhost (`ca_pem`), record what arrives, and can be told to refuse or to hold a request."""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from socketserver import BaseRequestHandler, ThreadingTCPServer
from typing import Any

from core.tls import self_signed_pem


def _server_context(folder: Path) -> tuple[ssl.SSLContext, str]:
    cert_pem, key_pem = self_signed_pem("collector", ["localhost"], ["127.0.0.1"])
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "cert.pem").write_bytes(cert_pem)
    (folder / "key.pem").write_bytes(key_pem)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(folder / "cert.pem", folder / "key.pem")
    return context, cert_pem.decode()


@dataclass
class Received:
    """What a collector took, in arrival order: each batch's events (parsed) and whether it was acknowledged."""

    batches: list[list[dict[str, Any]]] = field(default_factory=list)
    acknowledged: list[bool] = field(default_factory=list)
    authorizations: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def events(self) -> list[dict[str, Any]]:
        with self.lock:
            return [event for batch in self.batches for event in batch]

    def ids(self) -> list[str]:
        return [event["metadata"]["uid"] for event in self.events()]


class HttpsCollector:
    """POST / with `Authorization: Bearer <token>`: 200 and the batch recorded, 401 for another token, or
    `status` when set. `hold_batch` (1-based): that batch is recorded, then its answer waits for `release`."""

    def __init__(self, folder: Path, token: str = "collector-token-123") -> None:  # noqa: S107 - a test's token
        self.token, self.status = token, 200
        self.received = Received()
        self.hold_batch: int | None = None
        self.holding, self.release = threading.Event(), threading.Event()
        context, self.ca_pem = _server_context(folder)
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                authorization = self.headers.get("Authorization", "")
                if authorization != f"Bearer {collector.token}" or collector.status != 200:
                    self.send_response(401 if authorization != f"Bearer {collector.token}" else collector.status)
                    self.end_headers()
                    return
                events = [json.loads(line) for line in body.decode().splitlines()]
                with collector.received.lock:
                    collector.received.batches.append(events)
                    collector.received.authorizations.append(authorization)
                    number = len(collector.received.batches)
                if number == collector.hold_batch:
                    collector.holding.set()
                    collector.release.wait(60)
                self.send_response(200)
                self.end_headers()
                with collector.received.lock:
                    collector.received.acknowledged.append(True)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.url = f"https://127.0.0.1:{self.port}/ingest"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


class SyslogReceiver:
    """Syslog over TLS: reads octet-counted RFC 5424 frames until the sender closes, then closes too."""

    def __init__(self, folder: Path) -> None:
        self.frames: list[bytes] = []
        self.lock = threading.Lock()
        context, self.ca_pem = _server_context(folder)
        receiver = self

        class Handler(BaseRequestHandler):
            def handle(self) -> None:
                tls = context.wrap_socket(self.request, server_side=True)
                buffer = b""
                while True:
                    try:
                        chunk = tls.recv(65536)
                    except (ssl.SSLError, OSError):
                        break
                    if not chunk:
                        break
                    buffer += chunk
                    while b" " in buffer:
                        length, _, rest = buffer.partition(b" ")
                        if len(rest) < int(length):
                            break
                        with receiver.lock:
                            receiver.frames.append(rest[: int(length)])
                        buffer = rest[int(length) :]
                with contextlib.suppress(ssl.SSLError, OSError):
                    tls.unwrap()
                tls.close()

        self.server = ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def messages(self) -> list[tuple[bytes, dict[str, Any]]]:
        """(header, OCSF event) of each message: the header up to the MSG part, and the MSG as JSON."""
        with self.lock:
            frames = list(self.frames)
        out = []
        for frame in frames:
            parts = frame.split(b" ", 7)  # PRI+VERSION TIMESTAMP HOST APP PROCID MSGID SD MSG
            out.append((b" ".join(parts[:7]), json.loads(parts[7])))
        return out

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
