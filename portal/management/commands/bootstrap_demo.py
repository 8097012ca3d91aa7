"""Create the demo organisation and its admin once; safe to run again."""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from accessctl.actor import Actor
from accessctl.api_keys import api_key_issue
from accessctl.models import ApiKey, Membership, Organization, Role, User
from accessctl.services import organization_get_or_create, role_assign, roles_ensure_builtin, user_create
from core.config import env_str
from deployments.catalog import catalog_ensure
from deployments.models import Deployment, State
from deployments.services import DeploymentSpec, deployment_create

LOCAL_DEMO_MODEL = "HuggingFaceTB/SmolLM2-135M-Instruct"


class Command(BaseCommand):
    help = "Create the demo organisation and an admin (password from PAITIENT_ADMIN_PASSWORD or generated)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default=env_str("PAITIENT_ADMIN_USERNAME", "admin"))
        parser.add_argument("--email", default=env_str("PAITIENT_ADMIN_EMAIL", "admin@demo.paitient.local"))
        parser.add_argument("--api-key", action="store_true", help="issue the admin an API key if it has none")
        parser.add_argument(
            "--local-deployment",
            metavar="NAME",
            default="",
            help="also deploy the packaged SmolLM2 on the local llama.cpp runtime under this name (once)",
        )

    @transaction.atomic
    def handle(
        self, *args: Any, username: str, email: str, api_key: bool, local_deployment: str, **options: Any
    ) -> None:
        admin = self._organization_and_admin(username, email, api_key)
        if local_deployment:
            self._local_deployment(admin, local_deployment)

    def _local_deployment(self, admin: User, name: str) -> None:
        organization = Organization.objects.get(name=settings.PAITIENT_DEMO_ORGANIZATION)
        existing = Deployment.objects.filter(organization=organization, name=name).exclude(state=State.STOPPED).first()
        if existing is None:
            spec = DeploymentSpec(deployment_name=name, model_name=LOCAL_DEMO_MODEL, provider="local")
            existing = deployment_create(actor=Actor(organization=organization, user=admin), spec=spec)
            self.stdout.write(f"Deployment: {name} {existing.public_id} (created; the worker starts llama.cpp)")
        else:
            self.stdout.write(f"Deployment: {name} {existing.public_id} ({existing.state})")

    def _organization_and_admin(self, username: str, email: str, api_key: bool) -> User:
        organization, org_created = organization_get_or_create(name=settings.PAITIENT_DEMO_ORGANIZATION)
        self.stdout.write(f"Organisation: {organization.name} ({'created' if org_created else 'exists'})")
        roles_ensure_builtin(organization=organization)  # also repairs organisations made by older versions
        catalog_ensure()
        existing = User.objects.filter(username=username).first()
        if existing is not None:
            self.stdout.write(f"Admin: {username} (exists; password unchanged)")
            if Membership.objects.filter(user=existing, organization=organization).exists():
                org_admin = Role.objects.get(organization=organization, name="org-admin")
                role_assign(actor=None, organization=organization, user=existing, role=org_admin)
            if api_key:
                self._api_key(organization, existing)
            return existing
        given = env_str("PAITIENT_ADMIN_PASSWORD")
        if given is not None and len(given) < 12:
            raise CommandError("PAITIENT_ADMIN_PASSWORD must be at least 12 characters")
        password = given or secrets.token_urlsafe(18)
        admin = user_create(
            organization=organization, username=username, email=email, password=password, is_superuser=True
        )
        org_admin = Role.objects.get(organization=organization, name="org-admin")
        role_assign(actor=None, organization=organization, user=admin, role=org_admin)
        if given:
            self.stdout.write(f"Admin: {username} (created; password from PAITIENT_ADMIN_PASSWORD)")
        else:
            self.stdout.write(f"Admin: {username}  password: {password}  (shown once; store it now)")
        if api_key:
            self._api_key(organization, admin)
        return admin

    def _api_key(self, organization: Organization, admin: User) -> None:
        live = ApiKey.objects.filter(user=admin, revoked_at__isnull=True).first()
        if live is not None:
            hint = f"`manage.py create_api_key {admin.username}` makes another"
            self.stdout.write(f"API key: issued earlier (prefix {live.prefix}); {hint}")
            return
        _, token = api_key_issue(actor=None, organization=organization, user=admin, name="demo (scripts/run)")
        self.stdout.write(f"PAITIENT_API_KEY={token}  (shown once; only its hash is stored)")
