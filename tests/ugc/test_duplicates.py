"""Near-duplicate lookup through the pHash's band index: complete, and not a table scan."""

from __future__ import annotations

import hashlib
import random
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from ugc.media.measures import hamming, phash_band_keys, phash_bands
from ugc.models import Asset
from ugc.services.duplicates import (
    NEAR_HASH_SQL,
    _near_params,
    find_near_duplicate,
    near_duplicate_query,
)

pytestmark = pytest.mark.django_db

SIGNED_64 = st.integers(-(1 << 63), (1 << 63) - 1)


def _rng(seed: int) -> random.Random:
    return random.Random(seed)  # noqa: S311  (reproducible test data, not a secret)


def _signed(value: int) -> int:
    value &= (1 << 64) - 1
    return value - (1 << 64) if value >= 1 << 63 else value


def _flip(value: int, bits: list[int]) -> int:
    for bit in bits:
        value ^= 1 << bit
    return _signed(value)


@given(SIGNED_64, st.lists(st.integers(0, 63), unique=True, max_size=11), st.integers(0, 11))
def test_every_hash_within_the_distance_shares_a_band_key(value, bits, distance):
    near = _flip(value, bits)
    shares = bool(set(phash_band_keys(value, distance)) & set(phash_bands(near)))
    if hamming(value, near) <= distance:
        assert shares
    # The keys are a filter, not the answer: beyond the distance they may still match.


def _library(rng: random.Random, *, families: int = 100) -> list[Asset]:
    """Families of hashes a few bits apart, strangers, and the awkward values."""
    hashes = [0, -1, 1 << 62, -(1 << 63), (1 << 63) - 1]
    for _ in range(families):
        seed = _signed(rng.getrandbits(64))
        hashes.append(seed)
        for flips in (0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 14):
            hashes.append(_flip(seed, rng.sample(range(64), flips)))
    now = timezone.now()
    assets = [
        Asset(
            media_type="video" if index % 17 == 0 else "image",
            source_platform="upload",
            perceptual_hash=value,
            processing_state="failed" if index % 23 == 0 else "in_review",
            content_sha256=hashlib.sha256(f"dup-{index}".encode()).hexdigest(),
            created_at=now,
        )
        for index, value in enumerate(hashes)
    ]
    assets.append(
        Asset(media_type="image", source_platform="upload", perceptual_hash=None, created_at=now)
    )
    created = Asset.objects.bulk_create(assets)
    # auto_now_add overrides created_at on insert: spread the rows over time, some tied.
    with connection.cursor() as cursor:
        for asset in created:
            asset.created_at = now - timedelta(seconds=rng.randrange(0, 400))
        cursor.execute(
            f"UPDATE {Asset._meta.db_table} AS a SET created_at = v.at"  # noqa: S608
            " FROM unnest(%s::bigint[], %s::timestamptz[]) AS v(id, at) WHERE a.id = v.id",
            [[a.pk for a in created], [a.created_at for a in created]],
        )
        cursor.execute(f"ANALYZE {Asset._meta.db_table}")
    return created


def test_the_database_computes_the_same_band_keys():
    assets = _library(_rng(1), families=5)
    stored = dict(Asset.objects.values_list("pk", "perceptual_hash_bands"))
    for asset in assets:
        expected = None if asset.perceptual_hash is None else phash_bands(asset.perceptual_hash)
        assert stored[asset.pk] == expected


def assets_near_hash(phash: int, *, distance: int) -> list[int]:
    """Ids of every asset within `distance` bits of `phash`, by the lookup's own SQL."""
    sql = NEAR_HASH_SQL.format(table=Asset._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(sql + " ORDER BY id", _near_params(phash, distance))
        return [row[0] for row in cursor.fetchall()]


@pytest.mark.parametrize("distance", [0, 3, 6, 7, 10])
def test_band_lookup_finds_exactly_what_a_full_scan_finds(distance):
    rng = _rng(distance)
    assets = [a for a in _library(rng) if a.perceptual_hash is not None]
    queries = [a.perceptual_hash for a in rng.sample(assets, 60)]
    queries += [_flip(q, rng.sample(range(64), 3)) for q in queries[:20]]
    found_any = 0
    for query in queries:
        brute = sorted(a.pk for a in assets if hamming(a.perceptual_hash, query) <= distance)
        assert assets_near_hash(query, distance=distance) == brute
        found_any += len(brute) > 1
    assert found_any, "the generated set must hold near pairs for the check to mean anything"


def _oldest_near(asset: Asset, library: list[Asset], distance: int) -> int | None:
    """find_near_duplicate's answer by brute force over the library."""
    eligible = [
        other
        for other in library
        if other.pk != asset.pk
        and other.media_type == asset.media_type
        and other.processing_state != "failed"
        and (other.created_at, other.pk) < (asset.created_at, asset.pk)
        and hamming(other.perceptual_hash, asset.perceptual_hash) <= distance
    ]
    return min(eligible, key=lambda a: (a.created_at, a.pk)).pk if eligible else None


def test_find_near_duplicate_is_the_oldest_eligible_one_of_a_full_scan(settings):
    settings.MEDIA_NEAR_DUPLICATE_DISTANCE = 6
    rng = _rng(7)
    assets = _library(rng, families=60)
    hashed = [a for a in assets if a.perceptual_hash is not None]
    linked = 0
    for asset in rng.sample(hashed, 80):
        expected = _oldest_near(asset, hashed, 6)
        assert find_near_duplicate(asset) == expected
        linked += expected is not None
    assert linked >= 10


def _strangers(count: int) -> None:
    """`count` more assets with random pHashes, copied in SQL from a row of the library
    (every other column as that row has it), so the table is large enough for the
    planner to weigh an index against reading it whole."""
    fields = [f for f in Asset._meta.concrete_fields if not f.primary_key and not f.generated]
    random_hash = " | ".join(f"(floor(random() * 65536)::bigint << {s})" for s in (48, 32, 16, 0))
    replace = {"perceptual_hash": random_hash, "content_sha256": "NULL", "platform_id": "''"}
    columns = ", ".join(f.column for f in fields)
    values = ", ".join(replace.get(f.column, f.column) for f in fields)
    table = Asset._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute("SELECT setseed(0.25)")  # the same strangers every run
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {values}"  # noqa: S608
            f" FROM {table}, generate_series(1, %s)"
            f" WHERE id = (SELECT min(id) FROM {table})",
            [count],
        )
        cursor.execute(f"ANALYZE {table}")


def test_lookup_reads_the_band_index_not_the_whole_table(settings):
    settings.MEDIA_NEAR_DUPLICATE_DISTANCE = 6
    hashed = [a for a in _library(_rng(3), families=20) if a.perceptual_hash is not None]
    _strangers(30_000)
    asset = next(a for a in hashed if _oldest_near(a, hashed, 6) is not None)
    sql, params = near_duplicate_query(asset)
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "asset_phash_bands_gin" in plan, plan
    assert f"Seq Scan on {Asset._meta.db_table}" not in plan, plan
    assert find_near_duplicate(asset) == _oldest_near(asset, hashed, 6)  # still found
