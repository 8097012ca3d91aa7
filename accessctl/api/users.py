"""REST: the organisation's people (`GET /api/v1/users`, `GET /api/v1/users/<id>`, needing user:read) and
offboarding (`POST .../deactivate`, `.../reactivate`, `.../password-reset`, needing user:manage)."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import generics, serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accessctl.api.api_keys import ApiKeySerializer
from accessctl.models import Membership, MemberStatus, UserSession
from accessctl.offboarding import password_reset_send, user_deactivate, user_reactivate
from accessctl.permissions import request_actor, require
from accessctl.policy import organization_resource
from accessctl.security import settings_for
from accessctl.selectors import DirectoryFilters, member_directory, member_get, mfa_status_of


class MfaSerializer(serializers.Serializer[None]):
    enrolled = serializers.BooleanField(help_text="an authenticator app is confirmed")
    methods = serializers.ListField(child=serializers.CharField(), help_text="totp, passkey, backup_codes")
    required_by_policy = serializers.BooleanField(help_text="the organisation requires MFA")


class UserSerializer(serializers.Serializer[Membership]):
    id = serializers.CharField(source="user.public_id")
    username = serializers.CharField(source="user.username")
    name = serializers.CharField(source="user.get_full_name")
    email = serializers.EmailField(source="user.email")
    status = serializers.ChoiceField(choices=MemberStatus.choices)
    roles = serializers.SerializerMethodField()
    mfa = serializers.SerializerMethodField()
    last_login = serializers.DateTimeField(source="user.last_login", allow_null=True)
    api_keys = serializers.IntegerField(source="api_key_count", help_text="live (unrevoked, unexpired) API keys")
    joined_at = serializers.DateTimeField(allow_null=True)
    deactivated_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_roles(self, membership: Membership) -> list[str]:
        return sorted(a.role.name for a in getattr(membership.user, "org_assignments", []))

    @extend_schema_field(MfaSerializer)
    def get_mfa(self, membership: Membership) -> dict[str, Any]:
        status = mfa_status_of(membership, bool(self.context.get("mfa_required")))
        return {"enrolled": status.enrolled, "methods": status.methods, "required_by_policy": status.required}


class SessionSerializer(serializers.ModelSerializer[UserSession]):
    class Meta:
        model = UserSession
        fields = ["ip", "created_at"]


class UserDetailSerializer(UserSerializer):
    sessions = serializers.SerializerMethodField()
    keys = serializers.SerializerMethodField()

    @extend_schema_field(SessionSerializer(many=True))
    def get_sessions(self, membership: Membership) -> Any:
        rows = UserSession.objects.filter(organization=membership.organization_id, user=membership.user)
        return SessionSerializer(rows, many=True).data

    @extend_schema_field(ApiKeySerializer(many=True))
    def get_keys(self, membership: Membership) -> Any:
        keys = membership.user.api_keys.filter(organization=membership.organization_id).select_related("role", "user")
        return ApiKeySerializer(keys, many=True).data


class OffboardedSerializer(serializers.Serializer[None]):
    user = UserSerializer()
    ended = serializers.DictField(child=serializers.IntegerField(), help_text="what deactivation ended, counted")


CONFLICT = OpenApiResponse(description="the member is not in a state this applies to, or is the last org-admin")
STATUS_PARAM = OpenApiParameter("status", str, enum=list(MemberStatus.values), description="only members in it")
ROLE_PARAM = OpenApiParameter("role", str, description="only holders of this role")
Q_PARAM = OpenApiParameter("q", str, description="part of a name, user name or e-mail address")


class UserListView(generics.ListAPIView[Membership]):
    serializer_class = UserSerializer
    ordering = ("sort_name", "id")  # the cursor's position must be an attribute of each row

    @extend_schema(parameters=[STATUS_PARAM, ROLE_PARAM, Q_PARAM], summary="The organisation's people")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> QuerySet[Membership]:
        actor = request_actor(self.request)
        require(actor, "user:read", organization_resource(actor))
        params = self.request.query_params
        status = params.get("status")
        if status is not None and status not in MemberStatus.values:
            raise serializers.ValidationError({"status": [f"One of: {', '.join(MemberStatus.values)}."]})
        filters = DirectoryFilters(status=status or "", role=params.get("role", "")[:64], q=params.get("q", "")[:100])
        return member_directory(actor=actor, filters=filters)

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        context["mfa_required"] = settings_for(request_actor(self.request).organization).require_mfa
        return context


def _member(request: Request, user_id: str, permission: str) -> tuple[Membership, dict[str, Any]]:
    actor = request_actor(request)
    require(actor, permission, organization_resource(actor))
    membership = member_get(actor=actor, user_id=user_id)
    if membership is None:
        raise NotFound("No such user.")
    return membership, {"mfa_required": settings_for(actor.organization).require_mfa}


class UserDetailView(APIView):
    @extend_schema(responses=UserDetailSerializer, summary="One person: roles, MFA, sessions, API keys")
    def get(self, request: Request, user_id: str) -> Response:
        membership, context = _member(request, user_id, "user:read")
        return Response(UserDetailSerializer(membership, context=context).data)


class UserDeactivateView(APIView):
    @extend_schema(
        request=None,
        responses={200: OffboardedSerializer, 409: CONFLICT},
        summary="Deactivate (offboard) a member",
    )
    def post(self, request: Request, user_id: str) -> Response:
        """Ends the member's sessions, revokes their API keys, pending invitation and break-glass requests and
        grants, at once and audited as `user.deactivated`. Nothing is deleted. 409 for the last org-admin."""
        membership, context = _member(request, user_id, "user:manage")
        offboarded = user_deactivate(actor=request_actor(request), user=membership.user)
        refreshed = member_get(actor=request_actor(request), user_id=user_id)
        return Response({"user": UserSerializer(refreshed, context=context).data, "ended": offboarded.ended})


class UserReactivateView(APIView):
    @extend_schema(request=None, responses={200: UserSerializer, 409: CONFLICT}, summary="Reactivate a member")
    def post(self, request: Request, user_id: str) -> Response:
        membership, context = _member(request, user_id, "user:manage")
        user_reactivate(actor=request_actor(request), user=membership.user)
        refreshed = member_get(actor=request_actor(request), user_id=user_id)
        return Response(UserSerializer(refreshed, context=context).data)


class UserPasswordResetView(APIView):
    @extend_schema(request=None, responses={202: None, 409: CONFLICT}, summary="E-mail a member a password-reset link")
    def post(self, request: Request, user_id: str) -> Response:
        """The link goes to the member's address only; MFA still applies at their next sign-in."""
        membership, _ = _member(request, user_id, "user:manage")
        password_reset_send(actor=request_actor(request), user=membership.user)
        return Response(status=202)
