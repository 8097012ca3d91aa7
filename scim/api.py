"""REST: SCIM tokens (`user:manage`): list, issue (the bearer value shown once), revoke."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accessctl.permissions import request_actor, require
from accessctl.policy import organization_resource
from accessctl.tenancy import tenant_get
from core.api.serializers import StrictSerializer
from scim.models import ScimToken
from scim.tokens import scim_token_issue, scim_token_revoke


class ScimTokenSerializer(serializers.ModelSerializer[ScimToken]):
    id = serializers.CharField(source="public_id", read_only=True)
    issued_by = serializers.CharField(source="issued_by.public_id", read_only=True)

    class Meta:
        model = ScimToken
        fields = ["id", "name", "prefix", "issued_by", "last_used_at", "revoked_at", "created_at"]


class ScimTokenCreateSerializer(StrictSerializer):
    name = serializers.CharField(max_length=100, help_text="the identity provider connection, e.g. okta-production")


class ScimTokenCreatedSerializer(ScimTokenSerializer):
    token = serializers.CharField(read_only=True, help_text="shown once; the IdP sends `Authorization: Bearer <token>`")

    class Meta(ScimTokenSerializer.Meta):
        fields = [*ScimTokenSerializer.Meta.fields, "token"]


class ScimTokenListCreateView(generics.ListAPIView[ScimToken]):
    serializer_class = ScimTokenSerializer

    def get_queryset(self) -> QuerySet[ScimToken]:
        actor = request_actor(self.request)
        require(actor, "user:manage", organization_resource(actor))
        return ScimToken.objects.filter(organization=actor.organization).select_related("issued_by")

    @extend_schema(
        request=ScimTokenCreateSerializer, responses={201: ScimTokenCreatedSerializer}, summary="Issue a SCIM token"
    )
    def post(self, request: Request) -> Response:
        actor = request_actor(request)
        body = ScimTokenCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data: dict[str, Any] = body.validated_data
        token, bearer = scim_token_issue(actor=actor, name=data["name"])
        payload = dict(ScimTokenSerializer(token).data)
        payload["token"] = bearer
        return Response(payload, status=status.HTTP_201_CREATED)


class ScimTokenRevokeView(APIView):
    @extend_schema(request=None, responses={204: None}, summary="Revoke a SCIM token")
    def delete(self, request: Request, token_id: str) -> Response:
        actor = request_actor(request)
        require(actor, "user:manage", organization_resource(actor))
        scim_token_revoke(actor=actor, token=tenant_get(ScimToken.objects.all(), actor, token_id))
        return Response(status=status.HTTP_204_NO_CONTENT)
