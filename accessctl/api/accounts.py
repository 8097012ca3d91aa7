"""REST: `POST /api/v1/users/<user_id>/unlock`, lifting a member's sign-in lockouts (needs role:manage)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accessctl.api.common import member_by_public_id
from accessctl.lockout import account_unlock
from accessctl.permissions import request_actor, require
from accessctl.policy import organization_resource


class UnlockedSerializer(serializers.Serializer[None]):
    user_id = serializers.CharField()
    username = serializers.CharField()
    was_locked = serializers.BooleanField(help_text="whether either lockout held the account")
    account_failures = serializers.IntegerField(help_text="failed sign-ins within the window, now cleared")
    locked_addresses = serializers.IntegerField(help_text="addresses locked out for this user name, now cleared")


class AccountUnlockView(APIView):
    @extend_schema(request=None, responses=UnlockedSerializer, summary="Unlock a member's sign-in")
    def post(self, request: Request, user_id: str) -> Response:
        """Clears the per-account lockout and every per-address lockout of the member's user name, so they can
        sign in again now. Audited as `auth.account_unlocked`."""
        actor = request_actor(request)
        require(actor, "role:manage", organization_resource(actor))
        user = member_by_public_id(actor, user_id)
        unlocked = account_unlock(actor=actor, user=user, via="api")
        return Response(
            {
                "user_id": user.public_id,
                "username": user.username,
                "was_locked": unlocked.was_locked,
                "account_failures": unlocked.account_failures,
                "locked_addresses": unlocked.locked_addresses,
            }
        )
