"""Console forms for deployments: the create form (turned into a DeploymentSpec) and the playground."""

from __future__ import annotations

from typing import Any

from django import forms

from deployments.gateway import MAX_PROMPT_CHARS, MAX_TOKENS_LIMIT, STRENGTH
from deployments.models import CatalogModel, Deployment, Provider
from deployments.services import DEPLOYMENT_NAME, INSTANCE_TYPE, SECURITY_GROUP_ID, SUBNET_ID, DeploymentSpec
from phi.types import normalize_mode

# A service error's dotted field → the form field that shows it.
FIELD_FOR_ERROR = {
    "vpc_config": "subnet_ids",
    "vpc_config.subnet_ids": "subnet_ids",
    "vpc_config.security_group_ids": "security_group_ids",
    "endpoint": "endpoint_url",
    "endpoint.url": "endpoint_url",
    "endpoint.api_key": "api_key",
    "endpoint.model": "remote_model",
    "security_settings.network_isolation": "provider",  # derived from the provider and its settings
    "security_settings.private_endpoints": "private_endpoints",
    "security_settings.encryption_level": "encryption_level",
    "security_settings.phi_handling": "phi_handling",
    "security_settings.phi_detection": "phi_handling",
    "tags.": "tags",
    "vpc_config.": "subnet_ids",
}


def _ids(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


class DeploymentForm(forms.Form):
    deployment_name = forms.CharField(
        max_length=63, label="Deployment name", help_text="lower-case letters, digits and inner hyphens"
    )
    model_name = forms.ChoiceField(label="Model")
    provider = forms.ChoiceField(choices=Provider.choices, initial=Provider.LOCAL, label="Provider")
    compute_type = forms.ChoiceField(choices=[("cpu", "CPU"), ("gpu", "GPU")], initial="cpu", label="Compute type")
    instance_type = forms.CharField(
        required=False, max_length=40, label="Instance type", help_text="AWS only, e.g. g4dn.xlarge"
    )
    private_endpoints = forms.BooleanField(required=False, label="Private endpoints (AWS)")
    encryption_level = forms.ChoiceField(
        choices=[("maximum", "maximum"), ("standard", "standard")], initial="maximum", label="Encryption level"
    )
    tags = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Tags",
        help_text="one key=value a line",
    )
    subnet_ids = forms.CharField(required=False, label="Subnet ids", help_text="AWS: comma separated, subnet-…")
    security_group_ids = forms.CharField(
        required=False, label="Security group ids", help_text="AWS: comma separated, sg-…"
    )
    endpoint_url = forms.CharField(
        required=False, max_length=300, label="Endpoint URL", help_text="external: https://…/v1"
    )
    api_key = forms.CharField(
        required=False,
        max_length=500,
        label="Endpoint API key",
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        help_text="external: sealed at rest, never shown again",
    )
    remote_model = forms.CharField(
        required=False, max_length=500, label="Remote model name", help_text="external: the endpoint's model name"
    )

    AWS_FIELDS = ("subnet_ids", "security_group_ids")
    EXTERNAL_FIELDS = ("endpoint_url", "api_key", "remote_model")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_field = self.fields["model_name"]
        assert isinstance(model_field, forms.ChoiceField)  # noqa: S101 - declared above
        model_field.choices = [
            (model.name, f"{model.name} ({', '.join(sorted(model.providers))})")
            for model in CatalogModel.objects.order_by("name")
        ]

    def clean(self) -> dict[str, Any]:
        """Every mistake the form can see, at once (the service then checks what needs the database or the
        cloud); the settings of another provider are ignored, never refused."""
        data = super().clean() or {}
        name = (data.get("deployment_name") or "").strip()
        if name and not DEPLOYMENT_NAME.fullmatch(name):
            self.add_error("deployment_name", "Use 1-63 lower-case letters, digits and inner hyphens.")
        provider = data.get("provider")
        if provider == Provider.AWS:
            if not INSTANCE_TYPE.match((data.get("instance_type") or "").strip()):
                self.add_error("instance_type", "Give an EC2 instance type, e.g. g4dn.xlarge.")
            subnets = _ids(data.get("subnet_ids") or "")
            if not subnets or not all(SUBNET_ID.match(s) for s in subnets):
                self.add_error("subnet_ids", "Give one or more subnet ids (subnet-…) of your VPC.")
            groups = _ids(data.get("security_group_ids") or "")
            if not groups or not all(SECURITY_GROUP_ID.match(g) for g in groups):
                self.add_error("security_group_ids", "Give one or more security group ids (sg-…).")
        if provider == Provider.EXTERNAL:
            url = (data.get("endpoint_url") or "").strip()
            if not url.startswith(("https://", "http://")):
                self.add_error("endpoint_url", "Give the endpoint's base URL, https://…/v1.")
        return data

    def clean_tags(self) -> dict[str, str]:
        tags: dict[str, str] = {}
        for number, line in enumerate(self.cleaned_data["tags"].splitlines(), start=1):
            if not line.strip():
                continue
            key, sep, value = line.partition("=")
            if not sep or not key.strip():
                raise forms.ValidationError(f"Line {number}: write key=value.")
            tags[key.strip()] = value.strip()
        return tags

    def spec(self) -> DeploymentSpec:
        """The service's input; AWS and external settings count only for their provider."""
        data = self.cleaned_data
        provider = data["provider"]
        security: dict[str, Any] = {"encryption_level": data["encryption_level"]}
        # Network isolation is derived by the server from the provider and its settings, never ticked.
        if data["private_endpoints"]:
            security["private_endpoints"] = True
        vpc: dict[str, Any] = {}
        if provider == Provider.AWS:
            vpc = {"subnet_ids": _ids(data["subnet_ids"]), "security_group_ids": _ids(data["security_group_ids"])}
        endpoint: dict[str, str] = {}
        if provider == Provider.EXTERNAL:
            endpoint = {"url": data["endpoint_url"].strip()}
            if data["api_key"]:
                endpoint["api_key"] = data["api_key"]
            if data["remote_model"].strip():
                endpoint["model"] = data["remote_model"].strip()
        return DeploymentSpec(
            deployment_name=data["deployment_name"].strip(),
            model_name=data["model_name"],
            compute_type=data["compute_type"],
            instance_type=data["instance_type"].strip(),
            provider=provider,
            security_settings=security,
            vpc_config=vpc,
            tags=data["tags"],
            endpoint=endpoint,
        )


