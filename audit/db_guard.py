"""Database triggers that make the audit table append-only (PostgreSQL and SQLite).

UPDATE is allowed once per row and only to assign `seq`, `prev_hash` and `hash` to an unsequenced
event; DELETE only while a PurgePermit row for the event's chain exists in the same transaction
(the retention purge); TRUNCATE never (PostgreSQL).
"""

from __future__ import annotations

from typing import Any

TABLE = "audit_auditevent"
PERMITS = "audit_purgepermit"
SEQUENCER_FIELDS = ("seq", "prev_hash", "hash")
CONTENT_COLUMNS = (
    "id", "event_id", "organization_id", "chain", "timestamp", "actor_type", "actor_id", "user_id", "api_key_id",
    "ip", "user_agent", "request_id", "event_type", "resource", "resource_id", "outcome", "details", "leaf_hash",
)  # fmt: skip

_PG_UNCHANGED = " AND ".join(f"NEW.{column} IS NOT DISTINCT FROM OLD.{column}" for column in CONTENT_COLUMNS)
_PG_INSTALL = f"""
CREATE OR REPLACE FUNCTION audit_event_guard() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF EXISTS (SELECT 1 FROM {PERMITS} WHERE chain = OLD.chain) THEN
            RETURN OLD;
        END IF;
        RAISE EXCEPTION 'audit log is append-only: DELETE refused' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF OLD.seq IS NULL AND NEW.seq IS NOT NULL AND {_PG_UNCHANGED} THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit log is append-only: UPDATE refused' USING ERRCODE = 'insufficient_privilege';
END
$$ LANGUAGE plpgsql;

CREATE OR REPLACE FUNCTION audit_event_no_truncate() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit log is append-only: TRUNCATE refused' USING ERRCODE = 'insufficient_privilege';
END
$$ LANGUAGE plpgsql;

DROP TRIGGER IF EXISTS audit_event_guard ON {TABLE};
CREATE TRIGGER audit_event_guard BEFORE UPDATE OR DELETE ON {TABLE}
    FOR EACH ROW EXECUTE FUNCTION audit_event_guard();
DROP TRIGGER IF EXISTS audit_event_no_truncate ON {TABLE};
CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON {TABLE}
    FOR EACH STATEMENT EXECUTE FUNCTION audit_event_no_truncate();
"""

_PG_DROP = f"""
DROP TRIGGER IF EXISTS audit_event_guard ON {TABLE};
DROP TRIGGER IF EXISTS audit_event_no_truncate ON {TABLE};
DROP FUNCTION IF EXISTS audit_event_guard();
DROP FUNCTION IF EXISTS audit_event_no_truncate();
"""

_unchanged = " AND ".join(f"NEW.{column} IS OLD.{column}" for column in CONTENT_COLUMNS)
_SQLITE_INSTALL = [
    f"""CREATE TRIGGER IF NOT EXISTS audit_event_no_update BEFORE UPDATE ON {TABLE}
        WHEN NOT (OLD.seq IS NULL AND NEW.seq IS NOT NULL AND {_unchanged})
        BEGIN SELECT RAISE(ABORT, 'audit log is append-only: UPDATE refused'); END""",
    f"""CREATE TRIGGER IF NOT EXISTS audit_event_no_delete BEFORE DELETE ON {TABLE}
        WHEN NOT EXISTS (SELECT 1 FROM {PERMITS} WHERE chain = OLD.chain)
        BEGIN SELECT RAISE(ABORT, 'audit log is append-only: DELETE refused'); END""",
]
_SQLITE_DROP = ["DROP TRIGGER IF EXISTS audit_event_no_update", "DROP TRIGGER IF EXISTS audit_event_no_delete"]


def _statements(vendor: str, *, install: bool) -> list[str]:
    if vendor == "postgresql":
        return [_PG_INSTALL if install else _PG_DROP]
    if vendor == "sqlite":
        return _SQLITE_INSTALL if install else _SQLITE_DROP
    raise RuntimeError(f"no append-only guard for database vendor {vendor!r}")


def install_guard(connection: Any) -> None:
    with connection.cursor() as cursor:
        for statement in _statements(connection.vendor, install=True):
            cursor.execute(statement)


def drop_guard(connection: Any) -> None:
    with connection.cursor() as cursor:
        for statement in _statements(connection.vendor, install=False):
            cursor.execute(statement)
