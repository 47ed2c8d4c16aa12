"""Near-duplicates: stills whose perceptual hashes differ by a few bits.

The lookup reads candidates through the GIN index on `Asset.perceptual_hash_bands`
(every band key within reach of the asset's own, ugc.media.measures.phash_band_keys)
and keeps those whose exact Hamming distance is within the setting, so its cost
follows the number of candidates, not the size of the library.

Two workers may finish two copies of one picture at the same moment, each looking
before the other's hash is there. So the link is made under transaction locks on
the band keys within reach (two near hashes always share one: a band key of each
is within reach of the other), and both ways: an asset links itself to the oldest
near one before it, and links the newer near ones that found nothing older than it.
Whichever of two near assets comes second sees the other.
"""

from __future__ import annotations

from django.conf import settings
from django.db import connection

from ugc.media.measures import phash_band_keys
from ugc.models import Asset

LOCK_NAMESPACE = 0x55474302  # "UGC\x02": the advisory-lock class of pHash band keys

# Every asset within `distance` bits of `hash`: the band keys find the candidates, the
# exact count decides. MATERIALIZED keeps the planner from walking an ordered index
# instead and filtering row by row, which reads the whole table when nothing is near.
NEAR_HASH_SQL = """
    SELECT id, created_at, media_type, processing_state
    FROM {table}
    WHERE perceptual_hash_bands && %(keys)s::integer[]
      AND bit_count((perceptual_hash # %(hash)s)::bit(64)) <= %(distance)s
"""


def _near_params(phash: int, distance: int) -> dict:
    return {"keys": phash_band_keys(phash, distance), "hash": phash, "distance": distance}


def near_duplicate_query(asset: Asset) -> tuple[str, dict]:
    """The SQL and parameters of find_near_duplicate (also for EXPLAIN in the tests)."""
    near = NEAR_HASH_SQL.format(table=Asset._meta.db_table)
    sql = f"""
        WITH near AS MATERIALIZED ({near})
        SELECT id FROM near
        WHERE id <> %(id)s
          AND media_type = %(media_type)s
          AND processing_state <> 'failed'
          AND (created_at, id) < (%(created_at)s, %(id)s)
        ORDER BY created_at, id
        LIMIT 1
    """  # noqa: S608  (table name from the model, values as parameters)
    params = _near_params(asset.perceptual_hash, settings.MEDIA_NEAR_DUPLICATE_DISTANCE)
    params |= {"id": asset.pk, "media_type": asset.media_type, "created_at": asset.created_at}
    return sql, params


def find_near_duplicate(asset: Asset) -> int | None:
    """The oldest other asset of the same media type whose pHash is within the distance."""
    if asset.perceptual_hash is None:
        return None
    with connection.cursor() as cursor:
        cursor.execute(*near_duplicate_query(asset))
        row = cursor.fetchone()
    return row[0] if row else None


# The newer near assets of the same media type whose link is missing or newer than the
# asset's: they looked before the asset's hash was there.
LINK_NEWER_SQL = """
    WITH near AS MATERIALIZED ({near}),
    newer AS (
        SELECT a.id, a.duplicate_of_id AS previous
        FROM {table} a JOIN near ON near.id = a.id
        LEFT JOIN {table} o ON o.id = a.duplicate_of_id
        WHERE a.id <> %(id)s
          AND a.media_type = %(media_type)s
          AND a.processing_state <> 'failed'
          AND (a.created_at, a.id) > (%(created_at)s, %(id)s)
          AND (o.id IS NULL OR (o.created_at, o.id) > (%(created_at)s, %(id)s))
        FOR UPDATE OF a
    )
    UPDATE {table} t SET duplicate_of_id = %(id)s
    FROM newer WHERE t.id = newer.id
    RETURNING t.id, newer.previous
"""


def _lock_neighbourhood(phash: int) -> None:
    """Until the transaction ends, hold every band key within reach of `phash`, in
    ascending order (so two lockers never wait on each other in a circle)."""
    keys = sorted(set(phash_band_keys(phash, settings.MEDIA_NEAR_DUPLICATE_DISTANCE)))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_advisory_xact_lock(%s, key)) FROM unnest(%s::integer[]) AS key",
            [LOCK_NAMESPACE, keys],
        )


def link_near_duplicates(asset: Asset) -> tuple[int | None, dict[int, int | None]]:
    """(the asset's original, {newer asset linked to it now: its previous link}).

    Call inside the transaction that stores the asset's own link: the locks are held
    until it commits.
    """
    if asset.perceptual_hash is None:
        return None, {}
    if not connection.in_atomic_block:
        raise RuntimeError("link_near_duplicates needs a transaction: its locks last as long")
    _lock_neighbourhood(asset.perceptual_hash)
    original = find_near_duplicate(asset)
    _, params = near_duplicate_query(asset)
    table = Asset._meta.db_table
    sql = LINK_NEWER_SQL.format(near=NEAR_HASH_SQL.format(table=table), table=table)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return original, dict(cursor.fetchall())
