"""REST: `/api/v1/deployments` — create (the SDK's create_deployment), list, get (live progress), stop."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from accessctl.permissions import request_actor
from core.api.serializers import StrictSerializer
from deployments.models import Deployment
from deployments.selectors import access_deployment, deployment_rows, readable
from deployments.services import DeploymentSpec, deployment_create, deployment_stop


class DeploymentCreateSerializer(StrictSerializer):
    model_name = serializers.CharField(max_length=200)
    deployment_name = serializers.CharField(max_length=63)
    compute_type = serializers.ChoiceField(choices=["cpu", "gpu"], default="cpu")
    instance_type = serializers.CharField(max_length=40, required=False, default="", allow_blank=True)
    provider = serializers.CharField(max_length=16, required=False)
    security_settings = serializers.DictField(required=False, default=dict)
    vpc_config = serializers.DictField(required=False, default=dict)
    tags = serializers.DictField(child=serializers.CharField(max_length=256), required=False, default=dict)
    endpoint = serializers.DictField(
        child=serializers.CharField(max_length=500),
        required=False,
        default=dict,
        write_only=True,
        help_text="external provider: url, api_key (stored encrypted, never returned), model",
    )


class DeploymentSerializer(serializers.ModelSerializer[Deployment]):
    id = serializers.CharField(source="public_id", read_only=True)
    deployment_name = serializers.CharField(source="name", read_only=True)
    model_name = serializers.CharField(source="model.name", read_only=True)
    progress = serializers.SerializerMethodField()

    class Meta:
        model = Deployment
        fields = [
            "id", "deployment_name", "model_name", "provider", "compute_type", "instance_type", "security_settings",
            "vpc_config", "tags", "state", "progress", "failure_reason", "endpoint_url", "created_at", "updated_at",
        ]  # fmt: skip

    def get_progress(self, deployment: Deployment) -> dict[str, Any]:
        return {"percent": deployment.progress_percent, "stage": deployment.progress_stage}


class DeploymentListCreateView(generics.ListAPIView[Deployment]):
    serializer_class = DeploymentSerializer
    ordering = ("-created_at", "-id")

    def get_queryset(self) -> QuerySet[Deployment]:
        return deployment_rows(actor=request_actor(self.request))

    @extend_schema(operation_id="deployments_list", summary="Deployments you may read")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Pages of the organisation's deployments, each page keeping those the caller may read (a page may
        hold fewer than `page_size`; follow `next` until it is null)."""
        page = self.paginate_queryset(self.get_queryset())
        assert page is not None  # noqa: S101 - the configured pagination always pages
        shown = readable(request_actor(request), page)
        return self.get_paginated_response(self.get_serializer(shown, many=True).data)

    @extend_schema(request=DeploymentCreateSerializer, responses={201: DeploymentSerializer}, summary="Deploy a model")
    def post(self, request: Request) -> Response:
        body = DeploymentCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        deployment = deployment_create(actor=request_actor(request), spec=DeploymentSpec(**body.validated_data))
        return Response(DeploymentSerializer(deployment).data, status=status.HTTP_201_CREATED)


class DeploymentDetailView(APIView):
    def _get(self, request: Request, deployment_id: str, permission: str) -> Deployment:
        return access_deployment(actor=request_actor(request), deployment_id=deployment_id, permission=permission)

    @extend_schema(responses=DeploymentSerializer, summary="A deployment, with live provisioning progress")
    def get(self, request: Request, deployment_id: str) -> Response:
        return Response(DeploymentSerializer(self._get(request, deployment_id, "deployment:read")).data)

    @extend_schema(request=None, responses={202: DeploymentSerializer}, summary="Stop and remove a deployment")
    def delete(self, request: Request, deployment_id: str) -> Response:
        deployment = self._get(request, deployment_id, "deployment:delete")
        stopped = deployment_stop(actor=request_actor(request), deployment=deployment)
        return Response(DeploymentSerializer(stopped).data, status=status.HTTP_202_ACCEPTED)
