"""The library screen's reads: the filtered set (the API's AssetFilter), search
(ugc.search, as /api/v1/assets/search), keyset pages and facet counts."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from datetime import datetime

from django.db import connection
from django.db.models import Case, CharField, Count, Q, QuerySet, Value, When

from ugc import selectors
from ugc.api.filters import ORDERINGS, AssetFilter
from ugc.models import (
    Asset,
    ContentCategory,
    MediaType,
    ModerationState,
    Platform,
    ProcessingState,
    ProductLineTag,
    RightsState,
)
from ugc.search.query import SearchRequest, search
from ugc.workspace import estimates
from ugc.workspace.access import BadInput, int_param
from ugc.workspace.tiles import Tile, tiles_by_id

PAGE_SIZE = 48
SEARCH_DEPTH = 200  # a search shows its best hits, as the API's limit allows
DEFAULT_SORT = "-created_at"
SORT_LABELS = {
    "-created_at": "Newest added",
    "created_at": "Oldest added",
    "-posted_at": "Newest posted",
    "-quality_score": "Best quality",
    "quality_score": "Worst quality",
}
# Quality buckets: the lower bound a facet link filters on (min_quality).
QUALITY_BUCKETS = (("high", 0.7), ("medium", 0.4), ("low", 0.0))


@dataclass
class Page:
    assets: list[Tile]
    next_cursor: str = ""
    hits: dict[int, dict] = field(default_factory=dict)  # asset id -> what matched


@dataclass
class LibraryQuery:
    text: str = ""
    semantic: bool = False
    sort: str = DEFAULT_SORT
    cursor: str = ""
    size: int = PAGE_SIZE
    filtered: QuerySet[Asset] | None = None
    narrowed: bool = False  # any filter set (the search text aside)

    @property
    def searching(self) -> bool:
        return bool(self.text.strip())


def parse(params) -> LibraryQuery:
    """The screen's query string, checked: 400 naming the first bad parameter."""
    filterset = AssetFilter(data=params, queryset=Asset.objects.all())
    if not filterset.is_valid():
        name, messages = next(iter(filterset.errors.items()))
        raise BadInput(name, " ".join(messages))
    sort = (params.get("sort") or DEFAULT_SORT).strip()
    if sort.lstrip("-") not in ORDERINGS:
        raise BadInput("sort", f"one of {', '.join(sorted(ORDERINGS))}, optionally with '-'")
    mode = params.get("mode") or "text"
    if mode not in ("text", "semantic"):
        raise BadInput("mode", "text or semantic")
    text = params.get("q", "")
    if len(text) > 500:
        raise BadInput("q", "at most 500 characters")
    return LibraryQuery(
        text=text,
        semantic=mode == "semantic",
        sort=sort,
        cursor=params.get("cursor", ""),
        size=int_param(params, "size", default=PAGE_SIZE, high=200),
        filtered=_rows_once(filterset.qs),
        narrowed=any(value not in (None, "", []) for value in filterset.form.cleaned_data.values()),
    )


def _rows_once(assets: QuerySet[Asset]) -> QuerySet[Asset]:
    """The filtered set without the DISTINCT that django-filter's multiple-choice filters
    add. Every filter here is on the asset's own columns, a to-one relation or an EXISTS,
    so no asset can appear twice; the DISTINCT only cost a sort, and it made the facet
    counts wrong, since it merged assets with the same facet values into one row."""
    assets = assets.all()
    assets.query.distinct = False
    return assets


# -- pages ------------------------------------------------------------------------------


def page(query: LibraryQuery) -> Page:
    if query.searching:
        return _search_page(query)
    return _keyset_page(query)


def _sort_key(sort: str) -> tuple[str, bool]:
    return ORDERINGS[sort.lstrip("-")], sort.startswith("-")


def _keyset_page(query: LibraryQuery) -> Page:
    key, descending = _sort_key(query.sort)
    sign = "-" if descending else ""
    assets = selectors.with_sort_keys(query.filtered)
    if query.cursor:
        value, last_id = decode_cursor(query.cursor, key)
        beyond = "lt" if descending else "gt"
        after = Q(**{f"id__{beyond}": last_id})
        if key != "id":
            after = Q(**{f"{key}__{beyond}": value}) | (Q(**{key: value}) & after)
        assets = assets.filter(after)
    ordering = (f"{sign}id",) if key == "id" else (f"{sign}{key}", f"{sign}id")
    ids_and_keys = list(assets.order_by(*ordering).values_list("id", key)[: query.size + 1])
    more = len(ids_and_keys) > query.size
    ids_and_keys = ids_and_keys[: query.size]
    by_id = tiles_by_id([pk for pk, _ in ids_and_keys])
    cursor = encode_cursor(*reversed(ids_and_keys[-1])) if more else ""
    return Page([by_id[pk] for pk, _ in ids_and_keys if pk in by_id], cursor)