class UnechoedTextarea(forms.Textarea):
    """A textarea that never writes its value back into the page: the prompt may hold PHI."""

    def format_value(self, value: Any) -> str | None:
        return None


# The four PHI modes in plain words, next to the choice (the playground's radio buttons).
PHI_MODES: tuple[tuple[str, str, str], ...] = (
    (
        "detect",
        "Detect only",
        "PHI is found and counted, but the prompt reaches the model unchanged, identifiers included. Only for a model "
        "you are allowed to show patient data to.",
    ),
    (
        "redact",
        "Redact",
        "Each identifier is replaced by a label such as [REDACTED NAME] before the model sees the prompt; identifiers "
        "in the answer are replaced the same way.",
    ),
    (
        "de-identify",
        "De-identify",
        "Identifiers are replaced by realistic stand-ins (another name, dates shifted by the same number of days), so "
        "the model reads natural text without the real values; the answer shows the stand-ins.",
    ),
    (
        "reject",
        "Reject",
        "A prompt that contains any PHI is refused and nothing is sent to the model; identifiers in an answer are "
        "redacted.",
    ),
)


class PlaygroundForm(forms.Form):
    """One prompt for the playground. Only the PHI modes at least as strong as the deployment's are offered."""

    prompt = forms.CharField(
        max_length=MAX_PROMPT_CHARS,
        strip=False,
        label="Prompt",
        widget=UnechoedTextarea(attrs={"rows": 5, "autocomplete": "off", "spellcheck": "false"}),
    )
    phi_handling = forms.ChoiceField(
        choices=[(value, label) for value, label, _help in PHI_MODES],
        initial="redact",
        label="PHI handling",
        widget=forms.RadioSelect,
    )
    max_tokens = forms.IntegerField(min_value=1, max_value=MAX_TOKENS_LIMIT, initial=128, label="Max tokens")
    temperature = forms.FloatField(min_value=0.0, max_value=2.0, initial=0.7, label="Temperature")

    def __init__(self, *args: Any, floor: str = "detect", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.floor = floor if floor in STRENGTH else "detect"
        offered = [(v, label) for v, label, _help in PHI_MODES if STRENGTH[normalize_mode(v)] >= STRENGTH[self.floor]]
        field = self.fields["phi_handling"]
        if not isinstance(field, forms.ChoiceField):  # pragma: no cover - declared above
            raise TypeError("phi_handling is a choice")
        field.choices = offered
        field.initial = {"deidentify": "de-identify", "reject": "reject"}.get(floor, "redact")

    @classmethod
    def for_deployment(cls, deployment: Deployment, data: Any = None) -> PlaygroundForm:
        """The form for one deployment: its own PHI mode is the weakest offered (the gateway refuses weaker)."""
        return cls(data, floor=str(deployment.security_settings.get("phi_handling", "detect")))

    @property
    def withheld_modes(self) -> list[str]:
        """The modes this deployment does not allow (weaker than its own), named for a note under the choice."""
        return [label for v, label, _help in PHI_MODES if STRENGTH[normalize_mode(v)] < STRENGTH[self.floor]]

    def mode_options(self) -> list[dict[str, Any]]:
        """The offered modes with their explanation and whether each is the chosen one."""
        chosen = self["phi_handling"].value()
        offered = {v for v, _label in self.fields["phi_handling"].choices}  # type: ignore[attr-defined]
        return [
            {"value": v, "label": label, "help": help_text, "checked": v == chosen, "id": f"phi-mode-{v}"}
            for v, label, help_text in PHI_MODES
            if v in offered
        ]
