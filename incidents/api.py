"""REST: `/api/v1/incidents` (with notes, assessment, deadlines, notices), `/api/v1/alerts` and the detection
thresholds. Every endpoint needs `incident:manage`; another organisation's incident is a 404."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import APIException
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accessctl.permissions import request_actor
from incidents import notifications, services
from incidents import serializers as s
from incidents.assessment import FACTORS, Answers
from incidents.models import Alert, Incident, Notice
from incidents.selectors import (
    access_incident,
    access_notice,
    alert_list,
    deadline_rows,
    incident_list,
)


class NoticeNotReadyConflict(APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The notice is not ready."
    default_code = "notice-not-ready"


def _incident(request: Request, incident_id: str) -> Incident:
    return access_incident(actor=request_actor(request), incident_id=incident_id)


def _owner(request: Request, owner_id: str | None) -> Any:
    return services.member_by_public_id(request_actor(request).organization, owner_id) if owner_id else None


class IncidentListCreateView(generics.ListAPIView[Incident]):
    serializer_class = s.IncidentSerializer
    ordering = ("-discovered_at", "-id")

    def get_queryset(self) -> QuerySet[Incident]:
        return incident_list(actor=request_actor(self.request), status=self.request.query_params.get("status"))

    @extend_schema(
        parameters=[OpenApiParameter("status", str, required=False)],
        operation_id="incidents_list",
        summary="Incidents of your organisation, newest first",
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(request=s.IncidentCreateSerializer, responses={201: s.IncidentSerializer}, summary="Open one")
    def post(self, request: Request) -> Response:
        actor = request_actor(request)
        body = s.IncidentCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        incident = services.incident_open(
            actor=actor,
            organization=actor.organization,
            title=data["title"],
            severity=data["severity"],
            discovered_at=data["discovered_at"],
            owner=_owner(request, data["owner_id"]),
        )
        return Response(s.IncidentSerializer(incident).data, status=status.HTTP_201_CREATED)


class IncidentDetailView(APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT, summary="An incident with timeline, notes, assessment, deadlines")
    def get(self, request: Request, incident_id: str) -> Response:
        return Response(s.incident_detail_data(_incident(request, incident_id)))

    @extend_schema(
        request=s.IncidentUpdateSerializer,
        responses=s.IncidentSerializer,
        summary="Change status (along the allowed transitions), owner or severity",
    )
    def patch(self, request: Request, incident_id: str) -> Response:
        incident = _incident(request, incident_id)
        body = s.IncidentUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        changes: dict[str, Any] = {key: data[key] for key in ("status", "severity") if key in data}
        if "owner_id" in data:
            changes["owner"] = _owner(request, data["owner_id"])
        updated = services.incident_update(actor=request_actor(request), incident=incident, **changes)
        return Response(s.IncidentSerializer(updated).data)


class IncidentNoteView(APIView):
    @extend_schema(request=s.NoteCreateSerializer, responses={201: OpenApiTypes.OBJECT}, summary="Add a note")
    def post(self, request: Request, incident_id: str) -> Response:
        incident = _incident(request, incident_id)
        body = s.NoteCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        note = services.note_add(actor=request_actor(request), incident=incident, text=body.validated_data["text"])
        return Response({"id": note.public_id, "created_at": note.created_at.isoformat()}, status=201)


class IncidentEventsView(APIView):
    @extend_schema(
        request=s.EventsAttachSerializer,
        responses=OpenApiTypes.OBJECT,
        summary="Put audit events of your organisation on the incident's timeline",
    )
    def post(self, request: Request, incident_id: str) -> Response:
        incident = _incident(request, incident_id)
        body = s.EventsAttachSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        added = services.events_attach(
            actor=request_actor(request), incident=incident, event_ids=body.validated_data["event_ids"]
        )
        return Response({"added": added})


class IncidentAssessmentView(APIView):
    @extend_schema(
        request=s.AssessmentCreateSerializer,
        responses={201: s.AssessmentSerializer},
        summary="Record a four-factor risk assessment (45 CFR 164.402(2)); earlier versions are kept",
    )
    def post(self, request: Request, incident_id: str) -> Response:
        incident = _incident(request, incident_id)
        body = s.AssessmentCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        answers = Answers(
            nature_extent=data["nature_extent"],
            recipient=data["recipient"],
            acquired=data["acquired"],
            mitigation=data["mitigation"],
            identifier_types=tuple(data["identifier_types"]),
            reidentification=data["reidentification"],
        )
        assessment = notifications.assessment_record(
            actor=request_actor(request),
            incident=incident,
            answers=answers,
            notes={key: data[f"{key}_notes"] for key in FACTORS},
            affected_individuals=data["affected_individuals"],
            affected_by_jurisdiction=data["affected_by_jurisdiction"],
        )
        return Response(s.AssessmentSerializer(assessment).data, status=status.HTTP_201_CREATED)


class IncidentDeadlinesView(APIView):
    @extend_schema(responses=OpenApiTypes.OBJECT, summary="Notification deadlines of a notifiable breach")
    def get(self, request: Request, incident_id: str) -> Response:
        incident = _incident(request, incident_id)
        return Response({"results": s.deadline_data(deadline_rows(incident))})


class IncidentNotificationView(APIView):
    @extend_schema(
        request=s.NotificationCreateSerializer,
        responses={201: OpenApiTypes.OBJECT},
        summary="Record that a required notification was made",
    )
    def post(self, request: Request, incident_id: str) -> Response:
        incident = _incident(request, incident_id)
        body = s.NotificationCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        made = notifications.notification_record(actor=request_actor(request), incident=incident, **body.validated_data)
        return Response(
            {"kind": made.kind, "jurisdiction": made.jurisdiction or None, "notified_on": made.notified_on.isoformat()},
            status=201,
        )


class IncidentNoticeListView(generics.ListAPIView[Notice]):
    serializer_class = s.NoticeSerializer
    ordering = ("-created_at", "-id")

    def get_queryset(self) -> QuerySet[Notice]:
        return _incident(self.request, self.kwargs["incident_id"]).notices.all()

    @extend_schema(operation_id="incidents_notices_list", summary="Notice letters of the incident")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=s.NoticeCreateSerializer,
        responses={202: s.NoticeSerializer},
        summary="Render a notice letter (PDF) in the worker; poll or download it by its id",
    )
    def post(self, request: Request, incident_id: str) -> Response:
        incident = _incident(request, incident_id)
        body = s.NoticeCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        notice = notifications.notice_request(actor=request_actor(request), incident=incident, **body.validated_data)
        return Response(s.NoticeSerializer(notice).data, status=status.HTTP_202_ACCEPTED)


class IncidentNoticeDownloadView(APIView):
    @extend_schema(
        responses={
            (200, "application/pdf"): OpenApiTypes.BINARY,
            409: OpenApiResponse(description="the notice is not rendered yet"),
        },
        summary="Download a rendered notice (audited); 409 while it is not ready",
    )
    def get(self, request: Request, incident_id: str, notice_id: str) -> HttpResponse:
        incident = _incident(request, incident_id)
        notice = access_notice(incident=incident, notice_id=notice_id)
        try:
            content = notifications.notice_download(actor=request_actor(request), notice=notice)
        except notifications.NoticeNotReady as exc:
            raise NoticeNotReadyConflict(f"The notice is {exc}.") from None
        response = HttpResponse(content, content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{notice.filename}"'
        response["Cache-Control"] = "no-store"
        return response


class AlertListView(generics.ListAPIView[Alert]):
    serializer_class = s.AlertSerializer
    ordering = ("-created_at", "-id")

    def get_queryset(self) -> QuerySet[Alert]:
        return alert_list(
            actor=request_actor(self.request),
            rule=self.request.query_params.get("rule"),
            severity=self.request.query_params.get("severity"),
        )

    @extend_schema(
        parameters=[OpenApiParameter("rule", str, required=False), OpenApiParameter("severity", str, required=False)],
        summary="Detection alerts, newest first",
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class ThresholdsView(APIView):
    def _check(self, request: Request) -> None:
        services.authorize_incident(request_actor(request))

    @extend_schema(responses=s.ThresholdsSerializer, summary="The detection thresholds of your organisation")
    def get(self, request: Request) -> Response:
        self._check(request)
        return Response(s.ThresholdsSerializer(services.thresholds_for(request_actor(request).organization)).data)

    @extend_schema(request=s.ThresholdsSerializer, responses=s.ThresholdsSerializer, summary="Change thresholds")
    def patch(self, request: Request) -> Response:
        self._check(request)
        body = s.ThresholdsSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        updated = services.thresholds_update(actor=request_actor(request), values=body.validated_data)
        return Response(s.ThresholdsSerializer(updated).data)
