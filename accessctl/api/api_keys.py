"""REST: API keys. Keys are issued only to oneself (never broader than the issuing key); listing and revoking
other members' keys needs role:manage."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accessctl.api.common import member_by_public_id, role_by_name
from accessctl.api_keys import api_key_issue, api_key_revoke
from accessctl.models import ApiKey
from accessctl.permissions import request_actor, require
from accessctl.policy import is_allowed, organization_resource
from accessctl.tenancy import tenant_get
from core.api.serializers import StrictSerializer


class ApiKeySerializer(serializers.ModelSerializer[ApiKey]):
    id = serializers.CharField(source="public_id", read_only=True)
    user_id = serializers.CharField(source="user.public_id", read_only=True)
    role_name = serializers.CharField(source="role.name", read_only=True, allow_null=True)

    class Meta:
        model = ApiKey
        fields = [
            "id",
            "name",
            "prefix",
            "user_id",
            "role_name",
            "expires_at",
            "last_used_at",
            "revoked_at",
            "created_at",
        ]


class ApiKeyCreateSerializer(StrictSerializer):
    name = serializers.CharField(max_length=100)
    user_id = serializers.CharField(
        max_length=48, required=False, help_text="yourself (keys are issued only to the person who uses them)"
    )
    role_name = serializers.CharField(max_length=64, required=False, help_text="narrow the key to one of its roles")
    expires_at = serializers.DateTimeField(required=False)


class ApiKeyCreatedSerializer(ApiKeySerializer):
    token = serializers.CharField(read_only=True, help_text="shown once; send as `Authorization: Bearer <token>`")

    class Meta(ApiKeySerializer.Meta):
        fields = [*ApiKeySerializer.Meta.fields, "token"]


class ApiKeyListCreateView(generics.ListAPIView[ApiKey]):
    serializer_class = ApiKeySerializer

    def get_queryset(self) -> QuerySet[ApiKey]:
        actor = request_actor(self.request)
        keys = ApiKey.objects.filter(organization=actor.organization).select_related("user", "role")
        if is_allowed(actor, "role:manage", organization_resource(actor)):
            return keys
        return keys.filter(user=actor.user)

    @extend_schema(request=ApiKeyCreateSerializer, responses={201: ApiKeyCreatedSerializer}, summary="Issue a key")
    def post(self, request: Request) -> Response:
        actor = request_actor(request)
        body = ApiKeyCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data: dict[str, Any] = body.validated_data
        user = actor.user
        if "user_id" in data and (user is None or data["user_id"] != user.public_id):
            user = member_by_public_id(actor, data["user_id"])  # refused by the service, audited
        if user is None:
            raise serializers.ValidationError({"user_id": ["Name the user the key is for."]})
        role = role_by_name(actor, data["role_name"]) if "role_name" in data else None
        key, token = api_key_issue(
            actor=actor,
            organization=actor.organization,
            user=user,
            name=data["name"],
            role=role,
            expires_at=data.get("expires_at"),
        )
        payload = dict(ApiKeySerializer(key).data)
        payload["token"] = token
        return Response(payload, status=status.HTTP_201_CREATED)


class ApiKeyRevokeView(APIView):
    @extend_schema(request=None, responses={204: None}, summary="Revoke a key")
    def delete(self, request: Request, key_id: str) -> Response:
        actor = request_actor(request)
        key = tenant_get(ApiKey.objects.all(), actor, key_id)
        if key.user != actor.user:
            require(actor, "role:manage", organization_resource(actor))
        api_key_revoke(actor=actor, key=key)
        return Response(status=status.HTTP_204_NO_CONTENT)
