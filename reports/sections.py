"""Report sections: a registry of name -> builder(organization, start, end) -> Section, each built from SQL
aggregates (reports/queries.py), and the built-in sections (PHI access, security and authentication events,
user activity, deployments). Apps above reports add theirs with `register` when they load (compliance adds
`baa` and `checklist`); a request may name only what is registered. Figures are counts, ids and types: never
PHI."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from django.db.models import Count, Max, Q

from accessctl.models import Membership, Organization
from audit.models import Outcome
from deployments.isolation import is_isolated
from deployments.models import Deployment, State
from reports import queries

TABLE_LIMIT = 50


@dataclass(frozen=True)
class Table:
    title: str
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]]
    total: int | None = None  # rows before the cut at TABLE_LIMIT; None when every row is shown

    @property
    def truncated(self) -> bool:
        return self.total is not None and self.total > len(self.rows)


@dataclass(frozen=True)
class Chart:
    title: str
    kind: str  # "daily": bars over time; "bars": horizontal bars by label
    points: list[tuple[str, int]]


@dataclass
class Section:
    key: str
    title: str
    description: str
    figures: list[tuple[str, int | str]]
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)

    def figure(self, label: str) -> int | str:
        return dict(self.figures)[label]


Builder = Callable[[Organization, datetime, datetime], Section]


ALL_REPORT_TYPES = ("hipaa", "soc2")


@dataclass(frozen=True)
class SectionSpec:
    name: str
    title: str
    builder: Builder
    report_types: tuple[str, ...] = ALL_REPORT_TYPES  # the types that include it when a request names none


REGISTRY: dict[str, SectionSpec] = {}
CORE_SECTIONS = ("phi_access", "security_events", "authentication_events", "user_activity", "deployments")


def register(name: str, title: str, report_types: tuple[str, ...] = ALL_REPORT_TYPES) -> Callable[[Builder], Builder]:
    """Add a section (another app's, say `checklist`); requests may then include it by name, and reports of
    `report_types` include it by default."""

    def decorate(builder: Builder) -> Builder:
        REGISTRY[name] = SectionSpec(name=name, title=title, builder=builder, report_types=report_types)
        return builder

    return decorate


def available() -> list[str]:
    return list(REGISTRY)


def defaults(report_type: str) -> list[str]:
    """The sections a report of this type has when the request names none: its own first (the SOC 2 criteria,
    the HIPAA checklist), then those every report shares."""
    chosen = [spec for spec in REGISTRY.values() if report_type in spec.report_types]
    return [spec.name for spec in sorted(chosen, key=lambda spec: len(spec.report_types) > 1)]


def build(name: str, organization: Organization, start: datetime, end: datetime) -> Section:
    return REGISTRY[name].builder(organization, start, end)


def _cut(title: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> Table:
    return Table(title, columns, rows[:TABLE_LIMIT], total=len(rows) if len(rows) > TABLE_LIMIT else None)


def _daily_chart(title: str, series: list[tuple[date, int]]) -> Chart:
    return Chart(title, "daily", [(day.isoformat(), count) for day, count in series])


def _who(user_id: str, names: dict[str, str]) -> str:
    if not user_id:
        return "unknown account"
    return f"{names[user_id]} ({user_id})" if user_id in names else user_id


def _recent(queryset: Any, names: dict[str, str], limit: int = TABLE_LIMIT) -> list[tuple[Any, ...]]:
    rows = queryset.order_by("-timestamp", "-id").values_list(
        "timestamp", "event_type", "outcome", "user_id", "api_key_id", "resource", "ip"
    )[:limit]
    return [
        (ts.strftime("%Y-%m-%d %H:%M:%S"), kind, outcome, _who(user, names) if user else api_key or "system",
         resource, ip or "")
        for ts, kind, outcome, user, api_key, resource, ip in rows
    ]  # fmt: skip


@register("phi_access", "PHI access")
def phi_access(organization: Organization, start: datetime, end: datetime) -> Section:
    """Inferences through the PHI gateway and the PHI the engine found (45 CFR 164.312(b) audit controls)."""
    scope = queries.events(organization, start, end).filter(event_type__in=["model.inference", "phi.detection"])
    daily = queries.per_day_by_type(scope)
    per_deployment = list(
        scope.values("resource_id", "resource")
        .annotate(
            inferences=Count("id", filter=Q(event_type="model.inference")),
            refused=Count("id", filter=Q(event_type="model.inference", outcome__in=[Outcome.DENIED, Outcome.ERROR])),
            detections=Count("id", filter=Q(event_type="phi.detection")),
        )
        .order_by("-inferences", "resource_id")
    )
    entity_counts = queries.phi_entity_counts(scope)
    inferences = sum(row["inferences"] for row in per_deployment)
    refused = sum(row["refused"] for row in per_deployment)
    detections = sum(row["detections"] for row in per_deployment)
    entity_rows = sorted(
        ((kind, parts["prompt"], parts["response"], parts["prompt"] + parts["response"])
         for kind, parts in entity_counts.items()),
        key=lambda row: (-row[3], row[0]),
    )  # fmt: skip
    entities = sum(row[3] for row in entity_rows)
    series = [(day, daily.get(day, {}).get("model.inference", 0)) for day in queries.days(start, end)]
    return Section(
        key="phi_access",
        title="PHI access",
        description="Prompts sent to models through the PHI gateway and the PHI entities the engine detected "
        "in prompts and answers (types and counts; values are never logged).",
        figures=[
            ("Model inferences", inferences),
            ("Inferences refused or failed", refused),
            ("PHI detection events", detections),
            ("PHI entities detected", entities),
            ("PHI entity types", len(entity_rows)),
            ("Deployments used", sum(1 for row in per_deployment if row["inferences"])),
        ],
        tables=[
            Table("PHI entities by type", ("Entity type", "In prompts", "In answers", "Total"), entity_rows),
            _cut(
                "Access by deployment",
                ("Deployment", "Resource", "Inferences", "Refused or failed", "PHI detections"),
                [
                    (r["resource_id"], r["resource"], r["inferences"], r["refused"], r["detections"])
                    for r in per_deployment
                ],
            ),
            Table(
                "Days with activity",  # the chart shows every day; the table only those with something to count
                ("Day (UTC)", "Inferences", "PHI detections"),
                [
                    (day.isoformat(), counts.get("model.inference", 0), counts.get("phi.detection", 0))
                    for day in queries.days(start, end)
                    if (counts := daily.get(day, {})) and (counts.get("model.inference") or counts.get("phi.detection"))
                ],
            ),
        ],
        charts=[
            _daily_chart("Model inferences per day", series),
            Chart("PHI entities detected by type", "bars", [(row[0], row[3]) for row in entity_rows]),
        ],
    )


SECURITY_Q = (
    Q(event_type__in=["access.denied", "settings.changed"])
    | Q(event_type__startswith="role.")
    | Q(event_type__startswith="api_key.")
    | Q(event_type__startswith="encryption.")
    | Q(outcome__in=[Outcome.DENIED, Outcome.ERROR])
)


@register("security_events", "Security events")
def security_events(organization: Organization, start: datetime, end: datetime) -> Section:
    """Refusals, errors and changes to who may do what (164.308(a)(1)(ii)(D) information system activity review)."""
    scope = queries.events(organization, start, end).filter(SECURITY_Q)
    kinds = queries.by_type_and_outcome(scope)

    def total(match: Callable[[str, str], bool]) -> int:
        return sum(n for kind, outcome, n in kinds if match(kind, outcome))

    denied_resources = list(
        scope.filter(outcome=Outcome.DENIED).values("resource").annotate(n=Count("id")).order_by("-n", "resource")
    )
    recent = scope.filter(outcome__in=[Outcome.DENIED, Outcome.ERROR])
    names = queries.usernames(list(recent.values_list("user_id", flat=True).distinct()[: TABLE_LIMIT * 2]))
    return Section(
        key="security_events",
        title="Security events",
        description="Access refusals, failed operations, and changes to settings, roles, API keys and encryption keys.",
        figures=[
            ("Security events", total(lambda k, o: True)),
            ("Access denied", total(lambda k, o: k == "access.denied")),
            ("Denied outcomes", total(lambda k, o: o == Outcome.DENIED)),
            ("Error outcomes", total(lambda k, o: o == Outcome.ERROR)),
            ("Settings changes", total(lambda k, o: k == "settings.changed")),
            ("Role changes", total(lambda k, o: k.startswith("role."))),
            ("API key events", total(lambda k, o: k.startswith("api_key."))),
            ("Encryption key events", total(lambda k, o: k.startswith("encryption."))),
        ],
        tables=[
            _cut("By event type and outcome", ("Event type", "Outcome", "Events"), [tuple(k) for k in kinds]),
            _cut(
                "Most refused resources",
                ("Resource", "Denied"),
                [(r["resource"] or "(none)", r["n"]) for r in denied_resources],
            ),
            Table(
                "Latest refusals and errors",
                ("Time (UTC)", "Event type", "Outcome", "Actor", "Resource", "IP"),
                _recent(recent, names),
            ),
        ],
        charts=[_daily_chart("Security events per day", queries.per_day(scope, start, end))],
    )


@register("authentication_events", "Authentication events")
def authentication_events(organization: Organization, start: datetime, end: datetime) -> Section:
    """Sign-ins, failures, lockouts, MFA and sessions (164.308(a)(5)(ii)(C) log-in monitoring)."""
    scope = queries.events(organization, start, end).filter(event_type__startswith="auth.")
    by_type: dict[str, int] = {}
    for kind, _, n in queries.by_type_and_outcome(scope):
        by_type[kind] = by_type.get(kind, 0) + n
    failed = list(
        scope.filter(event_type="auth.login.failed")
        .values("user_id")
        .annotate(n=Count("id"), last=Max("timestamp"))
        .order_by("-n", "user_id")
    )
    lockouts = scope.filter(event_type="auth.lockout")
    names = queries.usernames([row["user_id"] for row in failed[:TABLE_LIMIT]] + list(
        lockouts.values_list("user_id", flat=True).distinct()[:TABLE_LIMIT]))  # fmt: skip
    mfa = {kind: n for kind, n in by_type.items() if kind.startswith("auth.mfa.")}
    return Section(
        key="authentication_events",
        title="Authentication events",
        description="Console sign-ins and their failures, account lockouts, multi-factor authentication, "
        "API key authentication failures and session ends.",
        figures=[
            ("Authentication events", sum(by_type.values())),
            ("Successful sign-ins", by_type.get("auth.login.succeeded", 0)),
            ("Failed sign-ins", by_type.get("auth.login.failed", 0)),
            ("Lockouts", by_type.get("auth.lockout", 0)),
            ("MFA events", sum(mfa.values())),
            ("MFA failures", mfa.get("auth.mfa.failed", 0) + mfa.get("auth.mfa.enrolment_failed", 0)),
            ("Failed API key authentications", by_type.get("auth.api_key.failed", 0)),
        ],
        tables=[
            Table("By event type", ("Event type", "Events"), sorted(by_type.items())),
            _cut(
                "Failed sign-ins by account",
                ("Account", "Failures", "Last failure (UTC)"),
                [(_who(r["user_id"], names), r["n"], r["last"].strftime("%Y-%m-%d %H:%M:%S")) for r in failed],
            ),
            Table(
                "Lockouts",
                ("Time (UTC)", "Event type", "Outcome", "Account", "Resource", "IP"),
                _recent(lockouts, names),
            ),
            Table("MFA events", ("Event type", "Events"), sorted(mfa.items())),
        ],
        charts=[
            _daily_chart(
                "Failed sign-ins per day",
                queries.per_day(scope.filter(event_type="auth.login.failed"), start, end),
            )
        ],
    )


@register("user_activity", "User activity")
def user_activity(organization: Organization, start: datetime, end: datetime) -> Section:
    """Who did how much and when they were last seen; members with no activity (access review input)."""
    scope = queries.events(organization, start, end)
    groups = (
        scope.values("user_id", "actor_type")
        .annotate(n=Count("id"), last=Max("timestamp"), denied=Count("id", filter=Q(outcome=Outcome.DENIED)))
        .order_by()
    )
    by_actor: Counter[str] = Counter()
    users: dict[str, dict[str, Any]] = {}
    for row in groups:
        by_actor[row["actor_type"]] += row["n"]
        if not row["user_id"]:
            continue
        entry = users.setdefault(row["user_id"], {"n": 0, "api": 0, "denied": 0, "last": row["last"]})
        entry["n"] += row["n"]
        entry["denied"] += row["denied"]
        entry["api"] += row["n"] if row["actor_type"] == "api_key" else 0
        entry["last"] = max(entry["last"], row["last"])
    ranked = sorted(users.items(), key=lambda item: (-item[1]["n"], item[0]))
    members = dict(
        Membership.objects.filter(organization=organization, is_active=True).values_list(
            "user__public_id", "user__username"
        )
    )
    names = {**members, **queries.usernames([user_id for user_id, _ in ranked[:TABLE_LIMIT]])}
    idle = sorted((name, public_id) for public_id, name in members.items() if public_id not in users)
    return Section(
        key="user_activity",
        title="User activity",
        description="Events per user in the period (console and API keys), when each was last seen, and "
        "members who did nothing in the period.",
        figures=[
            ("Active users", len(users)),
            ("Events by users", sum(entry["n"] for entry in users.values())),
            ("Events through API keys", by_actor.get("api_key", 0)),
            ("System events", by_actor.get("system", 0)),
            ("Anonymous events", by_actor.get("anonymous", 0)),
            ("Members without activity", len(idle)),
        ],
        tables=[
            _cut(
                "Events per user",
                ("User", "Events", "Through API keys", "Denied", "Last seen (UTC)"),
                [
                    (_who(user_id, names), e["n"], e["api"], e["denied"], e["last"].strftime("%Y-%m-%d %H:%M:%S"))
                    for user_id, e in ranked
                ],
            ),
            _cut("Members without activity", ("User", "User id"), idle),
        ],
        charts=[Chart("Events per user (top 15)", "bars", [(_who(u, names), e["n"]) for u, e in ranked[:15]])],
    )


@register("deployments", "Deployments")
def deployments(organization: Organization, start: datetime, end: datetime) -> Section:
    """Deployment changes in the period and every live deployment's security settings (164.312(a), (e))."""

    scope = queries.events(organization, start, end).filter(event_type__startswith="deployment.")
    by_type: dict[str, int] = {}
    for kind, _, n in queries.by_type_and_outcome(scope):
        by_type[kind] = by_type.get(kind, 0) + n
    live = list(
        Deployment.objects.filter(organization=organization)
        .exclude(state=State.STOPPED)
        .select_related("model")
        .order_by("name")
    )

    def setting(deployment: Deployment, name: str) -> Any:
        return (deployment.security_settings or {}).get(name)

    return Section(
        key="deployments",
        title="Deployments",
        description="Changes to model deployments in the period, and the security settings of every "
        "deployment that is not stopped.",
        figures=[
            ("Deployment events", sum(by_type.values())),
            ("Live deployments", len(live)),
            ("With network isolation", sum(1 for d in live if is_isolated(d))),  # derived, as the gate does
            ("With private endpoints", sum(1 for d in live if setting(d, "private_endpoints") is True)),
            ("With maximum encryption", sum(1 for d in live if setting(d, "encryption_level") == "maximum")),
        ],
        tables=[
            Table("Deployment events by type", ("Event type", "Events"), sorted(by_type.items())),
            _cut(
                "Live deployments",
                (
                    "Deployment",
                    "Id",
                    "Model",
                    "Provider",
                    "State",
                    "Network isolation",
                    "Private endpoints",
                    "Encryption",
                ),
                [
                    (
                        d.name,
                        d.public_id,
                        d.model.name,
                        d.provider,
                        d.state,
                        "yes" if is_isolated(d) else "no",
                        "yes" if setting(d, "private_endpoints") else "no",
                        setting(d, "encryption_level") or "",
                    )
                    for d in live
                ],
            ),
        ],
    )
