"""Compliance report benchmark: a full HIPAA PDF report over 1,000,000 audit events of one organisation.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/paitient .venv/bin/python bench/report_bench.py [--events N]

Runs in a throw-away database (test_<name>), created and dropped here. Loads the events with COPY as a valid,
sequenced chain (realistic mix: inferences, PHI detections with entity counts, sign-ins, refusals, changes over
30 days), then renders the report in this process exactly as the worker does (every section, the audit chain
verified end to end, a signed checkpoint, WeasyPrint, encryption). Prints each phase next to a baseline
measured in the same run: the bare `COUNT(*)` of the period's events. Target (issue 9): <= 30 s.
"""

from __future__ import annotations

import argparse
import base64
import os
import random
import secrets
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("SECRET_KEY", "bench-" + secrets.token_urlsafe(32))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("PAITIENT_MASTER_KEY", base64.b64encode(secrets.token_bytes(32)).decode())
os.environ.setdefault("PAITIENT_VAR_DIR", tempfile.mkdtemp(prefix="report-bench-"))

import django

django.setup()

from django.db import connection  # noqa: E402

PHI_TYPES = ["NAME", "DATE", "PHONE", "MRN", "ADDRESS", "EMAIL", "SSN", "AGE"]
MIX = [
    ("model.inference", 400), ("phi.detection", 350), ("auth.login.succeeded", 50), ("auth.login.failed", 40),
    ("auth.lockout", 5), ("auth.mfa.succeeded", 20), ("auth.mfa.failed", 5), ("auth.api_key.failed", 5),
    ("access.denied", 20), ("settings.changed", 5), ("role.assigned", 5), ("api_key.created", 5),
    ("encryption.key.rotated", 2), ("deployment.created", 3), ("deployment.stop_requested", 2),
    ("audit.exported", 10), ("phi_scan.finished", 10),
]  # fmt: skip
DENIED = {"access.denied", "auth.login.failed", "auth.lockout", "auth.mfa.failed", "auth.api_key.failed"}
COLUMNS = (
    "event_id, organization_id, chain, seq, timestamp, actor_type, actor_id, user_id, api_key_id, ip, "
    "user_agent, request_id, event_type, resource, resource_id, outcome, details, leaf_hash, prev_hash, hash"
)


