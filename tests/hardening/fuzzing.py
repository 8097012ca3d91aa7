"""Schemathesis over the whole OpenAPI schema, in process (WSGI): the driver shared by the CI test and the bench.

Three kinds of requests, all sent with a caller's API key (and, in negative cases, without or with a broken one):
- coverage: schemathesis's deterministic edge cases (bounds, missing and wrong-typed fields, other media types);
- fuzzing: generated requests per operation, valid ones and ones that break the schema, optionally with the
  real ids of seeded objects pinned in the path;
- stateful: sequences of calls along the links schemathesis infers (an id one call returns, used by the next).
Each response is checked for a server error, an undocumented status or content type, a body or header that does
not match the schema, and invalid input accepted. (Valid-looking input may still be refused with a 400 by a
business rule, so `positive_data_acceptance` is not among the checks.) Findings are collected, not raised, so a
run lists them all; each operation's requests are rolled back, so every operation starts from the seeded state.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, cast

import hypothesis
import schemathesis
from django.core.signals import got_request_exception, request_finished, request_started
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase
from rest_framework.settings import api_settings
from schemathesis import AuthContext, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

REFUSALS = ["400", "401", "403", "404", "409", "413", "415", "422"]
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


@dataclass(frozen=True)
class Finding:
    operation: str
    check: str
    status: int
    message: str
    reproduce: str

    def __str__(self) -> str:
        return f"{self.operation}: {self.check} (HTTP {self.status})\n{self.message}\n{self.reproduce}"


@dataclass
class FuzzReport:
    operations: set[str] = field(default_factory=set)
    requests: int = 0
    statuses: dict[int, int] = field(default_factory=dict)
    findings: dict[tuple[str, str, int], Finding] = field(default_factory=dict)
    exceptions: list[str] = field(default_factory=list)
    seconds: float = 0.0
    links: int = 0  # links schemathesis inferred between operations (stateful sequences follow them)
    stateful_requests: int = 0

    def add(self, finding: Finding) -> None:
        self.findings.setdefault((finding.operation, finding.check, finding.status), finding)

    def summary(self) -> str:
        lines = [
            f"operations tested: {len(self.operations)}",
            f"requests made: {self.requests} in {self.seconds:.1f} s "
            f"({self.stateful_requests} in call sequences along {self.links} inferred links)",
            f"statuses: {dict(sorted(self.statuses.items()))}",
            f"failures found: {len(self.findings)}",
            f"unhandled exceptions: {len(self.exceptions)}",
        ]
        lines += [str(f) for f in self.findings.values()]
        lines += self.exceptions[:20]
        return "\n".join(lines)


@contextmanager
def connection_kept() -> Iterator[None]:
    """As Django's test client does: a request must not close the connection that holds the test's transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@contextmanager
def isolated() -> Iterator[None]:
    """Whatever one operation's requests change is rolled back: the next one starts from the seeded state."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def load_schema(token: str) -> Any:
    """The schema served by the app, with requests authenticated by the API key `token`."""
    from portal.wsgi import application

    config = schemathesis.Config.from_dict(
        {
            "auth": {"openapi": {"ApiKey": {"bearer": token}}},
            # Invalid input is refused with a 4xx that says why; a 413 (too large) is a refusal too, a 5xx is not.
            "checks": {"negative_data_rejection": {"expected-statuses": REFUSALS}},
        }
    )
    with connection_kept():
        return schemathesis.openapi.from_wsgi("/api/schema/", application, config=config)


@contextmanager
def exceptions_recorded(report: FuzzReport) -> Iterator[None]:
    """A 5xx is a finding already; this also names the exception behind it, whether Django's handler turned it
    into the 500 (outside DRF) or the API's problem handler did (inside a DRF view)."""

    def on_exception(sender: Any, request: Any = None, **kwargs: Any) -> None:
        exc = sys.exc_info()[1]
        _name(report, exc, getattr(request, "method", "?"), getattr(request, "path", "?"))

    original = cast(Callable[..., Any], api_settings.EXCEPTION_HANDLER)  # the setting, imported

    def recording_handler(exc: Exception, context: dict[str, Any]) -> Any:
        response = original(exc, context)
        if response is not None and response.status_code >= 500:
            request = context.get("request")
            _name(report, exc, getattr(request, "method", "?"), getattr(request, "path", "?"))
        return response

    got_request_exception.connect(on_exception, weak=False)
    api_settings.EXCEPTION_HANDLER = recording_handler
    try:
        with connection_kept():
            yield
    finally:
        got_request_exception.disconnect(on_exception)
        api_settings.EXCEPTION_HANDLER = original


def _name(report: FuzzReport, exc: BaseException | None, method: str, path: str) -> None:
    report.exceptions.append(f"{type(exc).__name__} at {method} {path[:200]}: {str(exc)[:300]}")


