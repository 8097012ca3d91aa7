"""A reverse proxy on loopback that stands for a hospital's TLS terminator: it forwards every request to the
live server from its own loopback address and says, in X-Forwarded-For, which client it serves."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

PROXY_SOURCE = "127.0.0.2"  # the proxy's own address toward the server: loopback, as every test address is
_HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "host", "proxy-connection"}


@contextmanager
def forwarding_proxy(upstream: str, client_address: str) -> Iterator[str]:
    """Serve on 127.0.0.1 until the block ends; yields the proxy's base URL."""
    transport = httpx.HTTPTransport(local_address=PROXY_SOURCE)
    session = httpx.Client(base_url=upstream, transport=transport, timeout=60)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _forward(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
            headers["X-Forwarded-For"] = client_address
            reply = session.request(self.command, self.path, headers=headers, content=body)
            self.send_response(reply.status_code)
            for name, value in reply.headers.multi_items():
                if name.lower() not in _HOP_BY_HOP and name.lower() != "content-encoding":
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(reply.content)))
            self.end_headers()
            self.wfile.write(reply.content)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _forward

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        session.close()
