"""Search over a generated library: semantic (plain and 1%-filtered) and full text.

The library is built once in its own database (`ugc_bench_search`, on the same
server) and reused while its size matches BENCH_SEARCH_ASSETS (default
1,000,000): captions from a generator with a realistic vocabulary, embedded by
the real default model, full-text vectors by the real refresh, the real HNSW
index. Queries go through ugc.selectors.search, the code the API uses.

Ceilings, measured in the same run:
- vector search: an in-process exact numpy scan of the same vectors (all of
  them, or the filtered 1%), which is also the truth for recall@24;
- full text: the same match (any of the words, as the search finds them) without
  ranking (match, filter, newest first).
"""

from __future__ import annotations

import contextlib
import functools
import operator
import os
import time

import numpy as np
from django.db import connection, connections
from pgvector.psycopg import register_vector

from bench.registry import Result, benchmark

BENCH_DB = "ugc_bench_search"
QUERIES = 60
RARE_PLATFORM = "pinterest"  # 1% of the generated library

COLOURS = [
    "red",
    "blue",
    "green",
    "black",
    "white",
    "beige",
    "pink",
    "navy",
    "olive",
    "golden",
    "silver",
    "mustard",
    "lilac",
    "cream",
    "burgundy",
    "teal",
    "coral",
    "ivory",
]
MATERIALS = [
    "linen",
    "cotton",
    "denim",
    "leather",
    "silk",
    "wool",
    "suede",
    "cashmere",
    "velvet",
    "canvas",
    "ceramic",
    "bamboo",
    "steel",
    "oak",
    "rattan",
]
PRODUCTS = [
    "dress",
    "sneakers",
    "handbag",
    "jacket",
    "sunglasses",
    "scarf",
    "boots",
    "hat",
    "jeans",
    "skirt",
    "sweater",
    "backpack",
    "watch",
    "necklace",
    "mug",
    "candle",
    "lamp",
    "blanket",
    "teapot",
    "yoga mat",
    "water bottle",
    "tote bag",
    "sandals",
]
PLACES = [
    "at the beach",
    "in the city",
    "at a cafe",
    "on a hike",
    "in my kitchen",
    "at the office",
    "by the lake",
    "at a wedding",
    "in Paris",
    "on the balcony",
    "at the market",
    "in the garden",
    "at the gym",
    "on a road trip",
    "at home",
]
MOODS = [
    "Loving",
    "Obsessed with",
    "Finally got",
    "Can't stop wearing",
    "Sunday with",
    "Unboxing",
    "First look at",
    "Styling",
    "Date night in",
    "Cozy vibes with",
]
TAGS = [
    "ootd",
    "summer",
    "style",
    "unboxing",
    "homedecor",
    "fitness",
    "travel",
    "vintage",
    "sustainable",
    "giftideas",
    "weekend",
    "newin",
    "minimal",
    "boho",
    "streetstyle",
]
PLATFORMS = ["instagram", "tiktok", "facebook", "youtube", "review", "upload"]


def library_size() -> int:
    return int(os.environ.get("BENCH_SEARCH_ASSETS", "1000000"))


def library_database() -> str:
    """One database per library size, so that a small run never truncates the
    full-size library that took many minutes to build."""
    n = library_size()
    return BENCH_DB if n == 1_000_000 else f"{BENCH_DB}_{n}"


def caption(rng: np.random.Generator) -> tuple[str, list[str]]:
    pick = lambda words: words[rng.integers(len(words))]  # noqa: E731
    product = pick(PRODUCTS)
    text = f"{pick(MOODS)} my {pick(COLOURS)} {pick(MATERIALS)} {product} {pick(PLACES)}" + (
        f" with my {pick(COLOURS)} {pick(PRODUCTS)}" if rng.random() < 0.4 else ""
    )
    tags = sorted({pick(TAGS) for _ in range(rng.integers(1, 4))} | {product.replace(" ", "")})
    return text, tags


@contextlib.contextmanager
def bench_database(name: str = BENCH_DB):
    """Point the default connection at a bench database (made if missing) for the duration."""
    default = connections["default"]
    original = default.settings_dict["NAME"]
    default.close()
    with default.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        exists = cursor.fetchone()
        if not exists:
            cursor.execute(f'CREATE DATABASE "{name}"')
    default.close()
    default.settings_dict["NAME"] = name
    try:
        yield
    finally:
        default.close()
        default.settings_dict["NAME"] = original


