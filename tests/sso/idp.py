"""A minimal OpenID Provider on loopback for the unit tests: discovery, JWKS and a token endpoint that checks
client_secret_basic and the PKCE verifier, and signs ID tokens (RS256, joserfc) with claims the test chooses.
The Chromium test uses the certified `oidc-provider` instead (tests/e2e/oidc)."""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from joserfc import jwt
from joserfc.jwk import RSAKey

CLIENT_ID = "paitient-console"
CLIENT_SECRET = "s3cret-for-the-test-idp"


@dataclass
class Grant:
    claims: dict[str, Any]
    nonce: str
    code_challenge: str


@dataclass
class FakeIdp:
    issuer: str = ""
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "k1"}))
    signing_key: RSAKey | None = None  # sign with another key than the published one (a forgery)
    grants: dict[str, Grant] = field(default_factory=dict)
    token_requests: list[dict[str, list[str]]] = field(default_factory=list)

    def issue_code(self, *, claims: dict[str, Any], nonce: str, code_challenge: str) -> str:
        code = f"code-{len(self.grants) + 1}"
        self.grants[code] = Grant(claims=claims, nonce=nonce, code_challenge=code_challenge)
        return code

    def id_token(self, grant: Grant) -> str:
        now = int(time.time())
        claims = {"iss": self.issuer, "aud": CLIENT_ID, "iat": now, "exp": now + 300, "nonce": grant.nonce}
        claims.update(grant.claims)
        key = self.signing_key or self.key
        return jwt.encode({"alg": "RS256", "kid": "k1"}, claims, key)


def _handler(idp: FakeIdp) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def _json(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path == "/.well-known/openid-configuration":
                self._json(
                    200,
                    {
                        "issuer": idp.issuer,
                        "authorization_endpoint": f"{idp.issuer}/auth",
                        "token_endpoint": f"{idp.issuer}/token",
                        "jwks_uri": f"{idp.issuer}/jwks",
                        "scopes_supported": ["openid", "email", "profile", "groups"],
                        "id_token_signing_alg_values_supported": ["RS256"],
                    },
                )
            elif self.path == "/jwks":
                self._json(200, {"keys": [idp.key.as_dict(private=False)]})
            else:
                self._json(404, {"error": "not_found"})

        def do_POST(self) -> None:
            form = parse_qs(self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode())
            idp.token_requests.append(form)
            expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
            if self.headers.get("Authorization") != f"Basic {expected}":
                self._json(401, {"error": "invalid_client"})
                return
            grant = idp.grants.pop(form.get("code", [""])[0], None)
            verifier = form.get("code_verifier", [""])[0].encode()
            challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=").decode()
            if grant is None or challenge != grant.code_challenge:
                self._json(400, {"error": "invalid_grant"})
                return
            self._json(200, {"access_token": "at-opaque", "token_type": "Bearer", "id_token": idp.id_token(grant)})

    return Handler


def start_idp() -> tuple[FakeIdp, ThreadingHTTPServer]:
    idp = FakeIdp()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(idp))
    idp.issuer = f"http://127.0.0.1:{server.server_address[1]}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return idp, server
