"""The client: configuration from the environment, organisation settings applied on construction."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Mapping, Sequence
from datetime import date, datetime
from typing import Any, Literal, overload

import httpx

from paitient_secure_model.access_reviews import AccessReview, AccessReviewItem, AccessReviews
from paitient_secure_model.errors import ConfigurationError, DeploymentFailedError
from paitient_secure_model.models import (
    AuditLog,
    ComplianceReport,
    Deployment,
    Role,
    RoleAssignment,
    StreamedGeneration,
    TextGeneration,
)
from paitient_secure_model.reports import Reports
from paitient_secure_model.security import SecuritySettings
from paitient_secure_model.transport import Transport
from paitient_secure_model.users import Invitation, Offboarding, User, Users


def _iso(value: str | datetime | None) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return value.isoformat()


class AuditLogs:
    """The matching audit events, fetched page by page as you iterate."""

    def __init__(self, transport: Transport, params: list[tuple[str, str]]) -> None:
        self._transport = transport
        self._params = params

    def __iter__(self) -> Iterator[AuditLog]:
        page: Any = self._transport.request("GET", "/api/v1/audit-logs", params=self._params)
        while True:
            for row in page["results"]:
                yield AuditLog.from_api(row)
            if not page.get("next"):
                return
            page = self._transport.request("GET", page["next"])


class Client:
    """`Client()` reads PAITIENT_BASE_URL, PAITIENT_API_KEY and (for a private CA) PAITIENT_CA_BUNDLE."""

    def __init__(
        self,
        base_url: str | None = None,
        api_key: str | None = None,
        *,
        security_settings: SecuritySettings | None = None,
        timeout: float = 30.0,
        max_retries: int = 3,
        verify: bool | str | None = None,
        http_transport: httpx.BaseTransport | None = None,
    ) -> None:
        base_url = base_url or os.environ.get("PAITIENT_BASE_URL")
        api_key = api_key or os.environ.get("PAITIENT_API_KEY")
        if not base_url:
            raise ConfigurationError("no base URL: pass base_url= or set PAITIENT_BASE_URL")
        if not api_key:
            raise ConfigurationError("no API key: pass api_key= or set PAITIENT_API_KEY")
        if verify is None:
            verify = os.environ.get("PAITIENT_CA_BUNDLE") or True
        self._transport = Transport(
            base_url, api_key, timeout=timeout, verify=verify, max_retries=max_retries, http_transport=http_transport
        )
        self._reports = Reports(self._transport)
        self._users = Users(self._transport)
        self._access_reviews = AccessReviews(self._transport)
        self.security_settings = security_settings
        if security_settings is not None:
            organization_settings = security_settings.organization_settings()
            if organization_settings:
                self.update_security_settings(organization_settings)

    def close(self) -> None:
        self._transport.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- organisation settings -----------------------------------------------------------------
    def get_security_settings(self) -> dict[str, Any]:
        settings: dict[str, Any] = self._transport.request("GET", "/api/v1/organization/security-settings")
        return settings

    def update_security_settings(self, settings: Mapping[str, Any]) -> dict[str, Any]:
        updated: dict[str, Any] = self._transport.request(
            "PATCH", "/api/v1/organization/security-settings", json=dict(settings)
        )
        return updated

    # --- roles ---------------------------------------------------------------------------------
    def create_role(
        self, name: str, permissions: list[str], resource_pattern: str = "*", description: str = ""
    ) -> Role:
        body = {"name": name, "permissions": permissions, "resource_pattern": resource_pattern}
        if description:
            body["description"] = description
        return Role.from_api(self._transport.request("POST", "/api/v1/roles", json=body))

    def assign_role(self, user_id: str, role_name: str) -> RoleAssignment:
        body = {"user_id": user_id, "role_name": role_name}
        return RoleAssignment.from_api(self._transport.request("POST", "/api/v1/role-assignments", json=body))

    def unassign_role(self, user_id: str, role_name: str) -> None:
        self._transport.request("DELETE", f"/api/v1/users/{user_id}/roles/{role_name}")

    # --- people (user:read to list, user:manage to change) --------------------------------------
    def list_users(self, *, status: str | None = None, role: str | None = None, q: str | None = None) -> Iterator[User]:
        """Members page by page; `status` is invited, active or deactivated, `q` searches names and e-mail."""
        return self._users.list(status=status, role=role, q=q)

    def get_user(self, user_id: str) -> User:
        return self._users.get(user_id)

    def deactivate_user(self, user_id: str) -> Offboarding:
        """Offboard: ends their sessions, revokes their API keys and break-glass requests at once."""
        return self._users.deactivate(user_id)

    def reactivate_user(self, user_id: str) -> User:
        return self._users.reactivate(user_id)

    def send_password_reset(self, user_id: str) -> None:
        """E-mail the member a single-use link to choose a new password (MFA still applies)."""
        self._users.send_password_reset(user_id)

    def invite_user(
        self, email: str, *, first_name: str = "", last_name: str = "", roles: Sequence[str] = ()
    ) -> Invitation:
        """E-mail a signed, single-use link valid 72 hours; the member holds `roles` once they accept."""
        return self._users.invite(email, first_name=first_name, last_name=last_name, roles=roles)

    def list_invitations(self) -> Iterator[Invitation]:
        return self._users.invitations()

    def resend_invitation(self, invitation_id: str) -> Invitation:
        return self._users.resend(invitation_id)

    def revoke_invitation(self, invitation_id: str) -> Invitation:
        return self._users.revoke(invitation_id)

    # --- access reviews (access:review) --------------------------------------------------------
    def list_access_reviews(self) -> Iterator[AccessReview]:
        """Review campaigns, newest first (without their items)."""
        return self._access_reviews.list()

    def get_access_review(self, review_id: str) -> AccessReview:
        return self._access_reviews.get(review_id)

    def start_access_review(self, name: str = "") -> AccessReview:
        """Snapshot every active member's roles and live API keys as items to keep or revoke."""
        return self._access_reviews.start(name)

    def decide_access_review_item(
        self, review_id: str, item_id: str, decision: Literal["keep", "revoke"], comment: str = ""
    ) -> AccessReviewItem:
        """Keep or revoke (with a comment saying why) one item that is not your own; a revoke takes effect at once."""
        return self._access_reviews.decide(review_id, item_id, decision, comment)

    def sign_off_access_review(self, review_id: str, note: str = "") -> AccessReview:
        return self._access_reviews.sign_off(review_id, note)

    # --- deployments ---------------------------------------------------------------------------
    def create_deployment(
        self,
        model_name: str,
        deployment_name: str,
        compute_type: str = "cpu",
        instance_type: str = "",
        security_settings: SecuritySettings | None = None,
        vpc_config: Mapping[str, Any] | None = None,
        tags: Mapping[str, str] | None = None,
        provider: str | None = None,
    ) -> Deployment:
        body: dict[str, Any] = {
            "model_name": model_name,
            "deployment_name": deployment_name,
            "compute_type": compute_type,
            "instance_type": instance_type,
        }
        if security_settings is not None:
            body["security_settings"] = {
                key: value
                for key, value in security_settings.request_settings().items()
                if key in {"network_isolation", "private_endpoints", "encryption_level"}
            }
        if vpc_config:
            body["vpc_config"] = dict(vpc_config)
        if tags:
            body["tags"] = dict(tags)
        if provider:
            body["provider"] = provider
        return Deployment.from_api(self._transport.request("POST", "/api/v1/deployments", json=body))

    def get_deployment(self, deployment_id: str) -> Deployment:
        return Deployment.from_api(self._transport.request("GET", f"/api/v1/deployments/{deployment_id}"))

    def list_deployments(self) -> list[Deployment]:
        page = self._transport.request("GET", "/api/v1/deployments")
        return [Deployment.from_api(row) for row in page["results"]]

    def delete_deployment(self, deployment_id: str) -> Deployment:
        return Deployment.from_api(self._transport.request("DELETE", f"/api/v1/deployments/{deployment_id}"))

    def wait_until_ready(
        self, deployment_id: str, *, timeout: float = 1800.0, poll_interval: float = 5.0
    ) -> Deployment:
        """Poll until the deployment is ready; raises DeploymentFailedError or TimeoutError."""
        deadline = time.monotonic() + timeout
        while True:
            deployment = self.get_deployment(deployment_id)
            if deployment.state == "ready":
                return deployment
            if deployment.state in {"failed", "stopping", "stopped"}:
                raise DeploymentFailedError(
                    f"deployment {deployment_id} is {deployment.state}: {deployment.failure_reason}"
                )
            if time.monotonic() >= deadline:
                raise TimeoutError(f"deployment {deployment_id} not ready after {timeout:.0f} s ({deployment.state})")
            time.sleep(poll_interval)

    # --- inference -----------------------------------------------------------------------------
    @overload
    def generate_text(
        self, deployment_id: str, prompt: str, *, max_tokens: int = ..., temperature: float = ...,
        security_settings: SecuritySettings | None = ..., subject_id: str | None = ..., stream: Literal[False] = ...,
    ) -> TextGeneration: ...  # fmt: skip

    @overload
    def generate_text(
        self, deployment_id: str, prompt: str, *, max_tokens: int = ..., temperature: float = ...,
        security_settings: SecuritySettings | None = ..., subject_id: str | None = ..., stream: Literal[True],
    ) -> StreamedGeneration: ...  # fmt: skip

    def generate_text(
        self,
        deployment_id: str,
        prompt: str,
        *,
        max_tokens: int = 256,
        temperature: float = 0.7,
        security_settings: SecuritySettings | None = None,
        subject_id: str | None = None,
        stream: bool = False,
    ) -> TextGeneration | StreamedGeneration:
        """Send a prompt through the PHI-guarded gateway. In reject mode a prompt with PHI raises
        PHIRejectedError (its `entity_types` say what was found). `stream=True` returns a StreamedGeneration:
        iterate it for the text as it comes (already redacted or de-identified)."""
        body: dict[str, Any] = {"prompt": prompt, "max_tokens": max_tokens, "temperature": temperature}
        phi = {
            key: value
            for key, value in (security_settings.request_settings() if security_settings else {}).items()
            if key in {"phi_detection", "phi_redaction", "phi_handling"}
        }
        if subject_id:
            phi["subject_id"] = subject_id
        if phi:
            body["security_settings"] = phi
        path = f"/api/v1/deployments/{deployment_id}/generate"
        if stream:
            return StreamedGeneration(self._transport.events("POST", path, json={**body, "stream": True}))
        return TextGeneration.from_api(self._transport.request("POST", path, json=body))

    # --- audit ---------------------------------------------------------------------------------
    def get_audit_logs(
        self,
        start_time: str | datetime | None = None,
        end_time: str | datetime | None = None,
        filter: Mapping[str, Any] | None = None,  # the documented keyword, though it shadows a builtin
        page_size: int = 200,
    ) -> AuditLogs:
        params: list[tuple[str, str]] = [("page_size", str(page_size))]
        for name, value in (("start_time", _iso(start_time)), ("end_time", _iso(end_time))):
            if value:
                params.append((name, value))
        for name, value in (filter or {}).items():
            values = value if isinstance(value, list | tuple | set) else [value]
            params.extend((name, str(item)) for item in values)
        return AuditLogs(self._transport, params)

    # --- compliance reports --------------------------------------------------------------------
    def generate_compliance_report(
        self,
        report_type: str = "hipaa",
        time_period: str = "last_30_days",
        include_sections: Sequence[str] | None = None,
        output_format: str = "pdf",
        start_date: str | date | None = None,
        end_date: str | date | None = None,
        wait: bool = True,
        timeout: float = 300.0,
        *,
        poll_interval: float = 2.0,
    ) -> ComplianceReport:
        """Ask for a report (time_period custom takes start_date and end_date, both included). With `wait`,
        poll until a worker has rendered it: raises ReportFailedError if rendering fails, TimeoutError after
        `timeout` seconds. The result's `url` is a short-lived signed link; `download()` returns the bytes."""
        report = self._reports.create(
            report_type=report_type,
            time_period=time_period,
            include_sections=include_sections,
            output_format=output_format,
            start_date=start_date,
            end_date=end_date,
        )
        return self._reports.wait(report, timeout=timeout, poll_interval=poll_interval) if wait else report

    def get_compliance_report(self, report_id: str) -> ComplianceReport:
        return self._reports.get(report_id)