def build_library(n: int) -> None:
    """A library of n generated assets in the bench database, built once and kept. Several
    benchmarks share it; an advisory lock makes a second builder wait, then reuse it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(hashtext('bench.search.build_library'))")
    try:
        _build_library(n)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(hashtext('bench.search.build_library'))")


def _build_library(n: int) -> None:
    from django.core.management import call_command

    from core.bulk import copy_insert
    from ugc.models import Asset, AssetEmbedding
    from ugc.services.embedders import default_embedder
    from ugc.services.search_index import refresh_search_vectors

    call_command("migrate", verbosity=0)
    if Asset.objects.count() == n:
        # A build cut off while indexing resumes here, not from scratch; a library built
        # with another model gets this one's vectors for the same captions.
        _embed_missing(default_embedder())
        _index_library()
        return
    print(
        f"  building a library of {n:,} assets in {connection.settings_dict['NAME']} (once) ...",
        flush=True,
    )
    from ugc.search.indexes import model_index_names

    embedder = default_embedder()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE ugc_asset CASCADE")
        # Indexes built once over all rows are far faster than ones grown row by row.
        for name in model_index_names(embedder.name):
            cursor.execute(f"DROP INDEX IF EXISTS {name}")
    connection.ensure_connection()
    register_vector(connection.connection)  # COPY numpy vectors without text formatting
    rng = np.random.default_rng(2026)
    started = time.monotonic()
    for start in range(0, n, 20_000):
        batch = []
        for i in range(start, min(n, start + 20_000)):
            text, tags = caption(rng)
            platform = RARE_PLATFORM if i % 100 == 0 else PLATFORMS[i % len(PLATFORMS)]
            batch.append(
                Asset(
                    media_type="image",
                    source_platform=platform,
                    caption=text,
                    hashtags=tags,
                    language="en",
                    quality_score=float(rng.random()),
                )
            )
        copy_insert(batch, with_ids=True)
        vectors = embedder.embed_texts([f"{a.caption}\n{' '.join(a.hashtags)}" for a in batch])
        copy_insert(
            [
                AssetEmbedding(asset=a, model=embedder.name, source_hash="bench", vector=v)
                for a, v in zip(batch, vectors, strict=True)
            ]
        )
        print(f"  {start + len(batch):,} rows ({time.monotonic() - started:.0f}s)", flush=True)
    ids = list(Asset.objects.values_list("id", flat=True))
    for start in range(0, len(ids), 50_000):
        refresh_search_vectors(ids[start : start + 50_000])
    _index_library()
    print(f"  library ready in {time.monotonic() - started:.0f}s", flush=True)


def _embed_missing(embedder) -> None:
    """Vectors of the current model for the assets that lack one; other models' vectors
    and indexes go, so the table and its (asset_id) index hold what a fresh build would."""
    from django.db.models import Exists, OuterRef

    from core.bulk import copy_insert
    from ugc.models import Asset, AssetEmbedding
    from ugc.search.indexes import model_index_names

    stale = AssetEmbedding.objects.exclude(model=embedder.name)
    old_models = list(stale.values_list("model", flat=True).distinct())
    missing = Asset.objects.filter(
        ~Exists(AssetEmbedding.objects.filter(asset=OuterRef("pk"), model=embedder.name))
    )
    if not old_models and not missing.exists():
        return
    print(f"  embedding the library with {embedder.name} (was {old_models}) ...", flush=True)
    with connection.cursor() as cursor:
        for name in [*old_models, embedder.name]:
            for index in model_index_names(name):
                cursor.execute(f"DROP INDEX IF EXISTS {index}")
        cursor.execute("DELETE FROM ugc_assetembedding WHERE model <> %s", [embedder.name])
    connection.ensure_connection()
    register_vector(connection.connection)
    started = time.monotonic()
    done = 0
    while batch := list(missing.order_by("pk").values_list("pk", "caption", "hashtags")[:20_000]):
        vectors = embedder.embed_texts([f"{text}\n{' '.join(tags)}" for _, text, tags in batch])
        copy_insert(
            [
                AssetEmbedding(asset_id=pk, model=embedder.name, source_hash="bench", vector=v)
                for (pk, _, _), v in zip(batch, vectors, strict=True)
            ]
        )
        done += len(batch)
        print(f"  {done:,} rows ({time.monotonic() - started:.0f}s)", flush=True)


def _index_library() -> None:
    from ugc.search.indexes import ensure_model_indexes
    from ugc.services.embedders import default_embedder

    embedder = default_embedder()
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '2GB'")
        cursor.execute("SET max_parallel_maintenance_workers = 2")
        ensure_model_indexes(connection, embedder.name, embedder.dimensions)
        cursor.execute("VACUUM ANALYZE ugc_asset")
        cursor.execute("VACUUM ANALYZE ugc_assetembedding")


def p95(times: list[float]) -> float:
    return float(np.percentile(times, 95))


class Library:
    """The generated library, loaded once for every search benchmark of a run."""

    _loaded: Library | None = None

    @classmethod
    def get(cls) -> Library:
        if cls._loaded is None:
            cls._loaded = cls()
        return cls._loaded

    def __init__(self):
        from ugc.models import Asset, AssetEmbedding
        from ugc.services.embedders import default_embedder

        self.embedder = default_embedder()
        with bench_database(library_database()):
            build_library(library_size())
            rows = AssetEmbedding.objects.filter(model=self.embedder.name).values_list(
                "asset_id", "vector"
            )
            ids, vectors = [], []
            for asset_id, vector in rows.iterator(chunk_size=20_000):
                ids.append(asset_id)
                vectors.append(np.asarray(vector, dtype=np.float32))
            self.ids = np.array(ids)
            self.vectors = np.vstack(vectors)
            rare = set(
                Asset.objects.filter(source_platform=RARE_PLATFORM).values_list("id", flat=True)
            )
        self.rare_mask = np.array([i in rare for i in ids])
        rng = np.random.default_rng(7)
        self.queries = [caption(rng)[0] for _ in range(QUERIES)]
        self.query_vectors = self.embedder.embed_texts(self.queries)


def exact_top(lib: Library, query: np.ndarray, mask=None, k: int = 24) -> tuple[set, float]:
    started = time.perf_counter()
    vectors, ids = (lib.vectors, lib.ids) if mask is None else (lib.vectors[mask], lib.ids[mask])
    scores = vectors @ query
    top = np.argpartition(-scores, k)[:k]
    return set(ids[top].tolist()), time.perf_counter() - started


def run_vector_bench(name: str, filtered: bool, target_p95_ms: float) -> Result:
    from ugc.models import Asset
    from ugc.selectors.search import vector_hits

    lib = Library.get()
    assets = (
        Asset.objects.filter(source_platform=RARE_PLATFORM) if filtered else Asset.objects.all()
    )
    mask = lib.rare_mask if filtered else None
    times, exact_times, recalls = [], [], []
    with bench_database(library_database()):
        # Steady state, as on a server that has been answering searches: one untimed
        # pass brings the index pages these queries walk into shared buffers (the
        # numpy ceiling has all its vectors in memory too).
        for vector in lib.query_vectors:
            vector_hits(assets, vector, lib.embedder, 24)
        for vector in lib.query_vectors:
            started = time.perf_counter()
            hits = vector_hits(assets, vector, lib.embedder, 24)
            times.append(time.perf_counter() - started)
            truth, exact_time = exact_top(lib, vector, mask)
            exact_times.append(exact_time)
            recalls.append(len(truth & {asset_id for asset_id, _ in hits}) / 24)
    recall = float(np.mean(recalls))
    note = (
        f"p95 {p95(times) * 1000:.1f} ms (goal <= {target_p95_ms:g} ms), "
        f"recall@24 {recall:.3f} (goal >= 0.95), {len(lib.ids):,} vectors"
    )
    goals = p95(times) * 1000 <= target_p95_ms and recall >= 0.95
    return Result(
        name, p95(times), p95(exact_times), target_ratio=float("inf"), note=note, goals_met=goals
    )


@benchmark
def search_semantic_top24() -> Result:
    return run_vector_bench("search: semantic top-24", filtered=False, target_p95_ms=20)


@benchmark
def search_semantic_top24_filtered_1pct() -> Result:
    return run_vector_bench("search: semantic top-24, 1% filter", filtered=True, target_p95_ms=50)


@benchmark
def search_full_text_first_page() -> Result:
    from django.db.models import F

    from ugc.models import Asset
    from ugc.selectors.search import SearchRequest, query_terms, search, text_query

    lib = Library.get()
    words = [
        "linen dress",
        "leather boots",
        "beach",
        "golden necklace",
        "cozy blanket",
        "sneakers city",
        "ceramic mug",
        "silk scarf",
    ]
    times, plain_times = [], []
    with bench_database(library_database()):
        filtered = Asset.objects.filter(source_platform="instagram", quality_score__gte=0.3)
        search(filtered, SearchRequest(text=words[0]))  # warm
        for i in range(QUERIES):
            text = words[i % len(words)]
            started = time.perf_counter()
            search(filtered, SearchRequest(text=text, limit=24))
            times.append(time.perf_counter() - started)
            started = time.perf_counter()
            any_word = functools.reduce(
                operator.or_, (text_query(term, None) for term in query_terms(text))
            )
            list(
                filtered.filter(search_vector=any_word)
                .order_by(F("created_at").desc())
                .values_list("id", flat=True)[:24]
            )
            plain_times.append(time.perf_counter() - started)
    note = f"p95 {p95(times) * 1000:.1f} ms (goal <= 50 ms), {len(lib.ids):,} assets"
    return Result(
        "search: full text + filter, page 1",
        p95(times),
        p95(plain_times),
        target_ratio=float("inf"),
        note=note,
        goals_met=p95(times) * 1000 <= 50,
    )
