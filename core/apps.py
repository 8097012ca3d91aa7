"""App config for core: the shared plumbing, and the job runs the recovery sweep watches (core/recovery.py)."""

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core"
