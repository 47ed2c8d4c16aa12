"""One search over the library: full text, semantic, "more like this", hybrid.

`search(assets, request)` takes the already-filtered asset queryset (the
filters live in ugc/selectors.py) and returns ranked hits, each saying which
part matched and how well. Text and semantic results are fused with
reciprocal rank fusion when both are asked for.

What a person sees is relevant or absent:
- rejected assets are left out unless the request asks for them (a coordinator
  filtering on moderation state);
- words rank partial matches: an asset with every word first, then those with
  fewer (coverage), each by ts_rank; web search syntax ("quoted", -not, or)
  keeps its exact meaning;
- a meaning whose nearest vectors are all far (nonsense) finds nothing: each
  model has a measured cut-off distance (`match_distance`);
- each hit carries a relevance in 0..1: the share of the words it matched, or
  the cosine similarity of its meaning.

Filtered vector search keeps its recall. pgvector before 0.8 filters after
the index scan, so a selective filter would leave a page nearly empty:
- a filter that leaves few rows (EXACT_SCAN_MAX, by the planner's estimate)
  gets an exact scan of just those rows (fast: a few thousand distances);
- a filter that keeps most of the library (BROAD_FILTER_SHARE: leaving out
  the rejected assets) barely thins the index's candidates: the index serves it;
- a broader filter uses the HNSW index with `hnsw.ef_search` raised so that
  enough candidates survive the filter;
- pgvector 0.8+ gets iterative index scans instead of the raised ef_search.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field

import numpy as np
from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection, transaction
from django.db.models import Case, F, IntegerField, QuerySet, Value, When

from core.database import pgvector_version
from ugc.models import Asset, AssetEmbedding, ModerationState
from ugc.search.embedding import TextEmbedder
from ugc.search.indexes import vector_expression
from ugc.services.embedders import search_embedder

RRF_K = 60  # the usual constant of reciprocal rank fusion
CANDIDATES = 200  # how deep each list goes before fusion
EXACT_SCAN_MAX = 100_000  # filtered rows below which an exact scan beats the index
BROAD_FILTER_SHARE = 0.5  # a filter keeping more of the library than this uses the index
EF_SEARCH_MIN = 160  # recall@24 0.93 at 100, 0.97 at 160 on the 1M-asset bench library
EF_SEARCH_MAX = 1000
# Weights of the full-text vector's D, C, B, A parts (caption C, handle/tags B, hashtags A).
RANK_WEIGHTS = [0.1, 0.3, 0.6, 1.0]
MAX_TERMS = 16  # words of a query counted for coverage; the rest still match
WEB_SYNTAX = re.compile(r'"|(^|\s)-\S|(^|\s)or(\s|$)', re.IGNORECASE)


@dataclass(frozen=True)
class SearchRequest:
    text: str = ""  # full-text query (web search syntax: "quoted", -not, or)
    semantic: str = ""  # a description to match by meaning
    like: int | None = None  # an asset id: "more like this"
    language: str | None = None  # the query's language, for stemming
    limit: int = 24
    include_rejected: bool = False  # a coordinator filtering on moderation state


@dataclass
class Hit:
    asset_id: int
    score: float
    matched: dict = field(default_factory=dict)  # part -> {"rank": n, "relevance": r, ...}
    relevance: float = 0.0  # the best part's: share of words matched, or cosine similarity


def search(
    assets: QuerySet[Asset], request: SearchRequest, *, embedder: TextEmbedder | None = None
) -> list[Hit]:
    """Ranked hits among `assets` for a request; empty request, no hits."""
    if not request.include_rejected:
        assets = assets.exclude(moderation_state=ModerationState.REJECTED)
    ranked: dict[str, list[tuple[int, float]]] = {}
    parts = sum(
        bool(x) for x in (request.text.strip(), request.semantic.strip(), request.like is not None)
    )
    # One part keeps its own order: no need to look deeper than the page.
    depth = max(CANDIDATES, request.limit) if parts > 1 else request.limit
    if request.text.strip():
        ranked["text"] = text_hits(assets, request.text, request.language, depth)
    if request.semantic.strip() or request.like is not None:
        embedder = embedder or search_embedder()
        if request.like is not None:
            ranked["similar"] = similar_hits(assets, request.like, embedder, depth)
        if request.semantic.strip():
            vector = embedder.embed_texts([request.semantic])[0]
            ranked["semantic"] = meaning_hits(assets, vector, embedder, depth)
    return fuse(ranked, request.limit)


def meaning_hits(
    assets: QuerySet[Asset], vector: np.ndarray, embedder: TextEmbedder, limit: int
) -> list[tuple[int, float]]:
    """The nearest assets that are near enough to be a match (none for nonsense)."""
    if not np.any(vector):
        return []
    cut_off = getattr(embedder, "match_distance", 2.0)
    hits = vector_hits(assets, vector, embedder, limit)
    return [(asset_id, distance) for asset_id, distance in hits if distance <= cut_off]


def fuse(ranked: dict[str, list[tuple]], limit: int) -> list[Hit]:
    """Reciprocal rank fusion; one list alone keeps its own order."""
    hits: dict[int, Hit] = {}
    for part, results in ranked.items():
        for rank, (asset_id, value, *coverage) in enumerate(results, start=1):
            hit = hits.setdefault(asset_id, Hit(asset_id, 0.0))
            hit.score += 1.0 / (RRF_K + rank)
            if part == "text":
                relevance = coverage[0] if coverage else 1.0
                details = {"score": round(float(value), 6)}
            else:
                relevance = max(0.0, 1.0 - float(value))
                details = {"distance": round(float(value), 6)}
            relevance = round(relevance, 4)
            hit.matched[part] = {"rank": rank, **details, "relevance": relevance}
            hit.relevance = max(hit.relevance, relevance)
    return sorted(hits.values(), key=lambda h: (-h.score, h.asset_id))[:limit]


# -- full text ---------------------------------------------------------------------


def text_query(text: str, language: str | None) -> SearchQuery:
    """The words as typed (any language) or stemmed in the query's language."""
    from ugc.services.search_index import search_config

    exact = SearchQuery(text, search_type="websearch", config="simple")
    return exact | SearchQuery(
        text, search_type="websearch", config=search_config(language or "en")
    )


