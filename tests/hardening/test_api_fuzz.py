"""Schemathesis over the whole API as an org admin and as an auditor: no 5xx, no undocumented status, content
type, header or body, invalid input refused — over edge cases, generated requests with generated and with real
ids, and sequences of calls along inferred links. `bench/fuzz_api.py` runs the same at length."""

from __future__ import annotations

from typing import Any

import pytest

from tests.deployments.fakes import use_echo_provider
from tests.hardening.fuzzing import FuzzReport, fuzz_coverage, fuzz_operations, fuzz_stateful, load_schema
from tests.hardening.world import build_world

pytestmark = pytest.mark.django_db

EXAMPLES = 15  # per operation and mode: the whole run stays within a few minutes on two cores


@pytest.fixture
def sent_tasks(monkeypatch) -> list[Any]:
    """No task reaches a broker from this test: sends are recorded instead (on_commit never fires here anyway)."""
    sent: list[Any] = []
    monkeypatch.setattr("celery.app.base.Celery.send_task", lambda app, name, *a, **kw: sent.append(name))
    return sent


@pytest.mark.parametrize("role", ["org-admin", "auditor"])
def test_the_whole_api_holds_up_under_generated_requests(role, monkeypatch, sent_tasks):
    use_echo_provider(monkeypatch)
    world = build_world()
    schema = load_schema(world.tokens[role])
    report = FuzzReport()
    fuzz_coverage(schema, report=report)
    fuzz_operations(schema, report=report, max_examples=EXAMPLES)
    # Generated ids are almost always unknown (404): again with the seeded objects' real ids and generated bodies.
    fuzz_operations(schema, report=report, max_examples=EXAMPLES, path_parameters=world.ids,
                    only=lambda operation: bool(operation.path_parameters))  # fmt: skip
    fuzz_stateful(schema, report=report, max_examples=EXAMPLES)
    print(report.summary())
    operations = len(list(schema.get_all_operations()))
    assert operations >= 64 and len(report.operations) == operations  # every operation, none skipped
    assert report.requests > operations * EXAMPLES and report.links > 0 and report.stateful_requests > 0
    assert not report.findings and not report.exceptions, report.summary()
    assert sent_tasks == []
