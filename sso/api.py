"""REST: `GET/PATCH /api/v1/organization/sso`, the organisation's OpenID Connect configuration
(settings:manage). The client secret can be set, never read back."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accessctl.permissions import request_actor, require
from accessctl.policy import organization_resource
from core.api.serializers import StrictSerializer
from sso.configuration import (
    PERMISSION,
    OidcChanges,
    RoleMapping,
    oidc_configuration_document,
    oidc_configuration_for,
    oidc_configuration_update,
)


class RoleMappingSerializer(StrictSerializer):
    value = serializers.CharField(max_length=200, help_text="a value of the role claim, e.g. an IdP group")
    role = serializers.CharField(max_length=64, help_text="the name of one of the organisation's roles")


class OidcConfigurationSerializer(serializers.Serializer[None]):
    enabled = serializers.BooleanField()
    issuer = serializers.CharField(help_text="the IdP's issuer URL (discovery at /.well-known/openid-configuration)")
    client_id = serializers.CharField()
    client_secret_set = serializers.BooleanField(help_text="whether a client secret is stored (it is never shown)")
    allowed_domains = serializers.ListField(child=serializers.CharField())
    role_claim = serializers.CharField()
    role_mapping = RoleMappingSerializer(many=True)
    jit_provisioning = serializers.BooleanField()
    require_sso = serializers.BooleanField()
    break_glass_user_id = serializers.CharField(allow_null=True)


class OidcConfigurationUpdateSerializer(StrictSerializer):
    enabled = serializers.BooleanField(required=False)
    issuer = serializers.CharField(required=False, allow_blank=True, max_length=300)
    client_id = serializers.CharField(required=False, allow_blank=True, max_length=200)
    client_secret = serializers.CharField(
        required=False, max_length=500, trim_whitespace=False, help_text="write-only; stored encrypted"
    )
    allowed_domains = serializers.ListField(child=serializers.CharField(max_length=253), required=False)
    role_claim = serializers.CharField(required=False, max_length=100)
    role_mapping = serializers.ListField(child=RoleMappingSerializer(), required=False)
    jit_provisioning = serializers.BooleanField(required=False)
    require_sso = serializers.BooleanField(required=False)
    break_glass_user_id = serializers.CharField(
        required=False, allow_blank=True, max_length=48, help_text="an org-admin member's id; empty clears it"
    )


class OidcConfigurationView(APIView):
    @extend_schema(responses=OidcConfigurationSerializer, summary="Read the single sign-on configuration")
    def get(self, request: Request) -> Response:
        actor = request_actor(request)
        require(actor, PERMISSION, organization_resource(actor))
        return Response(oidc_configuration_document(oidc_configuration_for(actor.organization)))

    @extend_schema(
        request=OidcConfigurationUpdateSerializer,
        responses=OidcConfigurationSerializer,
        summary="Change the single sign-on configuration",
    )
    def patch(self, request: Request) -> Response:
        """Fields left out keep their values. Audited as `sso.configuration.updated` (field names only, never the
        secret). Mapping a claim value to a role needs every permission of that role (a 403 otherwise)."""
        actor = request_actor(request)
        require(actor, PERMISSION, organization_resource(actor))
        body = OidcConfigurationUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data: dict[str, Any] = dict(body.validated_data)
        if "role_mapping" in data:
            data["role_mapping"] = [RoleMapping(value=m["value"], role=m["role"]) for m in data["role_mapping"]]
        config = oidc_configuration_update(actor=actor, changes=OidcChanges(**data))
        return Response(oidc_configuration_document(config))
