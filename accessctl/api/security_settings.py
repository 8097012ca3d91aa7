"""REST: `GET/PATCH /api/v1/organization/security-settings` in the seed's SecuritySettings shape."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accessctl.extensions import SETTINGS_SECTIONS, retention
from accessctl.permissions import request_actor, require
from accessctl.policy import organization_resource
from accessctl.security import AccessChanges, retention_offer, security_settings_document, security_settings_update
from core.api.serializers import StrictSerializer

ALWAYS_ON = "This server always enforces it; it cannot be turned off."


class AccessControlSerializer(StrictSerializer):
    require_mfa = serializers.BooleanField(required=False)
    session_timeout_minutes = serializers.IntegerField(required=False, help_text="idle timeout, 1-1440")
    session_max_hours = serializers.IntegerField(
        required=False, help_text="absolute session lifetime from sign-in, active or not: 1-24 (default 12)"
    )
    concurrent_sessions_limit = serializers.IntegerField(required=False, help_text="0: no limit")
    ip_restrictions = serializers.ListField(
        child=serializers.CharField(max_length=64), required=False, help_text="CIDRs; empty allows all addresses"
    )


class TransmissionSecuritySerializer(StrictSerializer):
    enforce_tls_1_2_plus = serializers.BooleanField(required=False)
    secure_ciphers_only = serializers.BooleanField(required=False)
    hsts_enabled = serializers.BooleanField(required=False)

    def validate_enforce_tls_1_2_plus(self, value: bool) -> bool:
        if not value:
            raise serializers.ValidationError(ALWAYS_ON)
        return value

    def validate_secure_ciphers_only(self, value: bool) -> bool:
        if not value:
            raise serializers.ValidationError(ALWAYS_ON)
        return value


class ComplianceLoggingSerializer(StrictSerializer):
    hipaa = serializers.BooleanField(
        required=False, help_text="HIPAA mode: forces MFA, PHI detection, network isolation; inference needs a BAA"
    )
    audit_logging = serializers.BooleanField(required=False)
    log_retention_days = serializers.IntegerField(required=False)
    phi_detection = serializers.BooleanField(required=False)

    def validate_audit_logging(self, value: bool) -> bool:
        if not value:
            raise serializers.ValidationError("Audit logging is always on; it cannot be turned off.")
        return value


class EmergencyAccessSerializer(StrictSerializer):
    enabled = serializers.BooleanField(required=False)
    authorized_roles = serializers.ListField(child=serializers.CharField(max_length=63), required=False)
    require_multi_approval = serializers.BooleanField(required=False)
    approvals_required = serializers.IntegerField(required=False, help_text="M of the M-of-N approval (>= 2)")
    access_duration_hours = serializers.IntegerField(required=False)
    request_ttl_hours = serializers.IntegerField(required=False, help_text="a pending request expires after")


class SecuritySettingsSerializer(StrictSerializer):
    access_control = AccessControlSerializer(required=False)
    emergency_access = EmergencyAccessSerializer(required=False)
    transmission_security = TransmissionSecuritySerializer(required=False)
    compliance = ComplianceLoggingSerializer(required=False)


class SecuritySettingsView(APIView):
    @extend_schema(responses=SecuritySettingsSerializer, summary="The organisation's security settings")
    def get(self, request: Request) -> Response:
        actor = request_actor(request)
        require(actor, "settings:manage", organization_resource(actor))
        return Response(security_settings_document(actor.organization))

    @extend_schema(
        request=SecuritySettingsSerializer, responses=SecuritySettingsSerializer, summary="Change security settings"
    )
    def patch(self, request: Request) -> Response:
        actor = request_actor(request)
        require(actor, "settings:manage", organization_resource(actor))
        body = SecuritySettingsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data: dict[str, Any] = body.validated_data
        access = data.get("access_control", {})
        transmission = data.get("transmission_security", {})
        compliance = data.get("compliance", {})
        changes = AccessChanges(
            require_mfa=access.get("require_mfa"),
            session_timeout_minutes=access.get("session_timeout_minutes"),
            session_max_hours=access.get("session_max_hours"),
            concurrent_sessions_limit=access.get("concurrent_sessions_limit"),
            ip_restrictions=access.get("ip_restrictions"),
            hsts_enabled=transmission.get("hsts_enabled"),
            log_retention_days=compliance.get("log_retention_days"),
            hipaa=compliance.get("hipaa"),
            phi_detection=compliance.get("phi_detection"),
        )
        if changes.log_retention_days is not None and changes.log_retention_days != (
            retention().days(actor.organization)
        ):  # the same permission as the console's retention form: shortening retention deletes history
            require(actor, "audit:manage", organization_resource(actor))
        with transaction.atomic():
            security_settings_update(actor=actor, changes=changes)
            for name, section in SETTINGS_SECTIONS.items():
                if name in data:
                    section.update(actor, data[name])
        document = security_settings_document(actor.organization)
        offer = retention_offer(actor.organization)
        if offer is not None and compliance.get("hipaa"):  # turning HIPAA mode on offers to raise retention
            document["offers"] = [offer]
        return Response(document)
