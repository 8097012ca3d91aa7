"""Who we are to an authenticator: the relying party ID is the host the console was opened on (or the
operator's pinned `PASSKEY_RP_ID`), and the only origin accepted is that page's own, so a passkey signs for
this site and nowhere else (what makes it phishing-resistant: a look-alike host gets no signature from it)."""

from __future__ import annotations

import ipaddress
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.http.request import split_domain_port
from django_otp_webauthn.helpers import WebAuthnHelper
from webauthn.helpers.structs import ResidentKeyRequirement

from passkeys.errors import PasskeyError

LOOPBACK_NAMES = ("localhost",)


def rp_id(request: HttpRequest) -> str:
    """The relying party ID for this request. `get_host()` has already checked the host against
    ALLOWED_HOSTS; an IP address cannot be an RP ID (browsers refuse it), and with `PASSKEY_RP_ID` set the
    host must be that domain or one under it."""
    host, _port = split_domain_port(request.get_host())
    host = host.rstrip(".").lower()
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        pass
    else:
        raise PasskeyError(
            400, "host_is_an_address", "Passkeys need the console opened by its host name, not an IP address."
        )
    pinned: str = settings.PASSKEY_RP_ID
    if pinned and host != pinned and not host.endswith(f".{pinned}"):
        raise PasskeyError(400, "wrong_host", f"Passkeys work on {pinned}: open the console there.")
    return pinned or host


def rp_name(request: HttpRequest) -> str:
    return str(settings.OTP_WEBAUTHN_RP_NAME)


def expected_origin(request: HttpRequest) -> str:
    """The page's own origin. Browsers offer WebAuthn only to secure contexts: HTTPS, or plain HTTP on
    localhost (a developer's machine, the browser tests)."""
    host = rp_id(request)  # an address or a host outside a pinned RP ID is refused as such first
    if request.scheme != "https" and host not in LOOPBACK_NAMES:
        raise PasskeyError(400, "insecure_origin", "Passkeys need the console served over HTTPS.")
    return f"{request.scheme}://{request.get_host()}"


class PasskeyHelper(WebAuthnHelper):  # type: ignore[misc]  # django-otp-webauthn ships no type hints
    """django-otp-webauthn's ceremony helper, with the RP ID and origin taken from the request."""

    request: HttpRequest

    def get_relying_party_domain(self) -> str:
        return rp_id(self.request)

    def get_relying_party_name(self) -> str:
        return rp_name(self.request)

    def get_allowed_origins(self) -> list[str]:
        return [expected_origin(self.request)]

    def get_discoverable_credentials_preference(self) -> Any:
        # A second factor after the password: the server names the user's credentials, so security keys
        # that cannot store a discoverable credential work too.
        return ResidentKeyRequirement.PREFERRED