def query_terms(text: str) -> list[str]:
    """The words any of which may match: one query when web search syntax is used,
    so that "quoted phrases", -exclusions and OR keep their meaning."""
    if WEB_SYNTAX.search(text):
        return [text]
    return list(dict.fromkeys(text.split()))


def text_hits(
    assets: QuerySet[Asset], text: str, language: str | None, limit: int
) -> list[tuple[int, float, float]]:
    """(id, ts_rank, coverage): the assets with any of the words, those with more of
    them first, each by rank."""
    terms = query_terms(text)
    counted = [text_query(term, language) for term in terms[:MAX_TERMS]]
    query = counted[0]
    for term_query in counted[1:] + [text_query(t, language) for t in terms[MAX_TERMS:]]:
        query = query | term_query
    rows = assets.filter(search_vector=query).annotate(
        text_rank=SearchRank(F("search_vector"), query, weights=RANK_WEIGHTS)
    )
    if len(counted) == 1:
        found = rows.order_by("-text_rank", "-id").values_list("id", "text_rank")[:limit]
        return [(pk, rank, 1.0) for pk, rank in found]
    coverage = sum(
        (
            Case(
                When(search_vector=q, then=Value(1)), default=Value(0), output_field=IntegerField()
            )
            for q in counted
        ),
        start=Value(0),
    )
    found = (
        rows.annotate(terms_found=coverage)
        .order_by("-terms_found", "-text_rank", "-id")
        .values_list("id", "text_rank", "terms_found")[:limit]
    )
    return [(pk, rank, n / len(counted)) for pk, rank, n in found]


# -- vectors -------------------------------------------------------------------------


@functools.cache
def _server_vector_version(alias: str) -> tuple[int, ...]:
    return pgvector_version(connection) or (0,)


def supports_iterative_scan() -> bool:
    return _server_vector_version(connection.alias) >= (0, 8, 0)


def _filter_sql(assets: QuerySet[Asset]) -> tuple[str, tuple] | None:
    """SQL for the ids the filters leave, or None when nothing is filtered."""
    if not assets.query.where:
        return None
    sql, params = assets.order_by().values("id").query.sql_with_params()
    return sql, params


def estimated_rows(sql: str, params: tuple) -> float:
    """The planner's estimate of a query's rows: cheap, no scan."""
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return float(plan[0]["Plan"]["Plan Rows"])


def _vector_literal(vector: np.ndarray) -> str:
    return "[" + ",".join(f"{x:.7g}" for x in np.asarray(vector, dtype=np.float32)) + "]"


