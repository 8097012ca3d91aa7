"""The real gunicorn server, started as scripts/run starts it, speaks only TLS 1.2+ with AEAD ciphers."""

from __future__ import annotations

import http.client
import json
import os
import socket
import ssl
import subprocess
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from core.tls import write_self_signed

ROOT = Path(__file__).resolve().parent.parent.parent
HOST = "127.0.0.1"
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0
IO_TIMEOUT_S = 5.0
# Non-AEAD (CBC + HMAC) TLS 1.2 suites for the server's ECDSA P-256 key.
CBC_ECDSA_CIPHERS = "ECDHE-ECDSA-AES128-SHA256:ECDHE-ECDSA-AES256-SHA"


@dataclass(frozen=True)
class TlsServer:
    port: int
    cert: Path
    key: Path
    log: Path


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def _client_context(cert: Path, version: ssl.TLSVersion) -> ssl.SSLContext:
    """A verifying client pinned to one protocol version, trusting only the generated certificate."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(cafile=str(cert))
    context.check_hostname = True
    context.minimum_version = version
    context.maximum_version = version
    return context


def _tls11_client_context(cert: Path) -> ssl.SSLContext:
    """A client that offers nothing newer than TLS 1.1 (OpenSSL 3 needs security level 0 for that)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(cafile=str(cert))
    context.check_hostname = True
    context.set_ciphers("ALL:@SECLEVEL=0")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # the point is to offer a deprecated protocol
        context.minimum_version = ssl.TLSVersion.TLSv1
        context.maximum_version = ssl.TLSVersion.TLSv1_1
    return context


def _cbc_client_context(cert: Path) -> ssl.SSLContext:
    """A TLS 1.2 client whose only offers are CBC suites (TLS 1.3 suites are not offered at 1.2)."""
    context = _client_context(cert, ssl.TLSVersion.TLSv1_2)
    context.set_ciphers(CBC_ECDSA_CIPHERS)
    return context


def _handshake(context: ssl.SSLContext, port: int) -> tuple[str | None, tuple[str, str, int] | None]:
    """Connect, complete the TLS handshake and return (protocol version, negotiated cipher)."""
    with (
        socket.create_connection((HOST, port), timeout=IO_TIMEOUT_S) as raw,
        context.wrap_socket(raw, server_hostname=HOST) as tls,
    ):
        return tls.version(), tls.cipher()


def _handshake_with_permissive_server(client: ssl.SSLContext, cert: Path, key: Path) -> bool:
    """Whether this OpenSSL build can complete `client`'s handshake against a server that allows
    everything from TLS 1.0 up and every cipher, so a refusal from gunicorn means its policy, not ours."""
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(certfile=str(cert), keyfile=str(key))
    server.set_ciphers("ALL:@SECLEVEL=0")
    server.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
    server.maximum_version = ssl.TLSVersion.MAXIMUM_SUPPORTED
    server_errors: list[BaseException] = []
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as listener:
        listener.bind((HOST, 0))
        listener.listen(1)
        listener.settimeout(IO_TIMEOUT_S)
        port: int = listener.getsockname()[1]

        def accept_one() -> None:
            try:
                conn, _ = listener.accept()
                with server.wrap_socket(conn, server_side=True):
                    pass
            except (OSError, ssl.SSLError) as exc:
                server_errors.append(exc)

        thread = threading.Thread(target=accept_one, daemon=True)
        thread.start()
        try:
            _handshake(client, port)
        except (OSError, ssl.SSLError):
            return False
        finally:
            thread.join(IO_TIMEOUT_S)
    return not server_errors


