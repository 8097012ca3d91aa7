"""Periodic access reviews (HIPAA 164.308(a)(4)): list and read reviews, start one, keep or revoke an item
(never your own), sign a finished review off. Needs the `access:review` permission."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from paitient_secure_model.models import parse_time
from paitient_secure_model.transport import Transport


@dataclass(frozen=True)
class AccessReviewItem:
    """One role (`kind` "role") or API key (`kind` "api_key") of one member; `decision` is pending, keep or
    revoke, and `revoked` says whether the revoke removed a grant that was still there."""

    id: str
    user_id: str
    username: str
    kind: str
    grant_name: str
    key_prefix: str
    permissions: list[str]
    decision: str
    decided_by: str | None
    decided_at: datetime | None
    comment: str
    revoked: bool

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> AccessReviewItem:
        return cls(
            id=data["id"],
            user_id=data["user_id"],
            username=data["username"],
            kind=data["kind"],
            grant_name=data["grant_name"],
            key_prefix=data.get("key_prefix") or "",
            permissions=list(data.get("permissions") or []),
            decision=data["decision"],
            decided_by=data.get("decided_by"),
            decided_at=parse_time(data.get("decided_at")),
            comment=data.get("comment") or "",
            revoked=bool(data.get("revoked")),
        )


@dataclass(frozen=True)
class AccessReview:
    """A review campaign: `status` open or completed; `overdue` once an open one passes `due_on`. `items` are
    present only from `get_access_review` (and start / sign-off)."""

    id: str
    name: str
    status: str
    overdue: bool
    due_on: date
    created_at: datetime | None
    completed_at: datetime | None
    signed_off_by: str | None
    items_total: int
    items_pending: int
    items_revoked: int
    items: list[AccessReviewItem] = field(default_factory=list)

    @classmethod
    def from_api(cls, data: dict[str, Any]) -> AccessReview:
        return cls(
            id=data["id"],
            name=data["name"],
            status=data["status"],
            overdue=bool(data.get("overdue")),
            due_on=date.fromisoformat(data["due_on"]),
            created_at=parse_time(data.get("created_at")),
            completed_at=parse_time(data.get("completed_at")),
            signed_off_by=data.get("signed_off_by"),
            items_total=int(data.get("items_total") or 0),
            items_pending=int(data.get("items_pending") or 0),
            items_revoked=int(data.get("items_revoked") or 0),
            items=[AccessReviewItem.from_api(row) for row in data.get("items") or []],
        )


class AccessReviews:
    def __init__(self, transport: Transport) -> None:
        self._transport = transport

    def list(self) -> Iterator[AccessReview]:
        page: Any = self._transport.request("GET", "/api/v1/access-reviews")
        while True:
            for row in page["results"]:
                yield AccessReview.from_api(row)
            if not page.get("next"):
                return
            page = self._transport.request("GET", page["next"])

    def get(self, review_id: str) -> AccessReview:
        return AccessReview.from_api(self._transport.request("GET", f"/api/v1/access-reviews/{review_id}"))

    def start(self, name: str = "") -> AccessReview:
        body = {"name": name} if name else {}
        return AccessReview.from_api(self._transport.request("POST", "/api/v1/access-reviews", json=body))

    def decide(self, review_id: str, item_id: str, decision: str, comment: str = "") -> AccessReviewItem:
        body = {"decision": decision, "comment": comment}
        path = f"/api/v1/access-reviews/{review_id}/items/{item_id}/decision"
        return AccessReviewItem.from_api(self._transport.request("POST", path, json=body))

    def sign_off(self, review_id: str, note: str = "") -> AccessReview:
        path = f"/api/v1/access-reviews/{review_id}/sign-off"
        return AccessReview.from_api(self._transport.request("POST", path, json={"note": note}))
