"""Who receives what a deployment is sent: the business associate (45 CFR 160.103) its provider names.

- `local`: the llama.cpp runtime on the organisation's own machine — nobody else receives anything, so no
  business associate and no BAA (`None`). When PaiTIENT hosts the runtime (`PAITIENT_HOSTED_RUNTIME`), PaiTIENT.
- `aws`: Amazon Web Services (the instance runs in the client's AWS account).
- `external`: the endpoint's vendor, named by the endpoint's host (`api.vendor.example`).

The HIPAA gate asks for a BAA in force with exactly this associate; the checklist asks it per deployment."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from django.conf import settings

from deployments.models import Provider

if TYPE_CHECKING:
    from accessctl.models import Organization
    from deployments.models import Deployment

PAITIENT = "paitient"
AWS = "aws"
NAMED = {PAITIENT: "PaiTIENT (hosted runtime)", AWS: "Amazon Web Services"}
HOST = re.compile(r"^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$")
NO_ASSOCIATE = "none: the local runtime runs on your own machine, so no business associate receives PHI"


def external_vendor(endpoint_url: str) -> str:
    """The vendor of an external endpoint, as a BAA names it: the endpoint's host, lower-case."""
    return (urlsplit(endpoint_url).hostname or "").lower().rstrip(".")


def business_associate(deployment: Deployment) -> str | None:
    """The business associate that receives PHI sent to this deployment; None when nobody outside does."""
    if deployment.provider == Provider.LOCAL:
        return PAITIENT if settings.PAITIENT_HOSTED_RUNTIME else None
    if deployment.provider == Provider.AWS:
        return AWS
    return external_vendor(deployment.endpoint_url) or "external"


def normalize_associate(value: str) -> str | None:
    """A BAA's business associate as typed (`aws`, `paitient`, or a vendor's endpoint host); None if invalid."""
    key = value.strip().lower().rstrip(".")
    if key in NAMED or HOST.match(key):
        return key
    return None


def describe(associate: str | None) -> str:
    if associate is None:
        return NO_ASSOCIATE
    return NAMED.get(associate, f"the vendor at {associate}")


# Whether an organisation has a Business Associate Agreement in force with a named business associate:
# compliance (which builds on this app) registers it in its AppConfig.ready(). Until it has, nothing is covered
# (fail closed).
_baa_in_force: Callable[[Organization, str], bool] | None = None


def register_baa_check(check: Callable[[Organization, str], bool]) -> None:
    global _baa_in_force
    _baa_in_force = check


def baa_covers(organization: Organization, associate: str) -> bool:
    return _baa_in_force is not None and _baa_in_force(organization, associate)
