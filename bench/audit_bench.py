"""Audit log benchmark: append throughput with 8 concurrent writers, and verification of 1,000,000 events.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/paitient .venv/bin/python bench/audit_bench.py [--events N]

Runs in a throw-away database (test_<name>), created and dropped here. Prints each figure next to a
baseline measured in the same run: for append, plain single-row INSERTs of the same row into a table of the
same shape (and, as issue 4's reference, of a tiny row); for verify, fetching the rows alone. Then the
sequencing lag while appending at 80 % of the baseline rate with the sequencer running on its schedule.
Targets (issue 23): append >= 0.8x the baseline, lag p99 <= 2 s; verify 1,000,000 events in <= 10 s.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("SECRET_KEY", "bench-" + secrets.token_urlsafe(32))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import django

django.setup()

from django.db import connection  # noqa: E402

WRITERS = 8
SEQUENCER_INTERVAL_S = 1.0  # the beat schedule of audit.tasks.sequence_pending (portal/celery.py)
RATE_SHARE = 0.8  # the lag figure: appends paced at this share of the same-row baseline

PLAIN_TABLES = {
    # The baseline: the same row into a table of the same shape (columns and indexes), no trigger.
    "same-row": "CREATE TABLE bench_plain (LIKE audit_auditevent INCLUDING ALL)",
    # Issue 4's reference: a one-column row into a table with only a primary key.
    "tiny-row": "CREATE TABLE bench_tiny (id bigserial primary key, payload jsonb)",
}


def _plain_row(org_id: int, chain: str) -> list[Any]:
    """What audit.record writes for the bench's event, as literal values (event id and timestamp vary per row)."""
    return [None, org_id, chain, None, "user", "user_bench", "user_bench", "", "10.0.0.1", "bench",
            "req_bench", "model.inference", "deployment/bench", "", "success", '{"i":0}', "0" * 64, "", ""]  # fmt: skip


def _writer(kind: str, count: int, org_id: int, user_id: int, rate: float,
            barrier: multiprocessing.synchronize.Barrier, index: int) -> None:  # fmt: skip
    from django.db import connection as conn
    from django.utils import timezone

    from accessctl.actor import Actor
    from accessctl.models import Organization, User
    from audit.services import _INSERT_COLUMNS, record
    from core.ids import new_ordered_id

    conn.close()
    organization = Organization.objects.get(pk=org_id)
    actor = Actor(organization=organization, user=User.objects.get(pk=user_id), ip="10.0.0.1", user_agent="bench",
                  request_id="req_bench")  # fmt: skip
    row = _plain_row(org_id, organization.public_id)
    same_row_sql = (f"INSERT INTO bench_plain ({', '.join(_INSERT_COLUMNS)}) "  # noqa: S608 - constants
                    f"VALUES ({', '.join(['%s'] * len(_INSERT_COLUMNS))})")  # fmt: skip
    barrier.wait()
    started = time.perf_counter()
    with conn.cursor() as cursor:
        for i in range(count):
            if kind == "same-row":
                row[0], row[3] = new_ordered_id("evt"), timezone.now()  # the ids record() gives
                cursor.execute(same_row_sql, row)
            elif kind == "tiny-row":
                cursor.execute("INSERT INTO bench_tiny (payload) VALUES (%s)", [f'{{"i": {i}}}'])
            else:
                record(actor=actor, event_type="model.inference", resource="deployment/bench", details={"i": i})
            if rate:  # paced: the i-th event is due at i / rate seconds
                delay = started + (i + 1) / rate - time.perf_counter()
                if delay > 0:
                    time.sleep(delay)
    conn.close()


def append_rate(kind: str, per_writer: int, org_id: int, user_id: int, rate: float = 0.0) -> float:
    """Events per second from WRITERS processes; `rate` (events/s, all writers together) paces them."""
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(WRITERS + 1)
    connection.close()
    procs = [
        ctx.Process(target=_writer, args=(kind, per_writer, org_id, user_id, rate / WRITERS, barrier, index))
        for index in range(WRITERS)
    ]
    for proc in procs:
        proc.start()
    barrier.wait()
    started = time.perf_counter()
    for proc in procs:
        proc.join()
        if proc.exitcode != 0:
            raise SystemExit(f"{kind} writer failed")
    return WRITERS * per_writer / (time.perf_counter() - started)


