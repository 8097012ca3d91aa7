"""Parallel verification of a live chain: seq ranges checked in spawned processes, each on a connection of its own.

Django-free on purpose: the processes are spawned (a fresh interpreter that imports only this module), never
forked. A forked child inherits every socket, thread-held lock and after-fork hook of its parent. In a Celery
worker or a test process those include the broker's pooled connections, which kombu closes in the child after a
fork: the child read the parent's Redis socket for a reply the parent had already consumed and waited forever
(the parent then waited forever in `pool.join`), or took a reply the parent was waiting for. They also include
the database connection of the job lease's heartbeat thread and the signal handlers of a worker.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Mapping

import psycopg
from psycopg.conninfo import make_conninfo

from audit.canonical import FORMAT
from audit.verify import SegmentResult, check_segment

CHUNK = 20_000


def _json(column: str) -> str:
    return f"to_json({column})::text"


# PostgreSQL rebuilds each event's canonical text from its columns (see audit/canonical.py); a test
# checks it byte for byte against the Python encoder on hostile strings. Python then hashes the text:
# about 5x faster than fetching the columns and encoding them in Python.
_PG_CANONICAL = " || ',' || ".join(
    [
        "'[\"" + FORMAT + "\"'",
        _json("event_id"),
        _json("chain"),
        _json("""to_char("timestamp" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""),
        _json("actor_type"),
        _json("actor_id"),
        _json("user_id"),
        _json("api_key_id"),
        "coalesce(to_json(host(ip))::text, 'null')",
        _json("user_agent"),
        _json("request_id"),
        _json("event_type"),
        _json("resource"),
        _json("resource_id"),
        _json("outcome"),
        "details || ']'",
    ]
)
EVENTS_SQL = (
    f"SELECT seq, {_PG_CANONICAL}, leaf_hash, prev_hash, hash FROM audit_auditevent"  # noqa: S608 - constants only
    " WHERE chain = %s AND seq BETWEEN %s AND %s ORDER BY seq"
)

# Keyword arguments of Django's psycopg connection that are Python objects or psycopg options, not libpq
# connection parameters: the spawned process uses plain psycopg defaults for those (the query needs none).
_NOT_LIBPQ = frozenset({"context", "cursor_factory", "prepare_threshold", "row_factory", "autocommit"})


def conninfo_from(params: Mapping[str, object]) -> str:
    """A libpq connection string from Django's connection parameters (`connection.get_connection_params()`)."""
    kept = {k: v for k, v in params.items() if k not in _NOT_LIBPQ and isinstance(v, str | int) and v != ""}
    return make_conninfo(**kept)  # type: ignore[arg-type]  # str | int values only, as libpq takes them


def check_range(task: tuple[str, str, int, int]) -> SegmentResult:
    """In a spawned process: check the events `first_seq`..`last_seq` of `chain`, streamed by a server-side
    cursor (it lives in the connection's transaction)."""
    conninfo, chain, first_seq, last_seq = task
    with psycopg.connect(conninfo) as conn, conn.cursor(name=f"audit_events_{first_seq}") as cursor:
        cursor.itersize = CHUNK
        cursor.execute(EVENTS_SQL, [chain, first_seq, last_seq])
        return check_segment(first_seq, cursor)


def parallel_segments(conninfo: str, chain: str, first_seq: int, last_seq: int, workers: int) -> list[SegmentResult]:
    """PostgreSQL rebuilds the canonical text in one backend per range while Python hashes in one process per
    range: verification scales with cores. The caller joins the ranges and checks the Merkle roots."""
    step = -(-(last_seq - first_seq + 1) // workers)
    tasks = [(conninfo, chain, lo, min(lo + step - 1, last_seq)) for lo in range(first_seq, last_seq + 1, step)]
    pool = multiprocessing.get_context("spawn").Pool(len(tasks))
    try:
        results = pool.map(check_range, tasks)
    except BaseException:
        pool.terminate()
        raise
    pool.close()  # the processes leave once the work is done
    pool.join()
    return results