def _search_page(query: LibraryQuery) -> Page:
    offset = decode_offset(query.cursor) if query.cursor else 0
    wanted = min(SEARCH_DEPTH, offset + query.size)
    request = (
        SearchRequest(semantic=query.text, limit=wanted)
        if query.semantic
        else SearchRequest(text=query.text, limit=wanted)
    )
    hits = search(query.filtered, request)[offset:wanted]
    by_id = tiles_by_id([hit.asset_id for hit in hits])
    more = len(hits) == query.size and wanted < SEARCH_DEPTH
    return Page(
        [by_id[hit.asset_id] for hit in hits if hit.asset_id in by_id],
        _b64({"o": wanted}) if more else "",
        {hit.asset_id: hit.matched for hit in hits},
    )


def _b64(data) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


def _unb64(cursor: str):
    try:
        return json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error) as exc:
        raise BadInput("cursor", "is not a cursor this page made") from exc


def encode_cursor(value, last_id: int) -> str:
    if isinstance(value, datetime):
        value = value.isoformat()
    return _b64({"v": value, "id": last_id})


def decode_cursor(cursor: str, key: str):
    data = _unb64(cursor)
    try:
        last_id, value = int(data["id"]), data["v"]
        if key in ("created_at", "posted_sort"):
            value = datetime.fromisoformat(value)
        elif key == "quality_sort":
            value = float(value)
    except (KeyError, TypeError, ValueError) as exc:
        raise BadInput("cursor", "is not a cursor this page made") from exc
    return value, last_id


def decode_offset(cursor: str) -> int:
    data = _unb64(cursor)
    offset = data.get("o") if isinstance(data, dict) else None
    if not isinstance(offset, int) or not 0 <= offset <= SEARCH_DEPTH:
        raise BadInput("cursor", "is not a cursor this page made")
    return offset


# -- facets -------------------------------------------------------------------------------

# facet -> (column of the grouped query, filter parameter, labels)
FACETS = {
    "platform": ("source_platform", "platform", dict(Platform.choices)),
    "media_type": ("media_type", "media_type", dict(MediaType.choices)),
    "moderation_state": ("moderation_state", "moderation_state", dict(ModerationState.choices)),
    "rights_state": ("rights_state", "rights_state", dict(RightsState.choices)),
    "processing_state": ("processing_state", "processing_state", dict(ProcessingState.choices)),
    "content_type": ("content_type_id", "content_type", {}),
    "quality": ("quality_bucket", "min_quality", {}),
}
PRODUCT_LINE_FACET_SIZE = 15


FACET_TITLES = {
    "moderation_state": "Moderation",
    "rights_state": "Rights",
    "processing_state": "Processing",
    "platform": "Platform",
    "media_type": "Media",
    "content_type": "Content type",
    "product_line": "Product line",
    "quality": "Quality",
}


@dataclass
class FacetGroup:
    title: str
    param: str  # the filter parameter its links set
    values: list
    estimated: bool = False


@dataclass
class FacetValue:
    value: str  # what the filter parameter takes
    label: str
    count: int


def _quality_bucket():
    whens = [When(quality_score__gte=low, then=Value(name)) for name, low in QUALITY_BUCKETS]
    return Case(*whens, default=Value("unknown"), output_field=CharField())


def facet_groups(assets: QuerySet[Asset], *, whole_library: bool = False) -> list[FacetGroup]:
    """The facets shown beside the grid. The whole library's are estimated from the
    database's statistics once it is large (ugc.workspace.estimates says why)."""
    estimated = estimated_facet_counts() if whole_library else None
    counts = estimated or facet_counts(assets)
    if estimated:
        counts["product_line"] = product_line_counts(assets)
    params = {name: param for name, (_, param, _) in FACETS.items()} | {
        "product_line": "product_line"
    }
    return [
        FacetGroup(title, params[name], counts[name], bool(estimated) and name != "product_line")
        for name, title in FACET_TITLES.items()
        if counts[name]
    ]


