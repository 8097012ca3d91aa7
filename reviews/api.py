"""REST: `/api/v1/access-reviews` — list and start reviews (`access:review`), one review with its items, decide
an item keep or revoke, sign a review off; `/api/v1/access-reviews/schedule` (`settings:manage`). Another
organisation's review is a 404."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accessctl.permissions import request_actor, require
from accessctl.policy import organization_resource
from accessctl.tenancy import tenant_get
from core.api.serializers import StrictSerializer
from reviews.models import Cadence, Campaign, Decision, Item, ReviewSchedule
from reviews.selectors import campaign_items, campaign_list, next_due_on, schedule_for, with_counts
from reviews.services import (
    MAX_REVIEW_DAYS,
    PERMISSION,
    campaign_sign_off,
    campaign_start,
    item_decide,
    schedule_update,
)

CONFLICT = OpenApiResponse(description="the review is not open, already open, or has undecided items")


class ItemSerializer(serializers.ModelSerializer[Item]):
    id = serializers.CharField(source="public_id", read_only=True)
    user_id = serializers.CharField(source="subject.public_id", read_only=True)
    username = serializers.CharField(source="subject.username", read_only=True)
    decided_by = serializers.CharField(source="decided_by.public_id", read_only=True, allow_null=True, default=None)

    class Meta:
        model = Item
        fields = ["id", "user_id", "username", "kind", "grant_name", "key_prefix", "permissions", "granted_at",
                  "last_used_at", "decision", "decided_by", "decided_at", "comment", "revoked"]  # fmt: skip
        read_only_fields = fields


class CampaignSerializer(serializers.ModelSerializer[Campaign]):
    id = serializers.CharField(source="public_id", read_only=True)
    started_by = serializers.CharField(source="started_by.public_id", read_only=True, allow_null=True, default=None)
    signed_off_by = serializers.CharField(source="signed_off_by.public_id", read_only=True, allow_null=True,
                                          default=None)  # fmt: skip
    overdue = serializers.BooleanField(read_only=True)
    items_total = serializers.IntegerField(source="item_count", read_only=True)
    items_pending = serializers.IntegerField(source="pending_count", read_only=True)
    items_kept = serializers.IntegerField(source="kept_count", read_only=True)
    items_revoked = serializers.IntegerField(source="revoked_count", read_only=True)

    class Meta:
        model = Campaign
        fields = ["id", "name", "status", "overdue", "created_at", "started_by", "due_on", "completed_at",
                  "signed_off_by", "sign_off_note", "items_total", "items_pending", "items_kept",
                  "items_revoked"]  # fmt: skip
        read_only_fields = fields


class CampaignDetailSerializer(CampaignSerializer):
    items = serializers.SerializerMethodField()

    class Meta(CampaignSerializer.Meta):
        fields = [*CampaignSerializer.Meta.fields, "items"]
        read_only_fields = fields

    @extend_schema_field(ItemSerializer(many=True))
    def get_items(self, campaign: Campaign) -> Any:
        return ItemSerializer(campaign_items(campaign), many=True).data


class StartSerializer(StrictSerializer):
    name = serializers.CharField(max_length=120, required=False, allow_blank=True,
                                 help_text="default: “Access review of <today>”")  # fmt: skip


class DecisionSerializer(StrictSerializer):
    decision = serializers.ChoiceField(choices=[Decision.KEEP.value, Decision.REVOKE.value])
    comment = serializers.CharField(
        max_length=1000,
        required=False,
        allow_blank=True,
        help_text="required for revoke: why (kept in the review, not in the audit log)",
    )


class SignOffSerializer(StrictSerializer):
    note = serializers.CharField(max_length=1000, required=False, allow_blank=True)


class ScheduleSerializer(serializers.ModelSerializer[ReviewSchedule]):
    cadence_days = serializers.ChoiceField(choices=Cadence.choices, required=False)
    review_days = serializers.IntegerField(min_value=1, max_value=MAX_REVIEW_DAYS, required=False)
    reviewer_ids = serializers.SerializerMethodField()
    next_due_on = serializers.SerializerMethodField()

    class Meta:
        model = ReviewSchedule
        fields = ["cadence_days", "review_days", "auto_start", "reviewer_ids", "next_due_on", "updated_at"]
        read_only_fields = ["updated_at"]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_reviewer_ids(self, schedule: ReviewSchedule) -> list[str]:
        return sorted(schedule.reviewers.values_list("public_id", flat=True))

    @extend_schema_field(serializers.DateField())
    def get_next_due_on(self, schedule: ReviewSchedule) -> str:
        return next_due_on(schedule.organization, schedule).isoformat()


class ScheduleUpdateSerializer(StrictSerializer):
    cadence_days = serializers.ChoiceField(choices=Cadence.choices, required=False,
                                           help_text="30, 91 (quarterly, the default), 182 or 365")  # fmt: skip
    review_days = serializers.IntegerField(min_value=1, max_value=MAX_REVIEW_DAYS, required=False)
    auto_start = serializers.BooleanField(required=False)
    reviewer_ids = serializers.ListField(child=serializers.CharField(max_length=48), required=False, max_length=100,
                                         help_text="members holding access:review; empty: any of them")  # fmt: skip


def _campaign(request: Request, review_id: str) -> Campaign:
    actor = request_actor(request)
    require(actor, PERMISSION, organization_resource(actor))  # a 403 before a 404: ids are not probed
    return tenant_get(with_counts(Campaign.objects.select_related("started_by", "signed_off_by")), actor, review_id)


class CampaignListCreateView(generics.ListAPIView[Campaign]):
    serializer_class = CampaignSerializer
    ordering = ("-created_at", "-id")

    def get_queryset(self) -> QuerySet[Campaign]:
        actor = request_actor(self.request)
        require(actor, PERMISSION, organization_resource(actor))
        return campaign_list(actor=actor)

    @extend_schema(operation_id="access_reviews_list", summary="Access reviews of your organisation, newest first")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(request=StartSerializer, responses={201: CampaignDetailSerializer, 409: CONFLICT},
                   operation_id="access_reviews_start",
                   summary="Start a review: every active member's roles and live API keys become items")  # fmt: skip
    def post(self, request: Request) -> Response:
        actor = request_actor(request)
        require(actor, PERMISSION, organization_resource(actor))
        body = StartSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        started = campaign_start(actor=actor, organization=actor.organization, **body.validated_data)
        return Response(CampaignDetailSerializer(_campaign(request, started.public_id)).data,
                        status=status.HTTP_201_CREATED)  # fmt: skip


class CampaignDetailView(APIView):
    @extend_schema(responses=CampaignDetailSerializer, operation_id="access_reviews_retrieve",
                   summary="One access review with its items")  # fmt: skip
    def get(self, request: Request, review_id: str) -> Response:
        return Response(CampaignDetailSerializer(_campaign(request, review_id)).data)


class ItemDecisionView(APIView):
    @extend_schema(request=DecisionSerializer, responses={200: ItemSerializer, 409: CONFLICT},
                   operation_id="access_reviews_items_decide",
                   summary="Keep or revoke one item (never your own); a revoke takes effect at once")  # fmt: skip
    def post(self, request: Request, review_id: str, item_id: str) -> Response:
        campaign = _campaign(request, review_id)
        item = tenant_get(Item.objects.filter(campaign=campaign).select_related("subject", "campaign"),
                          request_actor(request), item_id)  # fmt: skip
        body = DecisionSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        decided = item_decide(actor=request_actor(request), item=item, **body.validated_data)
        return Response(ItemSerializer(decided).data)


class SignOffView(APIView):
    @extend_schema(request=SignOffSerializer, responses={200: CampaignDetailSerializer, 409: CONFLICT},
                   operation_id="access_reviews_sign_off",
                   summary="Complete a review whose every item is decided")  # fmt: skip
    def post(self, request: Request, review_id: str) -> Response:
        campaign = _campaign(request, review_id)
        body = SignOffSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        campaign_sign_off(actor=request_actor(request), campaign=campaign, **body.validated_data)
        return Response(CampaignDetailSerializer(_campaign(request, review_id)).data)


class ScheduleView(APIView):
    @extend_schema(responses=ScheduleSerializer, operation_id="access_reviews_schedule_retrieve",
                   summary="How often access is reviewed, and by whom")  # fmt: skip
    def get(self, request: Request) -> Response:
        actor = request_actor(request)
        require(actor, "settings:manage", organization_resource(actor))
        return Response(ScheduleSerializer(schedule_for(actor.organization)).data)

    @extend_schema(request=ScheduleUpdateSerializer, responses=ScheduleSerializer,
                   operation_id="access_reviews_schedule_update", summary="Change the review schedule")  # fmt: skip
    def patch(self, request: Request) -> Response:
        actor = request_actor(request)
        require(actor, "settings:manage", organization_resource(actor))
        body = ScheduleUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        updated = schedule_update(actor=actor, **body.validated_data)
        return Response(ScheduleSerializer(updated).data)
