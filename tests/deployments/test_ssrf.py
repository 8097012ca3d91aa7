"""SSRF through the external provider: an endpoint URL must be on the public internet, checked when the deployment
is created (a 400 naming `endpoint.url`) and again on every connection (DNS rebinding), redirects are not
followed, and nothing the endpoint sends reaches an error or `failure_reason`.

Every test here sends packets to 127.0.0.0/8 only: names resolve through a fake resolver (no DNS query leaves
the process) and a connection to any other address fails the test before it is made."""

from __future__ import annotations

import ipaddress
import socket
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from audit.models import AuditEvent
from deployments.models import CatalogModel, Deployment
from deployments.providers import ProviderError, RuntimeUnavailable, openai_compat
from deployments.providers.egress import classify
from deployments.tasks import provision_deployment
from tests.deployments.fakes import FakeOpenAIServer
from tests.deployments.test_console_views import create_form
from tests.deployments.test_gateway import generate

pytestmark = pytest.mark.django_db

SMOL = "HuggingFaceTB/SmolLM2-135M-Instruct"
CANARY = "CANARY-7f3a9c-internal-secret"
PUBLIC = "93.184.215.14"  # a public address the fake resolver hands out; nothing ever connects to it
UNREACHABLE = "The endpoint could not be reached."
LOOPBACK = ipaddress.ip_network("127.0.0.0/8")
_real_getaddrinfo = socket.getaddrinfo
_real_connect = socket.socket.connect


class FakeDNS:
    """`socket.getaddrinfo` for the tests: IP literals as usual, `localhost` to 127.0.0.1, names from `names`
    (a list of addresses, or a function of the call count giving one), anything else does not resolve."""

    def __init__(self) -> None:
        self.names: dict[str, list[str] | Callable[[int], list[str]]] = {}
        self.calls: dict[str, int] = {}

    def __call__(self, host: Any, port: Any, family: int = 0, type: int = 0, proto: int = 0, flags: int = 0) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host)
        try:
            ipaddress.ip_address(name.split("%", 1)[0])
        except ValueError:
            pass
        else:
            return _real_getaddrinfo(host, port, family, type, proto, flags | socket.AI_NUMERICHOST)
        self.calls[name] = self.calls.get(name, 0) + 1
        entry = ["127.0.0.1"] if name in {"localhost", "localhost."} else self.names.get(name)
        if entry is None:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        addresses = entry(self.calls[name]) if callable(entry) else entry
        results: list[tuple[Any, ...]] = []
        for address in addresses:
            if ipaddress.ip_address(address).version == 6:
                results.append((socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0)))
            else:
                results.append((socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port)))
        return results


@pytest.fixture(autouse=True)
def dns(monkeypatch) -> Iterator[FakeDNS]:
    """No DNS query, and no connection outside 127.0.0.0/8 (refused addresses must be refused before any)."""
    fake = FakeDNS()
    outside: list[Any] = []

    def connect(sock: socket.socket, address: Any) -> None:
        if sock.family in (socket.AF_INET, socket.AF_INET6):
            ip = ipaddress.ip_address(str(address[0]).split("%", 1)[0])
            mapped = getattr(ip, "ipv4_mapped", None) or ip
            if mapped not in LOOPBACK:
                outside.append(address)
                raise AssertionError(f"a connection to {address} was attempted")
        _real_connect(sock, address)

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    monkeypatch.setattr(socket, "getfqdn", lambda name="": name)  # http.server looks its own name up
    monkeypatch.setattr(socket.socket, "connect", connect)
    yield fake
    assert outside == []


