"""Near-duplicates: stills whose perceptual hashes differ by a few bits.

The lookup reads candidates through the GIN index on `Asset.perceptual_hash_bands`
(every band key within reach of the asset's own, ugc.media.measures.phash_band_keys)
and keeps those whose exact Hamming distance is within the setting, so its cost
follows the number of candidates, not the size of the library.
"""

from __future__ import annotations

from django.conf import settings
from django.db import connection

from ugc.media.measures import phash_band_keys
from ugc.models import Asset

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


def assets_near_hash(phash: int, *, distance: int) -> list[int]:
    """Ids of every asset whose pHash is within `distance` bits of `phash`."""
    sql = NEAR_HASH_SQL.format(table=Asset._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(sql + " ORDER BY id", _near_params(phash, distance))
        return [row[0] for row in cursor.fetchall()]


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
