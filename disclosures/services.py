"""Recording disclosures (called by the gateway and the scan worker inside their audit transaction) and
searching them by a patient's identifiers. Identifiers are hashed with the organisation's key at once: no
value is stored, logged, audited or handed to a task."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db import transaction

from accessctl.policy import authorize, organization_resource
from audit.services import record
from core.errors import FieldError
from deployments.associates import NAMED, business_associate
from disclosures.identifiers import (
    KINDS,
    Identifier,
    from_texts,
    name_dob,
    normalise_date,
    normalise_digits,
    normalise_email,
    normalise_name,
)
from disclosures.models import Disclosure, DisclosureIdentifier, DisclosureKind
from disclosures.writes import KEY_PURPOSE, digest, disclosure_insert
from encryption.services import hmac_key
from phi import Entity

if TYPE_CHECKING:
    from accessctl.actor import Actor
    from accessctl.models import Organization
    from deployments.models import Deployment
    from scans.models import PhiScan

# What reached the provider: `redact` and `deidentify` replace identifiers before the prompt leaves;
# `detect` (and `off`) send them as they are. (`reject` never reaches the provider.)
REDACTED_MODES = frozenset({"redact", "deidentify"})
MAX_RESULTS = 5000  # one patient's accounting; more than this is refused rather than cut silently
PERMISSION = "disclosure:read"
DIGITS_HINT = {
    "mrn": "Give the digits of the medical record number.",
    "ssn": "Give the 9 digits of the social security number.",
    "phone": "Give at least 7 digits of the phone number.",
}


def _key(organization: Organization) -> bytes:
    return hmac_key(organization, purpose=KEY_PURPOSE)


def _store(disclosure: Disclosure, identifiers: set[Identifier]) -> None:
    disclosure_insert(disclosure, identifiers)
    record(
        actor=None,
        organization=disclosure.organization,
        event_type="disclosure.recorded",
        resource=f"disclosure/{disclosure.public_id}",
        resource_id=disclosure.public_id,
        details={"kind": disclosure.kind, "reference": disclosure.reference, "identifiers": len(identifiers)},
    )


def recipient_of(deployment: Deployment) -> str:
    """The business associate the text went to, as a patient's accounting names it; empty when it stayed on the
    organisation's own machine (the local runtime), which is a use, not a disclosure (164.528(a)(1)(i))."""
    associate = business_associate(deployment)
    return "" if associate is None else NAMED.get(associate, associate)


def disclosure_record_inference(
    *, actor: Actor, deployment: Deployment, inference_id: str, mode: str, texts: Sequence[tuple[str, Sequence[Entity]]]
) -> Disclosure | None:
    """Index one inference's prompt: called by the gateway inside the transaction of its `model.inference`
    event, so both commit or neither does. Nothing is written when the prompt held no indexable identifier."""
    identifiers = from_texts(texts)
    if not identifiers:
        return None
    disclosure = Disclosure(
        organization=deployment.organization,
        kind=DisclosureKind.INFERENCE,
        reference=inference_id,
        deployment_id=deployment.public_id,
        deployment_name=deployment.name[:100],
        provider=deployment.provider,
        recipient=recipient_of(deployment),
        user=actor.user,
        user_id_label=actor.user.public_id if actor.user is not None else "",
        api_key_id=actor.api_key_id,
        mode=mode,
        redacted=mode in REDACTED_MODES,
        identifiers=len(identifiers),
    )
    _store(disclosure, identifiers)
    return disclosure


def disclosure_record_scan(*, scan: PhiScan, texts: Iterable[tuple[str, Sequence[Entity]]]) -> Disclosure | None:
    """Index a finished scan's documents (inside the transaction of its `phi_scan.finished` event). A scan
    sends nothing out: no recipient, `redacted` null."""
    identifiers = from_texts(texts)
    if not identifiers:
        return None
    disclosure = Disclosure(
        organization=scan.organization,
        kind=DisclosureKind.SCAN,
        reference=scan.public_id,
        user=scan.created_by,
        user_id_label=scan.created_by.public_id if scan.created_by is not None else "",
        mode="scan",
        redacted=None,
        identifiers=len(identifiers),
    )
    _store(disclosure, identifiers)
    return disclosure