class CannedServer:
    """An HTTP server on 127.0.0.1 that gives every request the same answer, and counts the requests."""

    def __init__(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.requests: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                return

            def _answer(self) -> None:
                server.requests.append(f"{self.command} {self.path}")
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                self.send_response(status)
                for name, value in {"Content-Type": "application/json", **(headers or {})}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST = _answer

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/v1"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A listening socket on 127.0.0.1 nobody should reach: `accept` raises BlockingIOError while nobody did."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    sock.setblocking(False)
    yield sock
    sock.close()


def create(client, url: str, name: str = "partner-llm", capture=None):
    endpoint = {"url": url, "api_key": "sk-remote-0123456789", "model": "remote-smol"}
    body = {"model_name": SMOL, "deployment_name": name, "provider": "external", "endpoint": endpoint}
    if capture is None:
        return client.post("/api/v1/deployments", body, format="json")
    with capture(execute=False):  # provisioning is run by the test itself
        return client.post("/api/v1/deployments", body, format="json")


def external_deployment(organization, name: str, url: str, state: str = "ready") -> Deployment:
    """An external deployment written straight to the database, as if it had been created before the check."""
    return Deployment.objects.create(
        organization=organization, name=name, model=CatalogModel.objects.get(name=SMOL), provider="external",
        compute_type="cpu", state=state, endpoint_url=url, endpoint_secret="k",
        security_settings={"network_isolation": True, "private_endpoints": False, "encryption_level": "maximum"},
    )  # fmt: skip


def assert_refused(response) -> str:
    assert response.status_code == 400, response.json()
    errors = response.json()["errors"]
    assert list(errors) == ["endpoint.url"], errors
    assert not Deployment.objects.exists()
    return str(errors["endpoint.url"][0])


# --- the address policy ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "kind"),
    [
        ("10.0.0.5", "private"),
        ("172.16.0.1", "private"),
        ("192.168.1.1", "private"),
        ("127.0.0.1", "loopback"),
        ("127.9.9.9", "loopback"),
        ("::1", "loopback"),
        ("169.254.169.254", "cloud metadata"),
        ("fd00:ec2::254", "cloud metadata"),
        ("169.254.1.1", "link-local"),
        ("fe80::1", "link-local"),
        ("fe80::1%1", "link-local"),
        ("fc00::1", "unique-local"),
        ("fd12:3456::1", "unique-local"),
        ("100.64.0.1", "shared (CGNAT)"),
        ("100.127.255.254", "shared (CGNAT)"),
        ("224.0.0.1", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),  # noqa: S104 - an address under test, nothing binds to it
        ("::", "unspecified"),
        ("240.0.0.1", "reserved"),
        ("255.255.255.255", "reserved"),
        ("192.0.2.10", "reserved"),
        ("2001:db8::1", "reserved"),
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:169.254.169.254", "cloud metadata"),
        ("64:ff9b::a00:5", "private"),
        ("2002:7f00:1::1", "6to4 (loopback)"),
        ("8.8.8.8", "public"),
        ("2606:4700:4700::1111", "public"),
    ],
)
def test_each_address_is_classified(address, kind):
    assert classify(address).kind == kind


# --- refused at creation --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://10.0.0.5/v1",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/v1",
        "http://127.0.0.1:{port}/v1",
        "https://127.0.0.1:{port}/v1",
        "https://localhost/v1",
        "http://localhost:{port}/v1",
        "https://api.localhost/v1",
        "https://[fe80::1]/v1",
        "https://[fd00:ec2::254]/latest",
        "https://[fc00::5]/v1",
        "https://100.64.0.1/v1",
        "https://0.0.0.0/v1",
        "https://[::ffff:10.0.0.5]/v1",
        "https://224.0.0.1/v1",
    ],
)
def test_private_loopback_and_metadata_endpoints_are_refused_at_creation(api_client, alice, dns, listener, url):
    api_client.force_authenticate(alice)
    message = assert_refused(create(api_client, url.format(port=listener.getsockname()[1])))
    assert "public internet" in message or "https://" in message
    with pytest.raises(BlockingIOError):
        listener.accept()


def test_the_refusal_says_why(api_client, alice):
    api_client.force_authenticate(alice)
    message = assert_refused(create(api_client, "https://169.254.169.254/latest"))
    assert message == "169.254.169.254 is a cloud metadata address; the endpoint must be on the public internet."


