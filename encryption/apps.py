"""App config for encryption: organisation keys, master key providers, encrypted fields and files; registers
re-encryption after a rotation with the recovery sweep (core/recovery.py)."""

from django.apps import AppConfig


class EncryptionConfig(AppConfig):
    name = "encryption"
    verbose_name = "Encryption"

    def ready(self) -> None:
        from accessctl.models import Organization
        from core.recovery import RecoverableJob, register_job
        from encryption import tasks

        def describe(organization_id: int) -> tuple[int | None, str]:
            public_id = Organization.objects.filter(pk=organization_id).values_list("public_id", flat=True).first()
            return (organization_id, str(public_id)) if public_id else (None, "")

        register_job(
            RecoverableJob(
                task=tasks.reencrypt_organization,
                is_open=lambda organization_id: Organization.objects.filter(pk=organization_id).exists(),
                fail=lambda organization_id, reason: None,  # the run is the rotation's row: it carries the reason
                describe=describe,
                noun="key rotation",
            )
        )