def load_events(organization_id: int, chain: str, count: int, users: list[str], end: datetime) -> None:
    """COPY `count` sequenced events into the chain, timestamps over the 30 days before `end`, in seq order."""
    from audit import canonical
    from audit.merkle import CompactRange
    from audit.models import ChainHead
    from audit.services import canonical_timestamp

    rng = random.Random(9)
    kinds, weights = [k for k, _ in MIX], [w for _, w in MIX]
    start = end - timedelta(days=30)
    step = (end - start) / count
    previous, frontier = canonical.GENESIS_HASH, CompactRange()
    with (
        connection.cursor() as cursor,
        cursor.connection.cursor().copy(f"COPY audit_auditevent ({COLUMNS}) FROM STDIN") as copy,
    ):
        for seq in range(1, count + 1):
            kind = rng.choices(kinds, weights)[0]
            roll = rng.random()
            actor_type = "api_key" if roll < 0.15 else "system" if roll < 0.2 else "user"
            user_id = "" if actor_type == "system" else rng.choice(users)
            api_key_id = f"key_bench{rng.randint(1, 9)}" if actor_type == "api_key" else ""
            if kind == "model.inference":
                outcome = "denied" if roll > 0.95 else "error" if roll > 0.92 else "success"
            else:
                outcome = "denied" if kind in DENIED else "success"
            deployment = rng.randint(0, 5)
            on_deployment = kind.startswith(("model.", "phi.", "deployment."))
            if kind == "phi.detection":
                details = {
                    "inference_id": f"inf_{seq:012d}", "mode": "redact", "prompt_chars": rng.randint(20, 4000),
                    "prompt": {t: rng.randint(1, 3) for t in rng.sample(PHI_TYPES, rng.randint(0, 3))},
                    "response": dict.fromkeys(rng.sample(PHI_TYPES, rng.randint(0, 1)), 1),
                }  # fmt: skip
            elif kind == "model.inference":
                details = {"inference_id": f"inf_{seq:012d}", "total_tokens": rng.randint(10, 900)}
            else:
                details = {"i": seq}
            timestamp = start + step * seq
            content = {
                "id": f"evt_bench{seq:012d}", "chain": chain, "timestamp": canonical_timestamp(timestamp),
                "actor_type": actor_type, "actor_id": api_key_id or user_id or "system", "user_id": user_id,
                "api_key_id": api_key_id, "ip": f"10.1.{seq % 7}.{seq % 251 + 1}", "user_agent": "bench",
                "request_id": f"req{seq:012d}", "event_type": kind,
                "resource": f"deployment/clinical-{deployment}" if on_deployment else "organization/bench-health",
                "resource_id": f"dep_bench{deployment:05d}" if on_deployment else "", "outcome": outcome,
                "details": canonical.encode_details(details),
            }  # fmt: skip
            leaf = canonical.leaf_hash(content)
            prev_hex = previous.hex()
            previous = canonical.chain_hash(previous, leaf)
            frontier.append(leaf)
            copy.write_row(
                (content["id"], organization_id, chain, seq, timestamp, actor_type, content["actor_id"], user_id,
                 api_key_id, content["ip"], "bench", content["request_id"], kind, content["resource"],
                 content["resource_id"], outcome, content["details"], leaf.hex(), prev_hex, previous.hex())
            )  # fmt: skip
    ChainHead.objects.update_or_create(
        chain=chain,
        defaults={"organization_id": organization_id, "size": count, "head_hash": previous.hex(),
                  "frontier": frontier.to_json()},
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        print("note: DATABASE_URL is not PostgreSQL; the issue's target is for PostgreSQL", file=sys.stderr)
    creation = connection.creation
    test_name = creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        run(args.events, test_name)
    finally:
        connection.close()
        creation.destroy_test_db(test_name, verbosity=0)


def run(events: int, test_name: str) -> None:
    from accessctl.services import organization_get_or_create, user_create
    from reports import queries, sections
    from reports.evidence import chain_evidence
    from reports.models import ComplianceReport, OutputFormat, ReportStatus, TimePeriod
    from reports.render import collect, render_pdf
    from reports.services import report_render

    organization, _ = organization_get_or_create(name="Bench Health")
    users = [
        user_create(organization=organization, username=f"clinician{i}", email=f"c{i}@example.org", password=None)
        for i in range(40)
    ]
    print(f"database: {connection.vendor}, {os.cpu_count()} cores, db {test_name}")
    end = datetime.now(UTC) - timedelta(minutes=1)
    started = time.perf_counter()
    load_events(organization.pk, organization.public_id, events, [u.public_id for u in users], end)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE audit_auditevent")
    print(f"set-up: {events:,} events loaded with COPY as a valid chain in {time.perf_counter() - started:.1f} s")

    report = ComplianceReport.objects.create(
        organization=organization, requested_by=users[0], time_period=TimePeriod.LAST_30_DAYS,
        period_start=end - timedelta(days=30, minutes=1), period_end=end + timedelta(seconds=1),
        sections=list(sections.CORE_SECTIONS), output_format=OutputFormat.PDF,
    )  # fmt: skip
    scope = queries.events(organization, report.period_start, report.period_end)
    started = time.perf_counter()
    counted = scope.count()
    count_s = time.perf_counter() - started
    assert counted == events, (counted, events)

    started = time.perf_counter()
    for name in sections.CORE_SECTIONS:
        sections.build(name, organization, report.period_start, report.period_end)
    sections_s = time.perf_counter() - started
    started = time.perf_counter()
    evidence = chain_evidence(organization)
    verify_s = time.perf_counter() - started
    assert evidence.ok, evidence.result
    document = collect(report)
    started = time.perf_counter()
    render_pdf(document)
    pdf_s = time.perf_counter() - started

    started = time.perf_counter()
    rendered = report_render(report.pk)
    total_s = time.perf_counter() - started
    assert rendered is not None and rendered.status == ReportStatus.READY, rendered.error if rendered else None
    pdf = bytes(ComplianceReport.objects.get(pk=report.pk).content)
    assert pdf.startswith(b"%PDF-")

    rows = [
        ("baseline: COUNT(*) of the period's events", count_s, f"{counted:,} events"),
        ("five sections (SQL aggregates)", sections_s, f"{sections_s / count_s:.1f}x the count"),
        ("appendix: verify chain + checkpoint", verify_s, f"{evidence.events:,} events, {evidence.result[:2]}"),
        ("WeasyPrint: HTML + SVG charts to PDF", pdf_s, f"{len(pdf):,} bytes"),
        ("full PDF report (worker path, end to end)", total_s,
         f"{total_s / count_s:.1f}x the count; {events / total_s:,.0f} events/s; target <= 30 s"),
    ]  # fmt: skip
    for label, seconds, note in rows:
        print(f"{label:<43}: {seconds:6.2f} s  ({note})")
    print(f"output: sha256 {rendered.sha256[:16]}…, stored encrypted; {'PASS' if total_s <= 30 else 'OVER'} the target")


if __name__ == "__main__":
    main()