@pytest.mark.parametrize(
    "addresses",
    [["10.1.2.3"], ["127.0.0.1"], ["169.254.169.254"], [PUBLIC, "10.1.2.3"], ["fd00::1"], []],
    ids=["private", "loopback", "metadata", "public-and-private", "unique-local", "nothing"],
)
def test_a_name_that_resolves_to_a_refused_address_is_refused(api_client, alice, dns, addresses):
    dns.names["llm.internal.example"] = addresses
    api_client.force_authenticate(alice)
    message = assert_refused(create(api_client, "https://llm.internal.example/v1"))
    assert dns.calls["llm.internal.example"] == 1
    # The same sentence whatever the name resolves to, or if it does not: no map of internal names.
    assert message.startswith("llm.internal.example must resolve to public internet addresses only")


def test_a_name_that_does_not_resolve_gets_the_same_answer(api_client, alice, dns):
    api_client.force_authenticate(alice)
    message = assert_refused(create(api_client, "https://no-such-host.example/v1"))
    assert message.startswith("no-such-host.example must resolve to public internet addresses only")


def test_a_public_name_is_accepted(api_client, alice, dns, django_capture_on_commit_callbacks):
    dns.names["llm.example.org"] = [PUBLIC, "2606:2800:21f:cb07:6820:80da:af6b:8b2c"]
    api_client.force_authenticate(alice)
    response = create(api_client, "https://llm.example.org/v1", capture=django_capture_on_commit_callbacks)
    assert response.status_code == 201, response.json()


def test_the_console_form_shows_the_refusal_on_the_endpoint_url_field(client, alice):
    client.force_login(alice)
    response = client.post("/deployments/new", create_form(provider="external", endpoint_url="https://10.0.0.5/v1"))
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert list(errors) == ["endpoint_url"], errors
    assert "public internet" in errors["endpoint_url"][0]
    assert not Deployment.objects.exists()


# --- the operator setting for local development ---------------------------------------------------------------


def test_loopback_works_only_with_the_setting(api_client, alice, settings, django_capture_on_commit_callbacks):
    remote = FakeOpenAIServer(api_key="sk-remote-0123456789", model="remote-smol")
    try:
        api_client.force_authenticate(alice)
        assert settings.PAITIENT_EXTERNAL_ALLOW_PRIVATE_NETWORKS is False  # off by default
        assert_refused(create(api_client, remote.url))

        settings.PAITIENT_EXTERNAL_ALLOW_PRIVATE_NETWORKS = True
        created = create(api_client, remote.url, capture=django_capture_on_commit_callbacks)
        assert created.status_code == 201, created.json()
        deployment = Deployment.objects.get(public_id=created.json()["id"])
        assert provision_deployment(deployment.pk) == "ready"
        response = generate(api_client, deployment, prompt="Say hello.", phi_handling="redact")
        assert response.status_code == 200, response.json()
        assert response.json()["text"] == "External says: Say hello."

        # Turned off again, the connection itself is refused: the same deployment no longer reaches loopback.
        settings.PAITIENT_EXTERNAL_ALLOW_PRIVATE_NETWORKS = False
        openai_compat._clients.clear()  # no pooled connection from before
        received = len(remote.received)
        response = generate(api_client, deployment, prompt="Say hello.", phi_handling="redact")
        assert response.status_code == 503
        assert response.json()["detail"] == UNREACHABLE
        assert len(remote.received) == received
    finally:
        remote.close()


@pytest.mark.parametrize(
    "url", ["https://169.254.169.254/latest", "https://[fd00:ec2::254]/latest", "https://[fe80::1]/v1",
            "https://224.0.0.1/v1", "http://10.0.0.5/v1", "https://0.0.0.0/v1"],
)  # fmt: skip
def test_metadata_link_local_and_plain_http_off_loopback_stay_refused_with_the_setting(api_client, alice, settings,
                                                                                       url):  # fmt: skip
    settings.PAITIENT_EXTERNAL_ALLOW_PRIVATE_NETWORKS = True
    api_client.force_authenticate(alice)
    assert_refused(create(api_client, url))


def test_private_networks_are_accepted_with_the_setting(
    api_client, alice, settings, django_capture_on_commit_callbacks
):
    settings.PAITIENT_EXTERNAL_ALLOW_PRIVATE_NETWORKS = True
    api_client.force_authenticate(alice)
    response = create(api_client, "https://10.0.0.5/v1", capture=django_capture_on_commit_callbacks)
    assert response.status_code == 201, response.json()