def vector_hits(
    assets: QuerySet[Asset],
    vector: np.ndarray,
    embedder: TextEmbedder,
    limit: int,
    *,
    exclude: tuple[int, ...] = (),
) -> list[tuple[int, float]]:
    """Nearest assets by cosine distance among `assets`, keeping recall under filters."""
    filtered = _filter_sql(assets)
    with transaction.atomic(), connection.cursor() as cursor:
        rows = estimated_rows(*filtered) if filtered is not None else None
        total = max(_estimated_embeddings(embedder.name), 1.0) if rows is not None else 1.0
        if rows is not None and rows <= EXACT_SCAN_MAX and rows < BROAD_FILTER_SHARE * total:
            # Serial: parallel workers would ship each candidate's vector through a
            # queue, which cost more than the few thousand distances themselves.
            cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
            cursor.execute(*exact_scan(assets, vector, embedder, limit, exclude=exclude))
            return _rows(cursor)
        if rows is not None and supports_iterative_scan():
            cursor.execute("SET LOCAL hnsw.iterative_scan = strict_order")
        else:
            share = 1.0 if rows is None else min(1.0, rows / total)
            ef = int(min(EF_SEARCH_MAX, max(EF_SEARCH_MIN, 4 * limit / share)))
            cursor.execute(f"SET LOCAL hnsw.ef_search = {ef}")
        sql, params = _candidates(assets, vector, embedder, exclude)
        expr, query_vector = _distance_parts(embedder)
        cursor.execute(
            f"{sql} ORDER BY {expr} <=> {query_vector} LIMIT %s",
            [*params, _vector_literal(vector), limit],
        )
        hits = _rows(cursor)
        if len(hits) < limit:
            # The graph walk ran dry (a filter, or a hard corner of the space):
            # a short page is wrong when more rows match, so count them exactly.
            cursor.execute(*exact_scan(assets, vector, embedder, limit, exclude=exclude))
            hits = _rows(cursor)
        return hits


def exact_scan(
    assets: QuerySet[Asset],
    vector: np.ndarray,
    embedder: TextEmbedder,
    limit: int,
    *,
    exclude: tuple[int, ...] = (),
) -> tuple[str, list]:
    """SQL and parameters of the exact top-`limit` among `assets`.

    Each distance is exact and computed once: the subquery (kept apart by OFFSET 0)
    cannot be served by the HNSW index, and the outer ORDER BY sorts its output. Under
    a filter, the plan probes the embeddings by asset id for the filtered assets only.
    """
    sql, params = _candidates(assets, vector, embedder, exclude)
    return (
        f"SELECT asset_id, distance FROM ({sql} OFFSET 0) AS candidates "  # noqa: S608 (as below)
        "ORDER BY distance, asset_id LIMIT %s",
        [*params, limit],
    )


def _distance_parts(embedder: TextEmbedder) -> tuple[str, str]:
    """The indexed expression and the query vector's placeholder, in one dimension."""
    return vector_expression(embedder.dimensions), f"%s::vector({int(embedder.dimensions)})"


def _candidates(
    assets: QuerySet[Asset], vector: np.ndarray, embedder: TextEmbedder, exclude: tuple[int, ...]
) -> tuple[str, list]:
    """SELECT asset_id, distance of the model's vectors among `assets`, unordered."""
    expr, query_vector = _distance_parts(embedder)
    params: list = [_vector_literal(vector), embedder.name]
    sql = (
        f"SELECT e.asset_id, {expr} <=> {query_vector} AS distance "  # noqa: S608 (integers)
        "FROM ugc_assetembedding e WHERE e.model = %s"
    )
    filtered = _filter_sql(assets)
    if filtered is not None:
        sql += f" AND e.asset_id IN ({filtered[0]})"
        params += list(filtered[1])
    if exclude:
        sql += " AND e.asset_id <> ALL(%s)"
        params.append(list(exclude))
    return sql, params


def _rows(cursor) -> list[tuple[int, float]]:
    return [(asset_id, float(distance)) for asset_id, distance in cursor.fetchall()]


def _estimated_embeddings(model: str) -> float:
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'ugc_assetembedding'")
        row = cursor.fetchone()
    estimate = float(row[0]) if row else -1.0
    if estimate < 0:  # never analysed: count, the table is small then
        return float(AssetEmbedding.objects.filter(model=model).count())
    return estimate


def near_duplicate_ids(asset: Asset) -> set[int]:
    """The asset's near-duplicate group: its original and every copy of either."""
    root = asset.duplicate_of_id or asset.pk
    group = set(Asset.objects.filter(duplicate_of_id=root).values_list("id", flat=True))
    return group | {root, asset.pk}


def similar_hits(
    assets: QuerySet[Asset], asset_id: int, embedder: TextEmbedder, limit: int
) -> list[tuple[int, float]]:
    """More like this: nearest neighbours of an asset, without its near-duplicates."""
    try:
        asset = Asset.objects.get(pk=asset_id)
        vector = AssetEmbedding.objects.get(asset=asset, model=embedder.name).vector
    except (Asset.DoesNotExist, AssetEmbedding.DoesNotExist):
        return []
    return vector_hits(
        assets,
        np.asarray(vector),
        embedder,
        limit,
        exclude=tuple(sorted(near_duplicate_ids(asset))),
    )
