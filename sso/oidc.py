"""The OpenID Connect relying party, with Authlib and joserfc: discovery, the authorization request (code flow
with PKCE S256, state and nonce), the code exchange, and the ID token checked against the issuer's JWKS
(signature, iss, aud, azp, exp, iat, nonce, at_hash). Nothing here logs or returns a token."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.common.security import generate_token
from authlib.integrations.requests_client import OAuth2Session
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet

TIMEOUT_SECONDS = 10
LEEWAY_SECONDS = 60
BASE_SCOPES = ("openid", "email", "profile")


class SsoFailure(Exception):
    """Single sign-on failed; `reason` is a short code for the audit log, the message is safe to show."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class ProviderMetadata:
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    scopes_supported: tuple[str, ...]
    algorithms: tuple[str, ...]


@dataclass(frozen=True)
class AuthorizationRequest:
    """Where to send the browser, and what to keep in the session until it comes back."""

    url: str
    state: str
    nonce: str
    code_verifier: str


def _get_json(url: str, reason: str) -> dict[str, Any]:
    try:
        response = requests.get(url, timeout=TIMEOUT_SECONDS, allow_redirects=False)
        response.raise_for_status()
        data = response.json()
    except (requests.RequestException, ValueError):
        raise SsoFailure(reason, "The identity provider could not be reached; try again later.") from None
    if not isinstance(data, dict):
        raise SsoFailure(reason, "The identity provider sent an answer that is not OpenID Connect.")
    return data


def discover(issuer: str) -> ProviderMetadata:
    """OpenID Connect Discovery 1.0: the metadata must name the configured issuer exactly."""
    data = _get_json(f"{issuer}/.well-known/openid-configuration", "discovery_failed")
    endpoints = [data.get(name) for name in ("authorization_endpoint", "token_endpoint", "jwks_uri")]
    if data.get("issuer") != issuer or not all(isinstance(url, str) and url for url in endpoints):
        raise SsoFailure("discovery_failed", "The identity provider's discovery document does not match its issuer.")
    algorithms = data.get("id_token_signing_alg_values_supported") or ["RS256"]
    scopes = data.get("scopes_supported") or []
    return ProviderMetadata(
        issuer=issuer,
        authorization_endpoint=str(endpoints[0]),
        token_endpoint=str(endpoints[1]),
        jwks_uri=str(endpoints[2]),
        scopes_supported=tuple(str(s) for s in scopes if isinstance(s, str)),
        # Never unsigned tokens; symmetric algorithms would need the client secret as the key, which the
        # issuer's JWKS does not hold.
        algorithms=tuple(str(a) for a in algorithms if isinstance(a, str) and a != "none" and not a.startswith("HS")),
    )


def scopes_for(provider: ProviderMetadata, role_claim: str) -> str:
    """The base scopes, plus the role claim's own scope (Okta's and Entra's `groups`) where the IdP has one."""
    extra = [role_claim] if role_claim in provider.scopes_supported and role_claim not in BASE_SCOPES else []
    return " ".join([*BASE_SCOPES, *extra])


def authorization_request(
    provider: ProviderMetadata, *, client_id: str, redirect_uri: str, scope: str, login_hint: str = ""
) -> AuthorizationRequest:
    state, nonce, code_verifier = generate_token(40), generate_token(40), generate_token(64)
    session = OAuth2Session(client_id=client_id, scope=scope, redirect_uri=redirect_uri, code_challenge_method="S256")
    extra = {"login_hint": login_hint} if login_hint else {}
    url, _ = session.create_authorization_url(
        provider.authorization_endpoint, state=state, code_verifier=code_verifier, nonce=nonce, **extra
    )
    return AuthorizationRequest(url=url, state=state, nonce=nonce, code_verifier=code_verifier)


def _key_set(provider: ProviderMetadata) -> KeySet:
    try:
        return KeySet.import_key_set(_get_json(provider.jwks_uri, "jwks_unavailable"))  # type: ignore[arg-type]
    except (JoseError, ValueError, TypeError, KeyError):
        raise SsoFailure("jwks_unavailable", "The identity provider's signing keys could not be read.") from None


def id_token_claims(
    provider: ProviderMetadata, *, id_token: str, client_id: str, nonce: str, access_token: str | None
) -> dict[str, Any]:
    """The verified claims of an ID token from the token endpoint (OpenID Connect Core 3.1.3.7)."""
    try:
        decoded = jwt.decode(id_token, _key_set(provider), algorithms=list(provider.algorithms))
    except InvalidKeyIdError:
        raise SsoFailure("token_invalid", "The sign-in was refused: the ID token's key is unknown.") from None
    except (JoseError, ValueError):
        raise SsoFailure("token_invalid", "The sign-in was refused: the ID token's signature is not valid.") from None
    claims = CodeIDToken(
        decoded.claims,
        decoded.header,
        {"iss": {"essential": True, "value": provider.issuer}, "aud": {"essential": True, "value": client_id}},
        {"nonce": nonce, "client_id": client_id, **({"access_token": access_token} if access_token else {})},
    )
    try:
        claims.validate(leeway=LEEWAY_SECONDS)
    except JoseError as exc:
        reason = "nonce_mismatch" if "nonce" in str(exc) else "token_invalid"
        raise SsoFailure(reason, "The sign-in was refused: the ID token is not valid for this sign-in.") from None
    return dict(claims)


def exchange_code(
    provider: ProviderMetadata,
    *,
    client_id: str,
    client_secret: str,
    redirect_uri: str,
    code: str,
    code_verifier: str,
    nonce: str,
) -> dict[str, Any]:
    """Redeem the authorization code (client_secret_basic, PKCE verifier) and verify the ID token."""
    with OAuth2Session(
        client_id=client_id,
        client_secret=client_secret,
        redirect_uri=redirect_uri,
        token_endpoint_auth_method="client_secret_basic",  # noqa: S106 - a method's name, not a secret
    ) as session:
        try:
            token = session.fetch_token(
                provider.token_endpoint,
                grant_type="authorization_code",
                code=code,
                code_verifier=code_verifier,
                timeout=TIMEOUT_SECONDS,
                allow_redirects=False,
            )
        except (AuthlibBaseError, requests.RequestException, ValueError):
            raise SsoFailure("token_exchange_failed", "The identity provider did not accept the sign-in.") from None
    id_token = token.get("id_token")
    if not isinstance(id_token, str):
        raise SsoFailure("token_invalid", "The identity provider sent no ID token.")
    access_token = token.get("access_token")
    return id_token_claims(
        provider,
        id_token=id_token,
        client_id=client_id,
        nonce=nonce,
        access_token=access_token if isinstance(access_token, str) else None,
    )