# --- refused at connect time (DNS rebinding) ------------------------------------------------------------------


def rebinding(dns: FakeDNS, name: str, later: list[str]) -> None:
    """`name` resolves to a public address on the first lookup (creation) and to `later` from then on."""
    dns.names[name] = lambda call: [PUBLIC] if call == 1 else later


@pytest.mark.parametrize("later", [["127.0.0.1"], [PUBLIC, "127.0.0.1"]], ids=["loopback", "public-and-loopback"])
def test_a_name_rebound_to_loopback_after_creation_is_refused_at_connect_time(
    api_client, alice, dns, listener, django_capture_on_commit_callbacks, later
):
    port = listener.getsockname()[1]
    rebinding(dns, "rebind.example", later)
    api_client.force_authenticate(alice)
    created = create(api_client, f"https://rebind.example:{port}/v1", capture=django_capture_on_commit_callbacks)
    assert created.status_code == 201, created.json()  # public at creation
    deployment = Deployment.objects.get(public_id=created.json()["id"])

    assert provision_deployment(deployment.pk) == "failed"
    deployment.refresh_from_db()
    assert deployment.failure_reason == UNREACHABLE
    assert dns.calls["rebind.example"] >= 2  # resolved again when connecting, and refused
    with pytest.raises(BlockingIOError):
        listener.accept()  # nothing connected to the loopback listener


def test_a_ready_deployment_rebound_to_loopback_is_refused_by_the_gateway(api_client, alice, acme, dns, listener):
    port = listener.getsockname()[1]
    dns.names["rebind.example"] = ["127.0.0.1"]
    deployment = external_deployment(acme, "rebound", f"https://rebind.example:{port}/v1")
    api_client.force_authenticate(alice)
    response = generate(api_client, deployment, prompt="Say hello.", phi_handling="redact")
    assert response.status_code == 503
    assert response.json()["detail"] == UNREACHABLE
    with pytest.raises(BlockingIOError):
        listener.accept()


def test_a_stored_loopback_url_is_refused_at_connect_time_without_the_setting(acme, listener):
    """A deployment created before the check (or written around it) still cannot reach loopback."""
    deployment = external_deployment(acme, "old", f"http://127.0.0.1:{listener.getsockname()[1]}/v1", "pending")
    assert provision_deployment(deployment.pk) == "failed"
    deployment.refresh_from_db()
    assert deployment.failure_reason == UNREACHABLE
    with pytest.raises(BlockingIOError):
        listener.accept()


# --- nothing the endpoint sends is echoed ---------------------------------------------------------------------


@pytest.fixture
def on_loopback(settings) -> None:
    settings.PAITIENT_EXTERNAL_ALLOW_PRIVATE_NETWORKS = True


def provision(api_client, alice, server: CannedServer, capture) -> Deployment:
    api_client.force_authenticate(alice)
    created = create(api_client, server.url, capture=capture)
    assert created.status_code == 201, created.json()
    deployment = Deployment.objects.get(public_id=created.json()["id"])
    assert provision_deployment(deployment.pk) == "failed"
    deployment.refresh_from_db()
    shown = api_client.get(f"/api/v1/deployments/{deployment.public_id}").content.decode()
    events = str(list(AuditEvent.objects.values_list("details", flat=True)))
    assert CANARY not in deployment.failure_reason + shown + events
    return deployment