def _sequencer(chain: str, stop: multiprocessing.synchronize.Event, lags: Any) -> None:
    """What the beat-scheduled sequencer does: every SEQUENCER_INTERVAL_S, sequence the chain's backlog."""
    from django.db import connection as conn

    from audit.services import sequence_chain

    conn.close()
    seen: list[float] = []
    while True:
        tick = time.perf_counter()
        finished = stop.is_set()
        sequence_chain(chain, observe_lag=seen.extend)
        if finished:
            break
        time.sleep(max(0.0, SEQUENCER_INTERVAL_S - (time.perf_counter() - tick)))
    lags.put(seen)
    conn.close()


def sequencing_lag(per_writer: int, org_id: int, user_id: int, chain: str, rate: float) -> tuple[float, list[float]]:
    """Append at `rate` with the sequencer running alongside; (achieved rate, each event's lag in seconds)."""
    ctx = multiprocessing.get_context("fork")
    stop, lags = ctx.Event(), ctx.Queue()
    connection.close()
    sequencer = ctx.Process(target=_sequencer, args=(chain, stop, lags))
    sequencer.start()
    achieved = append_rate("audit", per_writer, org_id, user_id, rate)
    stop.set()
    seen: list[float] = lags.get(timeout=300)
    sequencer.join()
    return achieved, seen


def load_chain(chain: str, org_id: int, events: int) -> None:
    """Write `events` already-sequenced events with COPY (set-up for the verify figure only)."""
    from audit import canonical
    from audit.merkle import CompactRange
    from audit.models import ChainHead

    previous = canonical.GENESIS_HASH
    frontier = CompactRange()
    base = "2026-01-01T00:00:00."
    columns = (
        "event_id, organization_id, chain, seq, timestamp, actor_type, actor_id, user_id, api_key_id, ip, "
        "user_agent, request_id, event_type, resource, resource_id, outcome, details, leaf_hash, prev_hash, hash"
    )
    with (
        connection.cursor() as cursor,
        cursor.connection.cursor().copy(f"COPY audit_auditevent ({columns}) FROM STDIN") as copy,
    ):
        for seq in range(1, events + 1):
            ts = f"{base}{seq % 1_000_000:06d}Z"
            content = {
                "id": f"evt_bench{seq:012d}", "chain": chain, "timestamp": ts, "actor_type": "user",
                "actor_id": "user_bench", "user_id": "user_bench", "api_key_id": "", "ip": "10.0.0.1",
                "user_agent": "bench", "request_id": f"req{seq:012d}", "event_type": "model.inference",
                "resource": "deployment/bench", "resource_id": "dep_bench00001", "outcome": "success",
                "details": canonical.encode_details({"types": {"NAME": 1}, "i": seq}),
            }  # fmt: skip
            leaf = canonical.leaf_hash(content)
            prev_hex = previous.hex()
            previous = canonical.chain_hash(previous, leaf)
            frontier.append(leaf)
            copy.write_row(
                (
                    content["id"], org_id, chain, seq, ts.replace("Z", "+00:00"), "user", "user_bench", "user_bench",
                    "", "10.0.0.1", "bench", content["request_id"], "model.inference", "deployment/bench",
                    "dep_bench00001", "success", content["details"], leaf.hex(), prev_hex, previous.hex(),
                )
            )  # fmt: skip
    ChainHead.objects.update_or_create(
        chain=chain,
        defaults={
            "organization_id": None,
            "size": events,
            "head_hash": previous.hex(),
            "frontier": frontier.to_json(),
        },
    )


