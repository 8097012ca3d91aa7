"""REST: roles (`POST/GET /api/v1/roles`) and assignments (`/api/v1/role-assignments`), needing role:manage."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accessctl.api.common import member_by_public_id, role_by_name
from accessctl.models import Role, RoleAssignment
from accessctl.permissions import request_actor, require
from accessctl.policy import PERMISSIONS, organization_resource
from accessctl.services import role_assign, role_create, role_unassign
from core.api.serializers import StrictSerializer


class RoleSerializer(serializers.ModelSerializer[Role]):
    permissions = serializers.ListField(
        child=serializers.CharField(max_length=64), allow_empty=False, help_text=f"from: {', '.join(PERMISSIONS)}"
    )

    class Meta:
        model = Role
        fields = ["name", "description", "permissions", "resource_pattern", "builtin", "created_at"]
        read_only_fields = ["builtin", "created_at"]
        extra_kwargs = {"resource_pattern": {"required": False}, "name": {"validators": []}}


class RoleCreateSerializer(StrictSerializer, RoleSerializer):
    pass


class RoleAssignmentSerializer(StrictSerializer):
    user_id = serializers.CharField(max_length=48)
    role_name = serializers.CharField(max_length=64)


class RoleAssignmentOutSerializer(serializers.ModelSerializer[RoleAssignment]):
    user_id = serializers.CharField(source="user.public_id")
    role_name = serializers.CharField(source="role.name")

    class Meta:
        model = RoleAssignment
        fields = ["user_id", "role_name", "created_at"]


class RoleListCreateView(generics.ListCreateAPIView[Role]):
    serializer_class = RoleSerializer

    def get_queryset(self) -> QuerySet[Role]:
        actor = request_actor(self.request)
        require(actor, "role:manage", organization_resource(actor))
        return Role.objects.filter(organization=actor.organization)

    @extend_schema(request=RoleCreateSerializer, responses={201: RoleSerializer}, summary="Create a role")
    def post(self, request: Request) -> Response:
        actor = request_actor(request)
        require(actor, "role:manage", organization_resource(actor))
        body = RoleCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        role = role_create(actor=actor, **body.validated_data)
        return Response(RoleSerializer(role).data, status=status.HTTP_201_CREATED)


class RoleAssignmentView(generics.ListAPIView[RoleAssignment]):
    serializer_class = RoleAssignmentOutSerializer

    def get_queryset(self) -> QuerySet[RoleAssignment]:
        actor = request_actor(self.request)
        require(actor, "role:manage", organization_resource(actor))
        return RoleAssignment.objects.filter(organization=actor.organization).select_related("user", "role")

    @extend_schema(request=RoleAssignmentSerializer, responses={201: RoleAssignmentOutSerializer}, summary="Assign")
    def post(self, request: Request) -> Response:
        actor = request_actor(request)
        require(actor, "role:manage", organization_resource(actor))
        body = RoleAssignmentSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        user = member_by_public_id(actor, body.validated_data["user_id"])
        role = role_by_name(actor, body.validated_data["role_name"])
        assignment = role_assign(actor=actor, organization=actor.organization, user=user, role=role)
        return Response(RoleAssignmentOutSerializer(assignment).data, status=status.HTTP_201_CREATED)


class RoleUnassignView(APIView):
    @extend_schema(request=None, responses={204: None}, summary="Remove a role from a user")
    def delete(self, request: Request, user_id: str, role_name: str) -> Response:
        actor = request_actor(request)
        require(actor, "role:manage", organization_resource(actor))
        user = member_by_public_id(actor, user_id)
        role = role_by_name(actor, role_name)
        if not role_unassign(actor=actor, user=user, role=role):
            raise NotFound("The user does not hold that role.")
        return Response(status=status.HTTP_204_NO_CONTENT)
