"""REST endpoints for the caller's identity and organisation."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accessctl.models import Membership, Organization
from accessctl.permissions import request_actor, require
from accessctl.policy import organization_resource
from accessctl.selectors import member_list


class OrganizationSerializer(serializers.ModelSerializer[Organization]):
    id = serializers.CharField(source="public_id", read_only=True)

    class Meta:
        model = Organization
        fields = ["id", "name", "slug", "created_at"]


class MeSerializer(serializers.Serializer[None]):
    user_id = serializers.CharField()
    username = serializers.CharField()
    email = serializers.EmailField()
    organization = OrganizationSerializer()


class MemberSerializer(serializers.ModelSerializer[Membership]):
    user_id = serializers.CharField(source="user.public_id", read_only=True)
    username = serializers.CharField(source="user.username", read_only=True)
    email = serializers.EmailField(source="user.email", read_only=True)

    class Meta:
        model = Membership
        fields = ["user_id", "username", "email", "created_at"]


class MeView(APIView):
    @extend_schema(responses=MeSerializer, summary="The signed-in user and their organisation")
    def get(self, request: Request) -> Response:
        actor = request_actor(request)
        user = actor.user
        if user is None:  # API keys without a user arrive with access control; they have no "me"
            raise NotFound("This credential is not bound to a user.")
        data = {
            "user_id": user.public_id,
            "username": user.username,
            "email": user.email,
            "organization": OrganizationSerializer(actor.organization).data,
        }
        return Response(data)


@extend_schema(summary="Members of the caller's organisation")
class MemberListView(generics.ListAPIView[Membership]):
    serializer_class = MemberSerializer

    def get_queryset(self) -> QuerySet[Membership]:
        actor = request_actor(self.request)
        require(actor, "user:read", organization_resource(actor))  # every member's e-mail: not for everyone
        return member_list(actor=actor)
