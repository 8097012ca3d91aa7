"""REST shapes of incidents, alerts, assessments, deadlines and notices (input serializers are strict)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from core.api.serializers import StrictSerializer
from incidents.assessment import FACTORS, IDENTIFIER_TYPES, REIDENTIFICATION
from incidents.models import (
    TRANSITIONS,
    Alert,
    Incident,
    Notice,
    NoticeKind,
    NotificationKind,
    RiskAssessment,
    Severity,
    Status,
)
from incidents.notifications import MAX_AFFECTED
from incidents.selectors import deadline_rows, latest_assessment
from incidents.services import THRESHOLD_LIMITS


class IncidentCreateSerializer(StrictSerializer):
    title = serializers.CharField(max_length=200, help_text="what happened, without PHI")
    severity = serializers.ChoiceField(choices=Severity.values, default=Severity.MEDIUM)
    discovered_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    owner_id = serializers.CharField(max_length=48, required=False, allow_null=True, default=None)


class IncidentUpdateSerializer(StrictSerializer):
    status = serializers.ChoiceField(choices=Status.values, required=False)
    severity = serializers.ChoiceField(choices=Severity.values, required=False)
    owner_id = serializers.CharField(max_length=48, required=False, allow_null=True, help_text="null clears it")


class NoteCreateSerializer(StrictSerializer):
    text = serializers.CharField(max_length=10_000, help_text="may hold PHI: stored encrypted, never audited")


class EventsAttachSerializer(StrictSerializer):
    event_ids = serializers.ListField(child=serializers.CharField(max_length=48), min_length=1, max_length=200)


class AssessmentCreateSerializer(StrictSerializer):
    nature_extent = serializers.ChoiceField(choices=FACTORS["nature_extent"].choices)
    identifier_types = serializers.ListField(
        child=serializers.ChoiceField(choices=list(IDENTIFIER_TYPES.items())), required=False, default=list
    )
    reidentification = serializers.ChoiceField(choices=[(v, label) for v, label, _ in REIDENTIFICATION], default="low")
    recipient = serializers.ChoiceField(choices=FACTORS["recipient"].choices)
    acquired = serializers.ChoiceField(choices=FACTORS["acquired"].choices)
    mitigation = serializers.ChoiceField(choices=FACTORS["mitigation"].choices)
    nature_extent_notes = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    recipient_notes = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    acquired_notes = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    mitigation_notes = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")
    affected_individuals = serializers.IntegerField(min_value=0, max_value=MAX_AFFECTED, default=0)
    affected_by_jurisdiction = serializers.DictField(
        child=serializers.IntegerField(min_value=0, max_value=MAX_AFFECTED),
        required=False,
        default=dict,
        help_text="two-letter state or territory code -> affected residents",
    )


class NoticeCreateSerializer(StrictSerializer):
    kind = serializers.ChoiceField(choices=NoticeKind.values)
    jurisdiction = serializers.CharField(max_length=2, required=False, allow_blank=True, default="")


class NotificationCreateSerializer(StrictSerializer):
    kind = serializers.ChoiceField(choices=NotificationKind.values)
    jurisdiction = serializers.CharField(max_length=2, required=False, allow_blank=True, default="")
    notified_on = serializers.DateField()


class ThresholdsSerializer(StrictSerializer):
    bulk_phi_count = serializers.IntegerField(required=False)
    bulk_phi_window_minutes = serializers.IntegerField(required=False)
    denial_count = serializers.IntegerField(required=False)
    denial_window_minutes = serializers.IntegerField(required=False)
    login_failure_count = serializers.IntegerField(required=False)
    login_window_minutes = serializers.IntegerField(required=False)

    def to_representation(self, instance: Any) -> dict[str, Any]:
        return {name: getattr(instance, name) for name in THRESHOLD_LIMITS}


class IncidentSerializer(serializers.ModelSerializer[Incident]):
    id = serializers.CharField(source="public_id", read_only=True)
    owner_id = serializers.SerializerMethodField()
    owner_username = serializers.SerializerMethodField()
    allowed_transitions = serializers.SerializerMethodField()

    class Meta:
        model = Incident
        fields = [
            "id",
            "title",
            "severity",
            "status",
            "allowed_transitions",
            "owner_id",
            "owner_username",
            "discovered_at",
            "source",
            "created_at",
            "updated_at",
        ]

    def get_owner_id(self, incident: Incident) -> str | None:
        return incident.owner.public_id if incident.owner else None

    def get_owner_username(self, incident: Incident) -> str | None:
        return incident.owner.username if incident.owner else None

    def get_allowed_transitions(self, incident: Incident) -> list[str]:
        return sorted(TRANSITIONS[incident.status])


class AssessmentSerializer(serializers.ModelSerializer[RiskAssessment]):
    id = serializers.CharField(source="public_id", read_only=True)
    notes = serializers.SerializerMethodField()

    class Meta:
        model = RiskAssessment
        fields = [
            "id",
            "version",
            "nature_extent",
            "identifier_types",
            "reidentification",
            "recipient",
            "acquired",
            "mitigation",
            "notes",
            "scores",
            "result",
            "reasoning",
            "affected_individuals",
            "affected_by_jurisdiction",
            "created_at",
        ]

    def get_notes(self, assessment: RiskAssessment) -> dict[str, str]:
        return {key: getattr(assessment, f"{key}_notes") or "" for key in FACTORS}


class AlertSerializer(serializers.ModelSerializer[Alert]):
    id = serializers.CharField(source="public_id", read_only=True)
    incident_id = serializers.SerializerMethodField()

    class Meta:
        model = Alert
        fields = [
            "id",
            "rule",
            "severity",
            "key",
            "window_start",
            "window_end",
            "first_seq",
            "last_seq",
            "event_count",
            "event_ids",
            "details",
            "incident_id",
            "created_at",
            "updated_at",
        ]

    def get_incident_id(self, alert: Alert) -> str | None:
        return alert.incident.public_id if alert.incident else None


class NoticeSerializer(serializers.ModelSerializer[Notice]):
    id = serializers.CharField(source="public_id", read_only=True)

    class Meta:
        model = Notice
        fields = ["id", "kind", "jurisdiction", "status", "error", "sha256", "size_bytes", "created_at", "finished_at"]


def deadline_data(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "kind": row["deadline"].kind,
            "jurisdiction": row["deadline"].jurisdiction or None,
            "due_date": row["deadline"].due_date.isoformat(),
            "audience": row["deadline"].audience,
            "citation": row["deadline"].citation,
            "days_left": row["days_left"],
            "overdue": row["overdue"],
            "notified_on": row["notified"].notified_on.isoformat() if row["notified"] else None,
        }
        for row in rows
    ]


def incident_detail_data(incident: Incident) -> dict[str, Any]:
    assessment = latest_assessment(incident)
    return {
        **IncidentSerializer(incident).data,
        "timeline": [
            {"event_id": e.event_id, "seq": e.seq, "event_type": e.event_type, "timestamp": e.timestamp.isoformat()}
            for e in incident.timeline.all()
        ],
        "notes": [
            {
                "id": n.public_id,
                "author": n.author.username if n.author else None,
                "text": n.text,
                "created_at": n.created_at.isoformat(),
            }
            for n in incident.notes.select_related("author")
        ],
        "alerts": list(incident.alerts.values_list("public_id", flat=True)),
        "assessment": AssessmentSerializer(assessment).data if assessment else None,
        "assessment_versions": incident.assessments.count(),
        "deadlines": deadline_data(deadline_rows(incident)),
        "notices": NoticeSerializer(incident.notices.all(), many=True).data,
    }
