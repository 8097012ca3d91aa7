"""App config for PHI scans."""

from django.apps import AppConfig


class ScansConfig(AppConfig):
    name = "scans"
    verbose_name = "PHI scans"