@pytest.mark.parametrize(
    ("status", "body", "reason"),
    [
        (500, b'{"error": {"message": "' + CANARY.encode() + b'"}}', "The endpoint answered HTTP 500 to GET /models."),
        (404, CANARY.encode(), "The endpoint answered HTTP 404 to GET /models."),
        (200, b"<html>" + CANARY.encode() + b"</html>", "The answer to GET /models is not an OpenAI model list."),
        (200, b'["' + CANARY.encode() + b'"]', "The answer to GET /models is not an OpenAI model list."),
        (200, b'{"data": [{"id": "' + CANARY.encode() + b'"}]}', "The endpoint does not serve remote-smol."),
    ],
    ids=["500-json", "404-text", "html", "list", "other-models"],
)
def test_the_failure_reason_never_carries_the_endpoints_answer(api_client, alice, on_loopback,
                                                               django_capture_on_commit_callbacks, status, body,
                                                               reason):  # fmt: skip
    server = CannedServer(status, body)
    try:
        deployment = provision(api_client, alice, server, django_capture_on_commit_callbacks)
        assert deployment.failure_reason == reason
        assert server.requests == ["GET /v1/models"]
    finally:
        server.close()


def test_a_redirect_is_not_followed(api_client, alice, on_loopback, django_capture_on_commit_callbacks):
    server = CannedServer(302, CANARY.encode(), {"Location": "http://169.254.169.254/latest/meta-data/"})
    try:
        deployment = provision(api_client, alice, server, django_capture_on_commit_callbacks)
        assert deployment.failure_reason == "The endpoint answered HTTP 302 to GET /models."
        assert server.requests == ["GET /v1/models"]  # and no connection to the Location (the dns fixture checks)
    finally:
        server.close()


@pytest.mark.parametrize("status", [400, 503])
def test_inference_errors_never_carry_the_endpoints_answer(api_client, alice, acme, on_loopback, status):
    server = CannedServer(status, b'{"error": {"message": "' + CANARY.encode() + b'"}}')
    try:
        deployment = external_deployment(acme, "canned", server.url)
        api_client.force_authenticate(alice)
        response = generate(api_client, deployment, prompt="Say hello.", phi_handling="redact")
        assert response.status_code == (503 if status == 503 else 502)
        assert response.json()["detail"] == f"The endpoint answered HTTP {status} to POST /chat/completions."
        assert CANARY not in response.content.decode()
    finally:
        server.close()


# --- not answering looks the same whatever the reason (no port scanning) --------------------------------------


def _closed_port() -> int:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = int(probe.getsockname()[1])
    probe.close()
    return port


class _RawServer:
    """Accepts connections on 127.0.0.1 and hangs up at once, sends bytes that are not HTTP, or (reply None)
    says nothing and keeps the connection open."""

    def __init__(self, reply: bytes | None) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = int(self.sock.getsockname()[1])
        self.reply = reply
        self.held: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            if self.reply is None:
                self.held.append(conn)
                continue
            with conn:
                conn.sendall(self.reply)

    def close(self) -> None:
        self.sock.close()
        for conn in self.held:
            conn.close()


def test_closed_and_open_ports_fail_with_the_same_sentence(on_loopback):
    servers = {"hang-up": _RawServer(b""), "silent": _RawServer(None),
               "not-http": _RawServer(b"SSH-2.0-OpenSSH_9.6 " + CANARY.encode() + b"\r\n")}  # fmt: skip
    try:
        ports = {"closed": _closed_port(), **{what: server.port for what, server in servers.items()}}
        answers = {}
        for what, port in ports.items():
            with pytest.raises(RuntimeUnavailable) as caught:
                openai_compat.models(f"http://127.0.0.1:{port}/v1", "k", timeout=0.5, external=True)
            answers[what] = str(caught.value)
        assert set(answers.values()) == {UNREACHABLE}, answers
    finally:
        for server in servers.values():
            server.close()


def test_a_refused_address_fails_with_the_same_sentence(listener):
    with pytest.raises(RuntimeUnavailable, match=f"^{UNREACHABLE}$"):
        openai_compat.models(f"http://127.0.0.1:{listener.getsockname()[1]}/v1", "k", external=True)
    with pytest.raises(BlockingIOError):
        listener.accept()


def test_our_own_runtimes_are_not_subject_to_the_external_policy():
    """The local runtime (loopback) and AWS instances (private addresses) are the portal's own: unguarded."""
    remote = FakeOpenAIServer(api_key="k", model="m")
    try:
        assert openai_compat.models(remote.url, "k") == ["m"]
        with pytest.raises(ProviderError):
            openai_compat.models(remote.url, "wrong")
    finally:
        remote.close()
