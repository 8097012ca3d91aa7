"""Console URLs of deployments."""

from django.urls import path

from deployments import playground, views

urlpatterns = [
    path("", views.deployments_page, name="deployments"),
    path("table", views.deployments_table, name="deployments-table"),
    path("new", views.deployment_new, name="deployment-new"),
    path("<str:deployment_id>/", views.deployment_detail, name="deployment-detail"),
    path("<str:deployment_id>/progress", views.deployment_progress, name="deployment-progress"),
    path("<str:deployment_id>/inferences", views.deployment_inferences, name="deployment-inferences"),
    path("<str:deployment_id>/stop", views.deployment_stop_view, name="deployment-stop"),
    path("<str:deployment_id>/playground", playground.deployment_playground, name="deployment-playground"),
    path(
        "<str:deployment_id>/playground/stream",
        playground.deployment_playground_stream,
        name="deployment-playground-stream",
    ),
]