def facet_counts(assets: QuerySet[Asset]) -> dict[str, list[FacetValue]]:
    """Counts per facet over the filtered set: one scan with GROUPING SETS, one
    query for content-type names and one for product lines, whatever the size."""
    columns = [column for column, _, _ in FACETS.values()]
    inner = assets.order_by().annotate(quality_bucket=_quality_bucket()).values(*columns)
    sql, params = inner.query.sql_with_params()
    groupings = ", ".join(f"GROUPING({c})" for c in columns)
    sets = ", ".join(f"({c})" for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(columns)}, {groupings}, count(*) "  # noqa: S608 (our names)
            f"FROM ({sql}) AS filtered GROUP BY GROUPING SETS ({sets})",
            params,
        )
        rows = cursor.fetchall()
    raw: dict[str, list[tuple]] = {name: [] for name in FACETS}
    names = list(FACETS)
    width = len(columns)
    for row in rows:
        grouped = [i for i in range(width) if row[width + i] == 0]
        if len(grouped) == 1 and row[grouped[0]] is not None:
            raw[names[grouped[0]]].append((row[grouped[0]], row[-1]))
    facets = {name: _labelled(name, values) for name, values in raw.items()}
    facets["product_line"] = product_line_counts(assets)
    return facets


def estimated_facet_counts() -> dict[str, list[FacetValue]] | None:
    """Counts per facet for the whole library from ANALYZE's statistics; None while the
    library is small enough to count exactly, or has not been analysed yet."""
    total = estimates.estimated_rows(Asset._meta.db_table)
    if total < estimates.ESTIMATE_FROM_ASSETS:
        return None
    columns = [column for column, _, _ in FACETS.values() if column != "quality_bucket"]
    stats = estimates.column_stats(Asset._meta.db_table, [*columns, "quality_score"])
    if not stats:
        return None
    raw: dict[str, list[tuple]] = {name: [] for name in FACETS}
    for name, (column, _, _) in FACETS.items():
        if column in stats:
            shares = stats[column].common.items()
            raw[name] = [(_stat_value(column, value), share * total) for value, share in shares]
    if "quality_score" in stats:
        raw["quality"] = _quality_estimates(stats["quality_score"], total)
    return {name: _labelled(name, _rounded(values)) for name, values in raw.items()}


def _stat_value(column: str, value: str):
    # pg_stats hands every value back as text; a foreign key is looked up by its integer.
    return int(value) if column.endswith("_id") else value


def _quality_estimates(stats: estimates.ColumnStats, total: int) -> list[tuple]:
    at_least = [stats.share_at_least(low) for _, low in QUALITY_BUCKETS]
    above = [0.0, *at_least[:-1]]  # the share already counted in the better buckets
    return [
        (name, (share - better) * total)
        for (name, _), share, better in zip(QUALITY_BUCKETS, at_least, above, strict=True)
    ]


def _rounded(values: list[tuple]) -> list[tuple]:
    """Three significant figures, as much as a sampled estimate can claim."""
    rounded = [(value, _three_figures(count)) for value, count in values]
    return [(value, count) for value, count in rounded if count >= 1]


def _three_figures(count: float) -> int:
    return int(round(count, min(0, 3 - len(str(int(count))))))


def _labelled(name: str, values: list[tuple]) -> list[FacetValue]:
    _, _, labels = FACETS[name]
    if name == "content_type":
        cats = ContentCategory.objects.in_bulk([value for value, _ in values])
        out = [FacetValue(cats[v].slug, cats[v].name, n) for v, n in values if v in cats]
    elif name == "quality":
        bounds = dict(QUALITY_BUCKETS)
        out = [
            FacetValue(str(bounds.get(v, "")), f"{v.title()} quality", n)
            for v, n in values
            if v in bounds
        ]
    else:
        out = [FacetValue(str(v), labels.get(v, str(v)), n) for v, n in values]
    return sorted(out, key=lambda f: (-f.count, f.label))


def product_line_counts(assets: QuerySet[Asset]) -> list[FacetValue]:
    rows = (
        ProductLineTag.objects.filter(asset__in=assets.order_by().values("pk"), accepted=True)
        .values("product_line__slug", "product_line__name")
        .annotate(n=Count("asset_id"))
        .order_by("-n", "product_line__name")[:PRODUCT_LINE_FACET_SIZE]
    )
    return [FacetValue(r["product_line__slug"], r["product_line__name"], r["n"]) for r in rows]
