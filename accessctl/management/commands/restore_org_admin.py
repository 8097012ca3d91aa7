"""Operator recovery: give an organisation an administrator again when nobody inside it can."""

from __future__ import annotations

import re
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from accessctl.extensions import record
from accessctl.models import Membership, Organization, Role, User
from accessctl.policy import ADMIN_ROLE
from accessctl.services import role_assign

_TICKET = re.compile(r"[A-Za-z0-9._-]{1,64}")


class Command(BaseCommand):
    help = (
        "Reactivate USERNAME's membership in ORGANIZATION (slug or name) and give them the org-admin role. "
        "For the operator when an organisation has lost every administrator; written to the audit log."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("organization", help="the organisation's slug or name")
        parser.add_argument("username", help="an existing member (active or deactivated) of that organisation")
        parser.add_argument(
            "--ticket", required=True, help="the support ticket that authorises this (letters, digits, . _ -)"
        )

    def handle(self, *args: Any, organization: str, username: str, ticket: str, **options: Any) -> None:
        if not _TICKET.fullmatch(ticket):
            raise CommandError("--ticket must be 1-64 letters, digits, '.', '_' or '-' (an id, not free text)")
        org = Organization.objects.filter(slug=organization).first() or (
            Organization.objects.filter(name=organization).first()
        )
        if org is None:
            raise CommandError(f"no organisation {organization!r}")
        user = User.objects.filter(username=username).first()
        membership = Membership.objects.filter(organization=org, user=user).first() if user else None
        if user is None or membership is None:
            raise CommandError(f"{username!r} is not a member of {org.name}")
        role = Role.objects.filter(organization=org, name=ADMIN_ROLE).first()
        if role is None:
            raise CommandError(f"{org.name} has no {ADMIN_ROLE} role")
        with transaction.atomic():
            reactivated = not (membership.is_active and user.is_active)
            if reactivated:
                membership.is_active = True
                membership.save(update_fields=["is_active"])
                user.is_active = True
                user.save(update_fields=["is_active"])
            role_assign(actor=None, organization=org, user=user, role=role)
            record(
                actor=None,
                organization=org,
                user=user,
                event_type="organization.admin_restored",
                resource=f"role/{ADMIN_ROLE}",
                resource_id=user.public_id,
                details={"user_id": user.public_id, "reactivated": reactivated, "ticket": ticket},
            )
        self.stdout.write(f"{username} is an {ADMIN_ROLE} of {org.name} again")
