"""App config for deployments: registers provisioning and deprovisioning with the recovery sweep."""

from django.apps import AppConfig


class DeploymentsConfig(AppConfig):
    name = "deployments"
    verbose_name = "Deployments"

    def ready(self) -> None:
        from core.recovery import register_job, row_job
        from deployments import tasks
        from deployments.models import Deployment, State
        from deployments.services import deployment_abandon

        register_job(
            row_job(
                task=tasks.provision_deployment,
                model=Deployment,
                field="state",
                open_states=tasks.PROVISIONING_STATES,
                fail=deployment_abandon,
                noun="provisioning",
            )
        )
        register_job(row_job(task=tasks.deprovision_deployment, model=Deployment, field="state",
                             open_states=[State.STOPPING], fail=deployment_abandon, noun="deprovisioning"))  # fmt: skip
