"""The independent SCIM 2.0 conformance checker `scim2-tester` run against /scim/v2/ on a live server on
loopback, with a token of Acme's administrator. Its summary is printed (run with -s to see it); a check that
errs fails the test, except the ones listed in KNOWN_DEVIATIONS with the reason they are out of scope."""

from __future__ import annotations

from collections import Counter

import pytest
from httpx2 import Client
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server

from tests.scim.conftest import issue

pytestmark = pytest.mark.django_db(transaction=True)

FAILING = {Status.ERROR, Status.CRITICAL}
# (resource type, check title) -> why the refusal is this server's design, not a conformance bug.
KNOWN_DEVIATIONS: dict[tuple[str | None, str | None], str] = {}


def test_scim2_tester_finds_no_errors(live_server, acme, alice, capsys):
    token = issue(acme, alice)
    with Client(base_url=f"{live_server.url}/scim/v2", headers={"Authorization": f"Bearer {token}"}) as http:
        results = check_server(SyncSCIMClient(http))

    counts = Counter(result.status.name for result in results)
    with capsys.disabled():
        print(f"\nscim2-tester: {len(results)} checks: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
        for result in results:
            if result.status not in {Status.SUCCESS, Status.COMPLIANT}:
                print(f"  {result.status.name:10} {result.resource_type or '-':6} {result.title}: {result.reason}")
    failing = [r for r in results if r.status in FAILING and (r.resource_type, r.title) not in KNOWN_DEVIATIONS]
    assert not failing, [(r.resource_type, r.title, r.reason) for r in failing]
    assert counts["SUCCESS"] > 20
