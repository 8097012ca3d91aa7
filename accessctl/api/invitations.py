"""REST: invitations (`GET/POST /api/v1/invitations`, `POST .../<id>/resend`, `POST .../<id>/revoke`), needing
user:manage. The link goes only to the invitee's e-mail; no answer ever contains it."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accessctl.invitations import invitation_create, invitation_resend, invitation_revoke
from accessctl.models import Invitation
from accessctl.permissions import request_actor, require
from accessctl.policy import organization_resource
from accessctl.tenancy import tenant_get
from core.api.serializers import StrictSerializer


class InvitationSerializer(serializers.ModelSerializer[Invitation]):
    id = serializers.CharField(source="public_id", read_only=True)
    user_id = serializers.CharField(source="user.public_id", read_only=True)
    invited_by = serializers.CharField(source="invited_by.public_id", read_only=True, allow_null=True)
    status = serializers.CharField(source="display_status", help_text="pending, expired, accepted or revoked")
    roles = serializers.SerializerMethodField()

    class Meta:
        model = Invitation
        fields = ["id", "user_id", "email", "status", "roles", "invited_by", "sent_at", "expires_at", "send_count",
                  "accepted_at", "revoked_at", "created_at"]  # fmt: skip

    def get_roles(self, invitation: Invitation) -> list[str]:
        return sorted(
            invitation.user.role_assignments.filter(organization=invitation.organization_id).values_list(
                "role__name", flat=True
            )
        )


class InvitationCreateSerializer(StrictSerializer):
    email = serializers.EmailField(max_length=150)
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    roles = serializers.ListField(child=serializers.CharField(max_length=64), required=False, max_length=20,
                                  help_text="role names; each must be one you could grant")  # fmt: skip


CLOSED = OpenApiResponse(description="the invitation was accepted or revoked already")


def _manage(request: Request) -> Any:
    actor = request_actor(request)
    require(actor, "user:manage", organization_resource(actor))
    return actor


class InvitationListCreateView(generics.ListCreateAPIView[Invitation]):
    serializer_class = InvitationSerializer
    ordering = ("-created_at", "-id")

    def get_queryset(self) -> QuerySet[Invitation]:
        actor = _manage(self.request)
        return Invitation.objects.filter(organization=actor.organization).select_related("user", "invited_by")

    @extend_schema(request=InvitationCreateSerializer, responses={201: InvitationSerializer},
                   summary="Invite someone by e-mail")  # fmt: skip
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Sends a signed, single-use link valid 72 hours; audited as `user.invited`."""
        actor = _manage(request)
        body = InvitationCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        invitation = invitation_create(actor=actor, **body.validated_data)
        return Response(InvitationSerializer(invitation).data, status=status.HTTP_201_CREATED)


class InvitationResendView(APIView):
    @extend_schema(
        request=None,
        responses={200: InvitationSerializer, 409: CLOSED},
        summary="Send a new link (the old one stops working)",
    )
    def post(self, request: Request, invitation_id: str) -> Response:
        actor = _manage(request)
        invitation = tenant_get(Invitation.objects.select_related("user"), actor, invitation_id)
        return Response(InvitationSerializer(invitation_resend(actor=actor, invitation=invitation)).data)


class InvitationRevokeView(APIView):
    @extend_schema(request=None, responses={200: InvitationSerializer, 409: CLOSED}, summary="Revoke an invitation")
    def post(self, request: Request, invitation_id: str) -> Response:
        actor = _manage(request)
        invitation = tenant_get(Invitation.objects.select_related("user"), actor, invitation_id)
        return Response(InvitationSerializer(invitation_revoke(actor=actor, invitation=invitation)).data)
