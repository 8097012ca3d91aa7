"""The Python SDK's access-review methods against a live server: start, list, get, keep and revoke (the
revoked key stops working), refused self-review, sign-off; errors are typed."""

from __future__ import annotations

import pytest
from paitient_secure_model import Client, ConflictError, PermissionDeniedError, ValidationError

from accessctl.api_keys import api_key_issue
from tests.conftest import grant
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_review_through_the_sdk(live_server, acme, alice):
    olivia = UserFactory.create(username="olivia", organization=acme)
    grant(olivia, acme, "compliance-officer")
    bob = UserFactory.create(username="bob", organization=acme)
    _, bobs_token = api_key_issue(actor=None, organization=acme, user=bob, name="bob laptop")
    _, officer_token = api_key_issue(actor=None, organization=acme, user=olivia, name="officer sdk")
    _, admin_token = api_key_issue(actor=None, organization=acme, user=alice, name="admin sdk")
    with Client(live_server.url, officer_token, max_retries=0) as officer:
        review = officer.start_access_review("Q4 review")
        assert (review.name, review.status, review.items_total) == ("Q4 review", "open", 5)
        with pytest.raises(ConflictError):
            officer.start_access_review()
        assert [r.id for r in officer.list_access_reviews()] == [review.id]
        items = {(i.username, i.kind, i.grant_name): i for i in officer.get_access_review(review.id).items}
        bobs_key = items[("bob", "api_key", "bob laptop")]
        with pytest.raises(ValidationError):
            officer.decide_access_review_item(review.id, bobs_key.id, "revoke")  # no reason
        revoked = officer.decide_access_review_item(review.id, bobs_key.id, "revoke", "laptop lost")
        assert revoked.decision == "revoke" and revoked.revoked
        with Client(live_server.url, bobs_token, max_retries=0) as bobs_client, pytest.raises(Exception) as refused:
            bobs_client.get_security_settings()
        assert type(refused.value).__name__ == "AuthenticationError"
        with pytest.raises(PermissionDeniedError):
            officer.decide_access_review_item(review.id, items[("olivia", "role", "compliance-officer")].id, "keep")
        for item in items.values():
            if item.username != "olivia" and item.id != bobs_key.id:
                officer.decide_access_review_item(review.id, item.id, "keep")
        with Client(live_server.url, admin_token, max_retries=0) as admin:
            for item in items.values():
                if item.username == "olivia":
                    admin.decide_access_review_item(review.id, item.id, "keep")
        done = officer.sign_off_access_review(review.id, "all reviewed")
        assert done.status == "completed" and done.signed_off_by == olivia.public_id and done.items_revoked == 1
