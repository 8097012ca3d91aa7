"""App config for SCIM provisioning."""

from django.apps import AppConfig


class ScimConfig(AppConfig):
    name = "scim"
    verbose_name = "SCIM provisioning"

    def ready(self) -> None:
        from accessctl.extensions import register_offboarding_step
        from scim.tokens import revoke_tokens_of_offboarded

        register_offboarding_step(revoke_tokens_of_offboarded)
