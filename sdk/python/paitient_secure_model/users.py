"""The organisation's people and invitations: list and read members, invite by e-mail, resend and revoke
invitations, deactivate (offboard) and reactivate members, send a password-reset link."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from paitient_secure_model.models import parse_time
from paitient_secure_model.transport import Transport


@dataclass(frozen=True)
class User:
    """A member of the organisation. `status` is invited, active or deactivated; `api_keys` counts live keys."""

    id: str
    username: str
    name: str
    email: str
    status: str
    roles: list[str]
    mfa_enrolled: bool
    mfa_methods: list[str]
    mfa_required: bool
    last_login: datetime | None
    api_keys: int
    joined_at: datetime | None = None
    deactivated_at: datetime | None = None
    sessions: list[dict[str, Any]] = field(default_factory=list)  # only from get_user
    keys: list[dict[str, Any]] = field(default_factory=list)  # only from get_user

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> User:
        mfa = data.get("mfa") or {}
        return cls(
            id=data["id"],
            username=data["username"],
            name=data.get("name", ""),
            email=data.get("email", ""),
            status=data["status"],
            roles=list(data.get("roles") or []),
            mfa_enrolled=bool(mfa.get("enrolled")),
            mfa_methods=list(mfa.get("methods") or []),
            mfa_required=bool(mfa.get("required_by_policy")),
            last_login=parse_time(data.get("last_login")),
            api_keys=int(data.get("api_keys") or 0),
            joined_at=parse_time(data.get("joined_at")),
            deactivated_at=parse_time(data.get("deactivated_at")),
            sessions=list(data.get("sessions") or []),
            keys=list(data.get("keys") or []),
        )


@dataclass(frozen=True)
class Invitation:
    """`status` is pending, expired, accepted or revoked. The link itself goes only to the invitee's e-mail."""

    id: str
    user_id: str
    email: str
    status: str
    roles: list[str]
    expires_at: datetime | None
    send_count: int

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> Invitation:
        return cls(
            id=data["id"],
            user_id=data["user_id"],
            email=data["email"],
            status=data["status"],
            roles=list(data.get("roles") or []),
            expires_at=parse_time(data.get("expires_at")),
            send_count=int(data.get("send_count") or 1),
        )


@dataclass(frozen=True)
class Offboarding:
    """The deactivated member and what was ended, counted (sessions_ended, api_keys_revoked, ...)."""

    user: User
    ended: dict[str, int]


class Users:
    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    def list(self, *, status: str | None = None, role: str | None = None, q: str | None = None) -> Iterator[User]:
        params = [(name, value) for name, value in (("status", status), ("role", role), ("q", q)) if value]
        page: Any = self._transport.request("GET", "/api/v1/users", params=params)
        while True:
            for row in page["results"]:
                yield User.from_api(row)
            if not page.get("next"):
                return
            page = self._transport.request("GET", page["next"])

    def get(self, user_id: str) -> User:
        return User.from_api(self._transport.request("GET", f"/api/v1/users/{user_id}"))

    def deactivate(self, user_id: str) -> Offboarding:
        body = self._transport.request("POST", f"/api/v1/users/{user_id}/deactivate")
        return Offboarding(user=User.from_api(body["user"]), ended={k: int(v) for k, v in body["ended"].items()})

    def reactivate(self, user_id: str) -> User:
        return User.from_api(self._transport.request("POST", f"/api/v1/users/{user_id}/reactivate"))

    def send_password_reset(self, user_id: str) -> None:
        self._transport.request("POST", f"/api/v1/users/{user_id}/password-reset")

    def invite(self, email: str, *, first_name: str = "", last_name: str = "", roles: Sequence[str] = ()) -> Invitation:
        body: dict[str, Any] = {"email": email, "roles": list(roles)}
        if first_name:
            body["first_name"] = first_name
        if last_name:
            body["last_name"] = last_name
        return Invitation.from_api(self._transport.request("POST", "/api/v1/invitations", json=body))

    def invitations(self) -> Iterator[Invitation]:
        page: Any = self._transport.request("GET", "/api/v1/invitations")
        while True:
            for row in page["results"]:
                yield Invitation.from_api(row)
            if not page.get("next"):
                return
            page = self._transport.request("GET", page["next"])

    def resend(self, invitation_id: str) -> Invitation:
        return Invitation.from_api(self._transport.request("POST", f"/api/v1/invitations/{invitation_id}/resend"))

    def revoke(self, invitation_id: str) -> Invitation:
        return Invitation.from_api(self._transport.request("POST", f"/api/v1/invitations/{invitation_id}/revoke"))
