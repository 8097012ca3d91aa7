"""REST: `/api/v1/emergency-access/requests` — ask, decide (M-of-N), revoke, review, and what was done."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accessctl.permissions import request_actor
from accessctl.policy import is_allowed
from accessctl.tenancy import tenant_get
from audit.models import AuditEvent
from core.api.serializers import StrictSerializer
from emergency import services
from emergency.models import EmergencyAccessRequest


class RequestSerializer(serializers.ModelSerializer[EmergencyAccessRequest]):
    id = serializers.CharField(source="public_id", read_only=True)
    requester_id = serializers.CharField(source="requester.public_id", read_only=True)
    decisions = serializers.SerializerMethodField()
    seconds_left = serializers.SerializerMethodField()

    class Meta:
        model = EmergencyAccessRequest
        fields = [
            "id", "requester_id", "resource", "permissions", "status", "approvals_needed", "duration_hours",
            "created_at", "pending_until", "granted_at", "grant_expires_at", "ended_at", "review_status",
            "reviewed_at", "decisions", "seconds_left",
        ]  # fmt: skip

    def get_decisions(self, request: EmergencyAccessRequest) -> list[dict[str, Any]]:
        return [{"approver_id": d.approver.public_id, "decision": d.decision, "decided_at": d.decided_at.isoformat()}
                for d in request.decisions.select_related("approver")]  # fmt: skip

    def get_seconds_left(self, request: EmergencyAccessRequest) -> int | None:
        from django.utils import timezone

        if request.status != "approved" or request.grant_expires_at is None:
            return None
        return max(0, int((request.grant_expires_at - timezone.now()).total_seconds()))


class RequestCreateSerializer(StrictSerializer):
    resource = serializers.CharField(max_length=200, help_text="<kind>/<name>, globs allowed")
    permissions = serializers.ListField(child=serializers.CharField(max_length=40), allow_empty=False)
    reason = serializers.CharField(max_length=2000, help_text="stored encrypted; never in the audit log")


class DecisionSerializer(StrictSerializer):
    decision = serializers.ChoiceField(choices=["approve", "deny"])
    comment = serializers.CharField(max_length=1000)


class ReviewSerializer(StrictSerializer):
    notes = serializers.CharField(max_length=4000)


def _visible(request: Request) -> QuerySet[EmergencyAccessRequest]:
    actor = request_actor(request)
    found = EmergencyAccessRequest.objects.filter(organization=actor.organization).select_related("requester")
    if not is_allowed(actor, "emergency:approve", "emergency-access/*"):
        found = found.filter(Q(requester=actor.user))  # requesters see their own; approvers see all
    return found


def _in_organization(request: Request, request_id: str) -> EmergencyAccessRequest:
    """For approver-only calls: the service's policy check answers 403 to non-approvers."""
    return tenant_get(EmergencyAccessRequest.objects.all(), request_actor(request), request_id)


def _get(request: Request, request_id: str) -> EmergencyAccessRequest:
    return tenant_get(_visible(request), request_actor(request), request_id)


class RequestListCreateView(generics.ListAPIView[EmergencyAccessRequest]):
    serializer_class = RequestSerializer
    ordering = ("-created_at", "-id")

    def get_queryset(self) -> QuerySet[EmergencyAccessRequest]:
        rows: QuerySet[EmergencyAccessRequest] = _visible(self.request)
        if self.request.query_params.get("status"):
            rows = rows.filter(status=self.request.query_params["status"])
        return rows

    @extend_schema(operation_id="emergency_access_requests_list", summary="Your requests (approvers: everyone's)")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(request=RequestCreateSerializer, responses={201: RequestSerializer},
                   summary="Ask for emergency (break-glass) access")  # fmt: skip
    def post(self, request: Request) -> Response:
        body = RequestCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        created = services.request_access(actor=request_actor(request), **body.validated_data)
        return Response(RequestSerializer(created).data, status=status.HTTP_201_CREATED)


class RequestDetailView(APIView):
    @extend_schema(responses=RequestSerializer, summary="A request, its decisions and grant window")
    def get(self, request: Request, request_id: str) -> Response:
        return Response(RequestSerializer(_get(request, request_id)).data)


class DecisionView(APIView):
    @extend_schema(request=DecisionSerializer, responses=RequestSerializer, summary="Approve or deny (not your own)")
    def post(self, request: Request, request_id: str) -> Response:
        found = _in_organization(request, request_id)
        body = DecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        decided = services.decide(actor=request_actor(request), request=found, **body.validated_data)
        return Response(RequestSerializer(decided).data)


class RevokeView(APIView):
    @extend_schema(request=None, responses=RequestSerializer, summary="End a grant early, or cancel a pending ask")
    def post(self, request: Request, request_id: str) -> Response:
        ended = services.revoke(actor=request_actor(request), request=_get(request, request_id))
        return Response(RequestSerializer(ended).data)


class ReviewView(APIView):
    @extend_schema(request=ReviewSerializer, responses=RequestSerializer, summary="Post-use review of an ended grant")
    def post(self, request: Request, request_id: str) -> Response:
        body = ReviewSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        reviewed = services.review(actor=request_actor(request), request=_in_organization(request, request_id),
                                   notes=body.validated_data["notes"])  # fmt: skip
        return Response(RequestSerializer(reviewed).data)


class ActivitySerializer(serializers.ModelSerializer[AuditEvent]):
    id = serializers.CharField(source="event_id", read_only=True)

    class Meta:
        model = AuditEvent
        fields = ["id", "seq", "timestamp", "event_type", "resource", "resource_id", "outcome", "user_id"]


class ActivityView(generics.ListAPIView[AuditEvent]):
    serializer_class = ActivitySerializer
    ordering = ("timestamp", "id")  # oldest first

    def get_queryset(self) -> QuerySet[AuditEvent]:
        found: QuerySet[AuditEvent] = services.grant_activity(_get(self.request, self.kwargs["request_id"]))
        return found

    @extend_schema(summary="The audit events written under a grant")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)
