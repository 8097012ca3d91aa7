"""The spawned verifiers get a libpq connection string built from Django's connection parameters: the database,
user, password and host survive (quoted), Django's Python objects and psycopg-only options are left out."""

from __future__ import annotations

from psycopg.conninfo import conninfo_to_dict

from audit.verify_segments import conninfo_from


def test_the_connection_string_keeps_what_libpq_needs_and_nothing_else():
    params = {
        "dbname": "test_paitient",
        "user": "postgres",
        "password": "it's a secret with spaces",
        "host": "127.0.0.1",
        "port": 5432,
        "sslmode": "prefer",
        "client_encoding": "UTF8",
        "context": object(),
        "cursor_factory": object,
        "prepare_threshold": None,
    }
    assert conninfo_to_dict(conninfo_from(params)) == {
        "dbname": "test_paitient",
        "user": "postgres",
        "password": "it's a secret with spaces",
        "host": "127.0.0.1",
        "port": "5432",
        "sslmode": "prefer",
        "client_encoding": "UTF8",
    }


def test_an_empty_password_is_left_out():
    assert conninfo_to_dict(conninfo_from({"dbname": "db", "password": ""})) == {"dbname": "db"}