def _log_tail(log: Path) -> str:
    try:
        return log.read_text(errors="replace")[-4000:]
    except OSError:
        return "<no log>"


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsServer]:
    """gunicorn with portal/gunicorn_conf.py, exactly as scripts/run starts it, on a free loopback port."""
    tmp = tmp_path_factory.mktemp("tls")
    cert, key, log = tmp / "cert.pem", tmp / "key.pem", tmp / "gunicorn.log"
    write_self_signed(cert, key)
    port = _free_port()
    env = {
        **os.environ,
        "PAITIENT_BIND": f"{HOST}:{port}",
        "PAITIENT_TLS_CERT": str(cert),
        "PAITIENT_TLS_KEY": str(key),
        "PAITIENT_VAR_DIR": str(tmp / "var"),
        "WEB_CONCURRENCY": "1",
        "DATABASE_URL": f"sqlite:///{tmp / 'tls.sqlite3'}",
        "SECRET_KEY": "tls-test-" + "x" * 50,
        "DJANGO_SETTINGS_MODULE": "portal.settings",
    }
    ready_context = _client_context(cert, ssl.TLSVersion.TLSv1_2)
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "portal/gunicorn_conf.py", "portal.wsgi:application"],
            cwd=ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if process.poll() is not None:
                pytest.fail(f"gunicorn exited early with {process.returncode}:\n{_log_tail(log)}")
            try:
                _handshake(ready_context, port)
                break
            except (OSError, ssl.SSLError) as exc:
                if time.monotonic() > deadline:
                    pytest.fail(
                        f"gunicorn did not accept TLS within {START_TIMEOUT_S:.0f} s ({exc!r}):\n{_log_tail(log)}"
                    )
                time.sleep(0.2)
        yield TlsServer(port=port, cert=cert, key=key, log=log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_TIMEOUT_S)


def _get_healthz(context: ssl.SSLContext, port: int) -> tuple[int, object]:
    connection = http.client.HTTPSConnection(HOST, port, timeout=IO_TIMEOUT_S, context=context)
    try:
        connection.request("GET", "/healthz")
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def test_tls12_client_gets_healthz(tls_server: TlsServer) -> None:
    context = _client_context(tls_server.cert, ssl.TLSVersion.TLSv1_2)
    assert _handshake(context, tls_server.port)[0] == "TLSv1.2"
    assert _get_healthz(context, tls_server.port) == (200, {"status": "ok"})


def test_tls13_client_gets_healthz(tls_server: TlsServer) -> None:
    context = _client_context(tls_server.cert, ssl.TLSVersion.TLSv1_3)
    assert _handshake(context, tls_server.port)[0] == "TLSv1.3"
    assert _get_healthz(context, tls_server.port) == (200, {"status": "ok"})


def test_tls11_client_is_refused(tls_server: TlsServer) -> None:
    context = _tls11_client_context(tls_server.cert)
    if not _handshake_with_permissive_server(_tls11_client_context(tls_server.cert), tls_server.cert, tls_server.key):
        pytest.skip("this OpenSSL build cannot complete a TLS 1.1 handshake even against a permissive server")
    with pytest.raises(ssl.SSLError):
        _handshake(context, tls_server.port)


def test_tls12_cbc_only_client_is_refused(tls_server: TlsServer) -> None:
    context = _cbc_client_context(tls_server.cert)
    offered = {cipher["name"] for cipher in context.get_ciphers() if cipher["protocol"] != "TLSv1.3"}
    assert offered, "the client offers no TLS 1.2 suite"
    assert all("GCM" not in name and "CHACHA20" not in name for name in offered), offered
    # The same client succeeds against a permissive server: gunicorn's refusal is its cipher policy.
    assert _handshake_with_permissive_server(_cbc_client_context(tls_server.cert), tls_server.cert, tls_server.key)
    with pytest.raises(ssl.SSLError):
        _handshake(context, tls_server.port)


def test_tls12_negotiates_an_aead_cipher(tls_server: TlsServer) -> None:
    version, cipher = _handshake(_client_context(tls_server.cert, ssl.TLSVersion.TLSv1_2), tls_server.port)
    assert version == "TLSv1.2"
    assert cipher is not None
    name, protocol, _bits = cipher
    assert protocol == "TLSv1.2"
    assert "GCM" in name or "CHACHA20" in name, name