@dataclass(frozen=True)
class DisclosureQuery:
    """A patient's identifiers as a compliance officer typed them; any subset, name only with date of birth."""

    name: str = ""
    date_of_birth: str = ""
    mrn: str = ""
    ssn: str = ""
    phone: str = ""
    email: str = ""

    def identifiers(self) -> list[Identifier]:
        """Normalised as the recorder normalises; raises FieldError naming the field (never echoing it)."""
        found: list[Identifier] = []
        if self.name.strip() or self.date_of_birth.strip():
            if not self.name.strip():
                raise FieldError("name", "Give the patient's name with the date of birth.")
            if not self.date_of_birth.strip():
                raise FieldError("date_of_birth", "Give the date of birth with the name.")
            name = normalise_name(self.name)
            if not name:
                raise FieldError("name", "Give the patient's name in letters.")
            dob = normalise_date(self.date_of_birth)
            if not dob:
                raise FieldError("date_of_birth", "Give a full date: YYYY-MM-DD or MM/DD/YYYY.")
            found.append(Identifier("name_dob", name_dob(name, dob)))
        for kind, minimum in (("mrn", 1), ("ssn", 9), ("phone", 7)):
            raw = getattr(self, kind).strip()
            if raw:
                digits = normalise_digits(raw, kind)
                if len(digits) < minimum or (kind == "ssn" and len(digits) != 9):
                    raise FieldError(kind, DIGITS_HINT[kind])
                found.append(Identifier(kind, digits))
        if self.email.strip():
            email = normalise_email(self.email)
            if "@" not in email.strip("@"):
                raise FieldError("email", "Give an e-mail address.")
            found.append(Identifier("email", email))
        if not found:
            raise FieldError("name", "Give at least one identifier: name and date of birth, MRN, SSN, phone or e-mail.")
        return found


@dataclass(frozen=True)
class DisclosureMatch:
    disclosure: Disclosure
    matched: tuple[str, ...]  # the kinds of identifier that matched (name_dob, mrn, ...)


@dataclass(frozen=True)
class DisclosureAccounting:
    searched_kinds: tuple[str, ...]
    matches: list[DisclosureMatch] = field(default_factory=list)


def disclosure_search(*, actor: Actor, query: DisclosureQuery, export: str = "") -> DisclosureAccounting:
    """Every inference and scan of the actor's organisation that involved any of the identifiers, newest
    first. Audited as `disclosure.searched` with the kinds searched and the count, never the values."""
    authorize(actor, PERMISSION, organization_resource(actor))  # outside the transaction: a refusal stays audited
    return _search(actor=actor, identifiers=query.identifiers(), export=export)


@transaction.atomic
def _search(*, actor: Actor, identifiers: list[Identifier], export: str) -> DisclosureAccounting:
    key = _key(actor.organization)
    by_digest = {digest(key, i): i.kind for i in identifiers}
    rows = DisclosureIdentifier.objects.filter(organization=actor.organization, digest__in=by_digest)
    matched: dict[int, set[str]] = {}
    for disclosure_id, found in rows.values_list("disclosure_id", "digest")[: MAX_RESULTS * len(KINDS) + 1]:
        matched.setdefault(disclosure_id, set()).add(by_digest[found])
    if len(matched) > MAX_RESULTS:
        raise FieldError("name", f"More than {MAX_RESULTS} disclosures match; give more specific identifiers.")
    disclosures = Disclosure.objects.filter(organization=actor.organization, pk__in=matched).select_related("user")
    matches = [
        DisclosureMatch(d, tuple(k for k in KINDS if k in matched[d.pk])) for d in disclosures.order_by("-created_at")
    ]
    kinds = tuple(k for k in KINDS if any(i.kind == k for i in identifiers))
    record(
        actor=actor,
        event_type="disclosure.searched",
        resource=organization_resource(actor),
        details={
            "identifier_kinds": list(kinds),
            "matches": len(matches),
            "inferences": sum(m.disclosure.kind == DisclosureKind.INFERENCE for m in matches),
            "scans": sum(m.disclosure.kind == DisclosureKind.SCAN for m in matches),
            **({"export": export} if export else {}),
        },
    )
    return DisclosureAccounting(searched_kinds=kinds, matches=matches)