def write_bundle_dir(folder: Path, chain: str) -> None:
    """What export_bundle writes, unzipped (so the figure is the verifier's, not deflate's)."""
    from audit.models import ChainHead, Checkpoint
    from audit.verify import BUNDLE_FORMAT, EVENTS_FILE, format_event_line
    from audit.verify_live import iter_events

    head = ChainHead.objects.get(chain=chain)
    manifest = {"format": BUNDLE_FORMAT, "chain": chain, "size": head.size, "anchor": None}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    with (folder / EVENTS_FILE).open("w", encoding="utf-8") as events:
        events.writelines(format_event_line(row) for row in iter_events(chain))
    checkpoints = Checkpoint.objects.filter(chain=chain).select_related("key")
    (folder / "checkpoints.jsonl").write_text(
        "".join(
            json.dumps({"tree_size": c.tree_size, "root_hash": c.root_hash, "timestamp": c.timestamp,
                        "key_id": c.key.key_id, "signature": c.signature}) + "\n"
            for c in checkpoints
        )
    )  # fmt: skip
    keys = {c.key.key_id: c.key.public_key_pem for c in checkpoints}
    (folder / "public_keys.json").write_text(json.dumps(keys))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000, help="events in the verify figure")
    parser.add_argument("--per-writer", type=int, default=2_000, help="appends per writer (8 writers)")
    parser.add_argument("--rounds", type=int, default=5, help="alternating baseline and audit rounds")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        print("note: DATABASE_URL is not PostgreSQL; the issue's targets are for PostgreSQL", file=sys.stderr)
    creation = connection.creation
    test_name = creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        from accessctl.services import organization_get_or_create, user_create
        from audit.services import checkpoint_create, sequence_chain
        from audit.verify import ChainVerifier, verify_bundle
        from audit.verify_live import iter_events, verify_chain

        organization, _ = organization_get_or_create(name="Bench Health")
        user = user_create(organization=organization, username="bench", email="bench@example.org", password=None)
        with connection.cursor() as cursor:
            for statement in PLAIN_TABLES.values():
                cursor.execute(statement)
        print(f"database: {connection.vendor}, {WRITERS} writer processes, {os.cpu_count()} cores, db {test_name}")

        # Rounds alternate baseline and audit so that load from elsewhere on the machine hits both alike.
        tiny = append_rate("tiny-row", args.per_writer, organization.pk, user.pk)
        plains, auditeds = [], []
        for _ in range(args.rounds):
            plains.append(append_rate("same-row", args.per_writer, organization.pk, user.pk))
            auditeds.append(append_rate("audit", args.per_writer, organization.pk, user.pk))
        plain, audited = statistics.median(plains), statistics.median(auditeds)
        rounds = ", ".join(f"{a / p:.2f}" for p, a in zip(plains, auditeds, strict=True))
        started = time.perf_counter()
        sequenced = sequence_chain(organization.public_id)
        sequencing = sequenced / (time.perf_counter() - started)
        ratio = audited / plain
        print(f"append  plain INSERT, same row, same table shape : {plain:8,.0f} rows/s   (baseline)")
        print(f"append  plain INSERT, tiny row (issue 4 reference): {tiny:8,.0f} rows/s")
        print(
            f"append  audit.record                              : {audited:8,.0f} events/s "
            f"({ratio:.2f}x the same-row baseline, target >= 0.8x; {audited / tiny:.2f}x the tiny row)"
        )
        print(f"        medians of {args.rounds} alternating rounds; ratio per round: {rounds}")  # fmt: skip
        print(f"sequencer alone (batch 5000)                      : {sequencing:8,.0f} events/s  "
              f"({sequenced:,} events)")  # fmt: skip

        target = RATE_SHARE * plain
        achieved, lags = sequencing_lag(args.per_writer, organization.pk, user.pk, organization.public_id, target)
        lag_p50, lag_p99 = statistics.median(lags), statistics.quantiles(lags, n=100)[98]
        verdict = "meets" if lag_p99 <= 2.0 else "misses"
        print(f"sequencing lag, appending at {achieved:,.0f} events/s ({achieved / plain:.2f}x baseline; sequencer "
              f"every {SEQUENCER_INTERVAL_S:g} s): p50 {lag_p50:.2f} s, p99 {lag_p99:.2f} s over {len(lags):,} "
              f"events ({verdict} p99 <= 2 s)")  # fmt: skip

        chain = "org_benchverify"
        started = time.perf_counter()
        load_chain(chain, organization.pk, args.events)
        checkpoint = checkpoint_create(chain)
        print(f"set-up: {args.events:,} events loaded with COPY in {time.perf_counter() - started:.1f} s")

        started = time.perf_counter()
        rows = sum(1 for _ in iter_events(chain))
        fetch_s = time.perf_counter() - started
        started = time.perf_counter()
        report = verify_chain(chain, sequence_first=False)
        verify_s = time.perf_counter() - started
        assert report.ok, report.reason
        assert checkpoint is not None and report.checkpoints == 1
        print(f"verify  fetch canonical rows   : {fetch_s:6.2f} s  ({rows:,} rows)")
        print(f"verify  full (hash, chain, Merkle root, signature): {verify_s:6.2f} s for {report.events:,} events "
              f"({verify_s / fetch_s:.2f}x the fetch; target <= 10 s)")  # fmt: skip
        del ChainVerifier

        bundle = Path(tempfile.mkdtemp(prefix="audit-bench-"))
        try:
            write_bundle_dir(bundle, chain)
            started = time.perf_counter()
            offline = verify_bundle(bundle)
            offline_s = time.perf_counter() - started
            assert offline.ok, offline.reason
            print(f"verify  offline bundle (python -m audit.verify): {offline_s:6.2f} s for {offline.events:,} events")
        finally:
            shutil.rmtree(bundle, ignore_errors=True)
    finally:
        connection.close()
        creation.destroy_test_db(test_name, verbosity=0)


if __name__ == "__main__":
    main()
