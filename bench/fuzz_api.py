"""The API fuzzed at length: schemathesis over every operation, as an org admin and as an auditor.

    PAITIENT_VAR_DIR=/tmp/fuzz DATABASE_URL=postgres://postgres@127.0.0.1:5432/fuzz \\
        .venv/bin/python bench/fuzz_api.py [--examples 150] [--seed N] [--roles org-admin,auditor]

The same driver as tests/hardening/test_api_fuzz.py with many more examples and a random (printed) seed:
generated requests per operation (valid and schema-breaking), again with real ids of seeded objects, then
sequences of calls along the links schemathesis infers. Prints operations tested, requests made and every
failure found (server errors, undocumented statuses or content types, bodies that break the schema, invalid
input accepted) with a curl line to reproduce it. Not run in CI. Runs in a throw-away database (test_<name>),
created and dropped here; nothing is committed, no task reaches a broker and the runtime is an echo.
"""

from __future__ import annotations

import argparse
import logging
import os
import secrets
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
os.environ.setdefault("PAITIENT_VAR_DIR", tempfile.mkdtemp(prefix="paitient-fuzz-"))
os.environ.setdefault("LOG_LEVEL", "CRITICAL")

import django

django.setup()

from django.db import connection, transaction  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--examples", type=int, default=150, help="per operation and mode")
    parser.add_argument("--stateful-examples", type=int, default=100)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--roles", default="org-admin,auditor")
    args = parser.parse_args()
    import portal.wsgi  # noqa: F401 - sets Django up (and its logging) again; quieten the 4xx lines after that

    logging.getLogger("django.request").setLevel(logging.ERROR)  # thousands of expected 4xx; 5xx still show
    seed = args.seed if args.seed is not None else secrets.randbelow(2**32)
    creation = connection.creation
    test_name = creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        return run(args, seed, test_name)
    finally:
        creation.destroy_test_db(test_name, verbosity=0)


def run(args: Any, seed: int, test_name: str) -> int:
    from celery.app.base import Celery

    import deployments.gateway as gateway
    from deployments.catalog import catalog_ensure
    from tests.deployments.fakes import EchoProvider
    from tests.hardening.fuzzing import FuzzReport, fuzz_coverage, fuzz_operations, fuzz_stateful, load_schema
    from tests.hardening.world import build_world

    echo = EchoProvider()
    setattr(gateway, "provider_for", lambda name: echo)  # noqa: B010 - the echo runtime stands in
    sent: list[str] = []
    setattr(Celery, "send_task", lambda app, name, *a, **kw: sent.append(name))  # noqa: B010 - no broker
    print(f"database: {connection.vendor} ({test_name}); seed {seed}; {args.examples} examples per operation/mode")
    failures = 0
    with transaction.atomic():  # nothing is committed, so no on_commit task is ever sent
        catalog_ensure()
        world = build_world()
        for role in args.roles.split(","):
            schema = load_schema(world.tokens[role])
            report = FuzzReport()
            fuzz_coverage(schema, report=report)
            fuzz_operations(schema, report=report, max_examples=args.examples, seed=seed)
            fuzz_operations(schema, report=report, max_examples=args.examples, seed=seed, path_parameters=world.ids,
                            only=lambda operation: bool(operation.path_parameters))  # fmt: skip
            fuzz_stateful(schema, report=report, max_examples=args.stateful_examples, seed=seed)
            print(f"\n== as {role}")
            print(report.summary())
            failures += len(report.findings) + len(report.exceptions)
        transaction.set_rollback(True)
    print(f"\ntasks that would have been sent: {len(sent)}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
