"""Console URL of the playground's entry page (the playground itself is on each deployment's page)."""

from django.urls import path

from deployments import playground

urlpatterns = [path("", playground.playground_index, name="playground")]