def _sent_faithfully(case: Any) -> bool:
    """Werkzeug's multipart encoder writes an empty form field without the CRLF before the next boundary, so the
    app never sees that field: whether such a request was "invalid data accepted" cannot be judged (the other
    checks still apply). test_input_abuse.py sends an empty field in a hand-written body."""
    if not str(case.media_type or "").startswith("multipart/") or not isinstance(case.body, dict):
        return True
    return all("" not in (value if isinstance(value, list) else [value]) for value in case.body.values())


def _record(report: FuzzReport, case: Any, response: Any) -> None:
    report.requests += 1
    report.statuses[response.status_code] = report.statuses.get(response.status_code, 0) + 1
    try:
        checks = CHECKS if _sent_faithfully(case) else [c for c in CHECKS if c is not negative_data_rejection]
        case.validate_response(response, checks=checks)
    except FailureGroup as group:
        for failure in group.exceptions:
            _add(report, case, response, failure)
    except Failure as failure:
        _add(report, case, response, failure)


def _add(report: FuzzReport, case: Any, response: Any, failure: Failure) -> None:
    try:
        reproduce = case.as_curl_command(headers={"Authorization": "Bearer <key>"})
    except Exception:  # a case with odd bytes may not render as curl
        reproduce = repr(case)
    body = response.text[:500] if hasattr(response, "text") else ""
    report.add(
        Finding(
            operation=case.operation.label,
            check=failure.title,
            status=response.status_code,
            message=f"{failure.message}\nresponse: {body}",
            reproduce=reproduce,
        )
    )


def fuzz_operations(
    schema: Any,
    *,
    report: FuzzReport,
    max_examples: int,
    modes: Iterable[GenerationMode] = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE),
    path_parameters: dict[str, Any] | None = None,
    only: Callable[[Any], bool] | None = None,
    seed: int | None = None,
) -> FuzzReport:
    """`max_examples` generated requests per operation and mode; `path_parameters` pins ids where given."""
    started = time.monotonic()
    with exceptions_recorded(report):
        for result in schema.get_all_operations():
            operation = result.ok()
            if only is not None and not only(operation):
                continue
            pinned = {
                name: value
                for name, value in (path_parameters or {}).items()
                if any(p.name == name for p in operation.path_parameters)
            }
            for mode in modes:
                strategy = operation.as_strategy(generation_mode=mode, path_parameters=pinned or None)

                @hypothesis.settings(
                    max_examples=max_examples,
                    deadline=None,
                    database=None,
                    derandomize=seed is None,
                    phases=[Phase.explicit, Phase.generate],
                    suppress_health_check=list(HealthCheck),
                    print_blob=False,
                )
                @hypothesis.seed(seed)
                @hypothesis.given(case=strategy)
                def run(case: Any) -> None:
                    response = case.call()
                    _record(report, case, response)

                try:
                    with isolated():
                        run()
                except hypothesis.errors.Unsatisfiable:
                    continue  # nothing to break: an operation without parameters or body has no negative cases
                report.operations.add(operation.label)
    report.seconds += time.monotonic() - started
    return report


def fuzz_coverage(schema: Any, *, report: FuzzReport) -> FuzzReport:
    """Schemathesis's deterministic edge cases for every operation: each parameter and property at and just past
    its bounds, missing, of the wrong type, unknown ones added, other media types and methods."""
    started = time.monotonic()
    modes = [GenerationMode.POSITIVE, GenerationMode.NEGATIVE]
    with exceptions_recorded(report):
        for result in schema.get_all_operations():
            operation = result.ok()
            generation = schema.config.generation_for(operation=operation)
            with isolated():
                for case in schema.iter_coverage_cases(operation, generation_modes=modes, generation_config=generation):
                    schema.apply_auth(case, AuthContext(operation=operation, app=operation.app))
                    _record(report, case, case.call())
            report.operations.add(operation.label)
    report.seconds += time.monotonic() - started
    return report


def fuzz_stateful(schema: Any, *, report: FuzzReport, max_examples: int, seed: int | None = None) -> FuzzReport:
    """Sequences of calls along the links schemathesis infers (an id created by one call used by the next)."""
    started = time.monotonic()
    base = schema.as_state_machine()
    report.links = schema.statistic.transitions.total
    before = report.requests

    class Machine(base):  # type: ignore[misc, valid-type]
        def validate_response(self, response: Any, case: Any, *args: Any, **kwargs: Any) -> None:
            _record(report, case, response)

    with exceptions_recorded(report), isolated():
        Machine.run(
            settings=hypothesis.settings(
                max_examples=max_examples,
                deadline=None,
                database=None,
                derandomize=seed is None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
                stateful_step_count=6,
                print_blob=False,
            )
        )
    report.stateful_requests += report.requests - before
    report.seconds += time.monotonic() - started
    return report
