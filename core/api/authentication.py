"""Session authentication for the REST API that answers 401 (with a challenge), never a redirect."""

from __future__ import annotations

from rest_framework import authentication
from rest_framework.request import Request


class SessionAuthentication(authentication.SessionAuthentication):
    """DRF's session auth (CSRF enforced) that names a challenge so DRF returns 401, not 403."""

    def authenticate_header(self, request: Request) -> str:
        return 'Session realm="paitient"'
