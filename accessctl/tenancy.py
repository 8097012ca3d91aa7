"""The one way to fetch a tenant row by its public id: scoped to the caller's organisation, authorised, and a
404 (`TenantNotFound`) when there is none, so no view fetches without the check or writes its own."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from django.db import models
from django.db.models import QuerySet

from accessctl.models import TenantModel
from accessctl.policy import authorize
from core.errors import NotFound

if TYPE_CHECKING:
    from accessctl.actor import Actor

Row = TypeVar("Row", bound=models.Model)


class TenantNotFound(NotFound):
    """No row with that public id in the caller's organisation (what another organisation's id looks like)."""

    def __init__(self, noun: str, public_id: str) -> None:
        super().__init__(public_id)
        self.problem_detail = f"No such {noun}."


def noun_of(model: type[models.Model]) -> str:
    return model.NOUN if issubclass(model, TenantModel) else str(model._meta.verbose_name)


def tenant_get(queryset: QuerySet[Row], actor: Actor, public_id: str, permission: str | None = None) -> Row:
    """The row of `queryset` in the actor's organisation with this public id. With `permission`, the policy
    must allow it on the row's `resource` (PolicyDenied, audited, a 403); without, the caller has checked an
    organisation-wide permission already. The row reuses the actor's organisation instance (and its caches)."""
    # Unordered: the public id is unique, and the model's default ordering would only cost SQL compilation and
    # a sort on every fetch (this runs on every gateway call).
    found = list(queryset.filter(organization=actor.organization, public_id=public_id).order_by()[:1])
    if not found:
        raise TenantNotFound(noun_of(queryset.model), public_id)
    row = found[0]
    row.organization = actor.organization  # type: ignore[attr-defined]  # the same row, filtered on above
    if permission is not None:
        if not isinstance(row, TenantModel):
            raise TypeError(f"{type(row).__name__} has no per-row resource to authorise")
        authorize(actor, permission, row.resource)
    return row
