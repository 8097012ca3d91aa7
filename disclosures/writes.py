"""Writing one disclosure and its identifier digests: on PostgreSQL in one statement, guarded by the key.

An inference writes its disclosure in the gateway's audit transaction, on the hot path of every call. Through
the ORM that was a SELECT of the organisation's HMAC key, an INSERT of the disclosure and a bulk INSERT of its
digests: three round trips and two ORM compilations, the largest part of the gateway's audit stage. Here the key
comes from the process's cache (`encryption.services.hmac_key_unverified`) and one statement inserts the row and
its digests only if that key is still the organisation's active HMAC key: a key rotated or crypto-shredded in
another process since is caught in the same statement (nothing is inserted), the cache is dropped, and the
digests are made again with the key read afresh. SQLite (the test and demo default) keeps the ORM path.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable
from functools import cache

from django.db import connection
from django.db.models import Field

from core.errors import SafeguardDown
from disclosures.identifiers import Identifier
from disclosures.models import Disclosure, DisclosureIdentifier
from encryption.models import KeyAlgorithm, KeyStatus, OrganizationKey
from encryption.services import hmac_key, hmac_key_forget, hmac_key_unverified

KEY_PURPOSE = "disclosures"  # derived from the organisation's HMAC key, which crypto-shredding destroys


class DisclosureLogUnavailable(SafeguardDown):
    problem_code = "disclosure-log-unavailable"
    problem_detail = "The accounting of disclosures is unavailable; nothing was sent. Try again."


def digest(key: bytes, identifier: Identifier) -> str:
    return hmac.new(key, f"{identifier.kind}\x00{identifier.value}".encode(), hashlib.sha256).hexdigest()


def digests(key: bytes, identifiers: Iterable[Identifier]) -> list[str]:
    return sorted({digest(key, i) for i in identifiers})


def disclosure_insert(disclosure: Disclosure, identifiers: set[Identifier]) -> None:
    """Save the unsaved `disclosure` and the digests of its identifiers (the caller's transaction)."""
    organization = disclosure.organization
    if connection.vendor != "postgresql":
        disclosure.save()
        key = hmac_key(organization, purpose=KEY_PURPOSE)
        DisclosureIdentifier.objects.bulk_create(
            DisclosureIdentifier(organization=organization, disclosure=disclosure, digest=d)
            for d in digests(key, identifiers)
        )
        return
    for _ in range(2):
        key_id, key = hmac_key_unverified(organization, purpose=KEY_PURPOSE)
        if _insert_guarded(disclosure, digests(key, identifiers), key_id):
            return
        hmac_key_forget(organization)  # rotated or shredded since this process read it: read it again
    raise DisclosureLogUnavailable("the organisation's HMAC key changed twice while a disclosure was written")


@cache
def _fields() -> tuple[Field[object, object], ...]:
    return tuple(f for f in Disclosure._meta.concrete_fields if not f.primary_key)


@cache
def _guarded_sql() -> str:
    fields = _fields()
    # Table and column names from the models; every value is bound.
    return (
        f"WITH d AS (INSERT INTO {Disclosure._meta.db_table} ({', '.join(f.column for f in fields)}) "  # noqa: S608
        f"SELECT {', '.join(['%s'] * len(fields))} WHERE EXISTS (SELECT 1 FROM {OrganizationKey._meta.db_table} "
        "WHERE organization_id = %s AND key_id = %s AND algorithm = %s AND status = %s) RETURNING id) "
        f"INSERT INTO {DisclosureIdentifier._meta.db_table} (organization_id, disclosure_id, digest) "
        "SELECT %s, d.id, x FROM d CROSS JOIN unnest(%s::varchar[]) AS x RETURNING disclosure_id"
    )


def _insert_guarded(disclosure: Disclosure, digest_values: list[str], key_id: str) -> bool:
    """One INSERT of the row and its digests, only while `key_id` is the active HMAC key; False when it is not."""
    values = [f.get_db_prep_save(f.pre_save(disclosure, add=True), connection) for f in _fields()]
    organization_id = disclosure.organization_id
    params = [*values, organization_id, key_id, str(KeyAlgorithm.HMAC), str(KeyStatus.ACTIVE),
              organization_id, digest_values]  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(_guarded_sql(), params)
        rows = cursor.fetchall()
    if not rows:
        return False
    disclosure.pk = rows[0][0]
    disclosure._state.adding = False
    return True
