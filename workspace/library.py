"""The library screen's reads: the filtered set (the API's AssetFilter), search
(ugc.search, as /api/v1/assets/search), keyset pages and facet counts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Case, CharField, Count, Q, QuerySet, Value, When
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.api.pagination import BadCursor, decode_cursor, decode_offset, encode_cursor
from ugc import selectors
from ugc.api.filters import ORDERINGS, AssetFilter, asks_for_moderation_state
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
from ugc.selectors.search import SearchRequest, search
from workspace import estimates
from workspace.access import BadInput, int_param
from workspace.tiles import Tile, tiles_by_id

PAGE_SIZE = 48
SEARCH_DEPTH = 200  # a search shows its best hits, as the API's limit allows
DEFAULT_SORT = "-created_at"
BEST_MATCH = "relevance"  # a search's own order, its default
SORT_LABELS = {
    "-created_at": _("Newest added"),
    "created_at": _("Oldest added"),
    "-posted_at": _("Newest posted"),
    "-quality_score": _("Best quality"),
    "quality_score": _("Worst quality"),
}
# Quality buckets: the lower bound a facet link filters on (min_quality).
QUALITY_BUCKETS = (("high", 0.7), ("medium", 0.4), ("low", 0.0))
NOT_A_CURSOR = _("is not a cursor this page made")
QUALITY_LABELS = {
    "high": _("High quality"),
    "medium": _("Medium quality"),
    "low": _("Low quality"),
}


@dataclass
class Page:
    assets: list[Tile]
    next_cursor: str = ""
    matches: dict[int, str] = field(default_factory=dict)  # asset id -> how well it matched


@dataclass
class LibraryQuery:
    text: str = ""
    semantic: bool = False
    sort: str = DEFAULT_SORT
    cursor: str = ""
    size: int = PAGE_SIZE
    filtered: QuerySet[Asset] | None = None
    narrowed: bool = False  # any filter set (the search text aside)
    include_rejected: bool = False  # searches show rejected assets only when asked

    @property
    def searching(self) -> bool:
        return bool(self.text.strip())


def parse(params) -> LibraryQuery:
    """The screen's query string, checked: 400 naming the first bad parameter."""
    filterset = AssetFilter(data=params, queryset=Asset.objects.all())
    if not filterset.is_valid():
        name, messages = next(iter(filterset.errors.items()))
        raise BadInput(name, " ".join(messages))
    mode = params.get("mode") or "text"
    if mode not in ("text", "semantic"):
        raise BadInput("mode", gettext("text or semantic"))
    text = params.get("q", "")
    if len(text) > 500:
        raise BadInput("q", gettext("at most %(most)s characters") % {"most": 500})
    sort = _sort(params, searching=bool(text.strip()))
    return LibraryQuery(
        text=text,
        semantic=mode == "semantic",
        sort=sort,
        cursor=params.get("cursor", ""),
        size=int_param(params, "size", default=PAGE_SIZE, high=200),
        filtered=_rows_once(filterset.qs),
        narrowed=any(value not in (None, "", []) for value in filterset.form.cleaned_data.values()),
        include_rejected=asks_for_moderation_state(params),
    )


def _sort(params, *, searching: bool) -> str:
    """The order asked for: a search is by best match unless another is chosen; best
    match without a search means the library's default."""
    sort = (params.get("sort") or "").strip() or (BEST_MATCH if searching else DEFAULT_SORT)
    if sort == BEST_MATCH:
        return sort if searching else DEFAULT_SORT
    if sort.lstrip("-") not in ORDERINGS:
        names = {"best": BEST_MATCH, "names": ", ".join(sorted(ORDERINGS))}
        raise BadInput("sort", gettext("%(best)s or one of %(names)s, optionally with '-'") % names)
    return sort


def sort_labels(query: LibraryQuery) -> dict[str, str]:
    """The sort box's choices: "Best match" first while searching."""
    return ({BEST_MATCH: _("Best match")} if query.searching else {}) | SORT_LABELS


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
        value, last_id = _keyset(query.cursor, key)
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
    cursor = _cursor(*reversed(ids_and_keys[-1])) if more else ""
    return Page([by_id[pk] for pk, _ in ids_and_keys if pk in by_id], cursor)


def _search_page(query: LibraryQuery) -> Page:
    offset = _offset(query.cursor) if query.cursor else 0
    wanted = min(SEARCH_DEPTH, offset + query.size)
    # Another order than best match sorts all the best hits, then pages through them.
    depth = wanted if query.sort == BEST_MATCH else SEARCH_DEPTH
    part = "semantic" if query.semantic else "text"
    request = SearchRequest(
        **{part: query.text}, limit=depth, include_rejected=query.include_rejected
    )
    hits = _in_order(search(query.filtered, request), query)[offset:wanted]
    by_id = tiles_by_id([hit.asset_id for hit in hits])
    more = len(hits) == query.size and wanted < SEARCH_DEPTH
    return Page(
        [by_id[hit.asset_id] for hit in hits if hit.asset_id in by_id],
        encode_cursor({"o": wanted}) if more else "",
        {hit.asset_id: match_label(hit) for hit in hits},
    )


def match_label(hit) -> str:
    """How well a hit matched, for its tile: the share of the words, or of the meaning."""
    share = round(hit.relevance * 100)
    if "text" in hit.matched:
        if share >= 100:
            return gettext("All words")
        return gettext("%(share)s%% of the words") % {"share": share}
    return gettext("%(share)s%% match") % {"share": share}


def _in_order(hits: list, query: LibraryQuery) -> list:
    if query.sort == BEST_MATCH:
        return hits
    key, descending = _sort_key(query.sort)
    sign = "-" if descending else ""
    by_id = {hit.asset_id: hit for hit in hits}
    ordered = (
        selectors.with_sort_keys(Asset.objects.filter(pk__in=list(by_id)))
        .order_by(f"{sign}{key}", f"{sign}id")
        .values_list("id", flat=True)
    )
    return [by_id[pk] for pk in ordered]


def _decoded(cursor: str):
    try:
        return decode_cursor(cursor)
    except BadCursor as exc:
        raise BadInput("cursor", str(NOT_A_CURSOR)) from exc


def _cursor(value, last_id: int) -> str:
    if isinstance(value, datetime):
        value = value.isoformat()
    return encode_cursor({"v": value, "id": last_id})


def _keyset(cursor: str, key: str):
    data = _decoded(cursor)
    try:
        last_id, value = int(data["id"]), data["v"]
        if key in ("created_at", "posted_sort"):
            value = datetime.fromisoformat(value)
        elif key == "quality_sort":
            value = float(value)
    except (KeyError, TypeError, ValueError) as exc:
        raise BadInput("cursor", str(NOT_A_CURSOR)) from exc
    return value, last_id


def _offset(cursor: str) -> int:
    try:
        return decode_offset(cursor, most=SEARCH_DEPTH)
    except BadCursor as exc:
        raise BadInput("cursor", str(NOT_A_CURSOR)) from exc


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
    "moderation_state": _("Moderation"),
    "rights_state": _("Rights"),
    "processing_state": _("Processing"),
    "platform": _("Platform"),
    "media_type": _("Media"),
    "content_type": _("Content type"),
    "product_line": _("Product line"),
    "quality": _("Quality"),
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


# Query parameters that are not filters: no chip for them.
NOT_FILTERS = frozenset({"q", "mode", "sort", "cursor", "size"})


@dataclass
class FilterChip:
    title: str  # "Moderation"
    label: str  # "Approved"
    remove: str  # this page's query string without just this filter


def filter_chips(params, groups: list[FacetGroup]) -> list[FilterChip]:
    """One removable chip per filter value in force, named as its facet names it."""
    by_param = {group.param: group for group in groups}
    chips = []
    for name, values in params.lists():
        if name in NOT_FILTERS:
            continue
        group = by_param.get(name)
        for value in values:
            if not value:
                continue
            labels = {f.value: f.label for f in group.values} if group else {}
            title = group.title if group else name.replace("_", " ").capitalize()
            chips.append(FilterChip(title, labels.get(value, value), _without(params, name, value)))
    return chips


def _without(params, name: str, value: str) -> str:
    query = params.copy()
    query.pop("cursor", None)
    query.setlist(name, [v for v in query.getlist(name) if v != value])
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else "?"


def _quality_bucket():
    whens = [When(quality_score__gte=low, then=Value(name)) for name, low in QUALITY_BUCKETS]
    return Case(*whens, default=Value("unknown"), output_field=CharField())


def facet_groups(assets: QuerySet[Asset], *, whole_library: bool = False) -> list[FacetGroup]:
    """The facets shown beside the grid. The whole library's are estimated from the
    database's statistics once it is large (workspace.estimates says why)."""
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
    try:
        sql, params = inner.query.sql_with_params()
    except EmptyResultSet:  # a search with no hits: Django knows no row can match
        return {name: [] for name in [*FACETS, "product_line"]}
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
    for name, (column, *_rest) in FACETS.items():
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
    labels = FACETS[name][2]
    if name == "content_type":
        cats = ContentCategory.objects.in_bulk([value for value, _ in values])
        out = [FacetValue(cats[v].slug, cats[v].name, n) for v, n in values if v in cats]
    elif name == "quality":
        bounds = dict(QUALITY_BUCKETS)
        out = [
            FacetValue(str(bounds.get(v, "")), str(QUALITY_LABELS[v]), n)
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


NEW_SINCE = timedelta(days=1)


def arrivals(now: datetime | None = None) -> dict:
    """What came into the library since yesterday, however it came (collected, uploaded,
    imported): a count and the `created_after` value of the link that lists them. The
    moment is rounded down to the hour so the link stays the same for an hour."""
    since = ((now or timezone.now()) - NEW_SINCE).replace(minute=0, second=0, microsecond=0)
    return {
        "count": Asset.objects.filter(created_at__gte=since).count(),
        "created_after": since.isoformat(),
    }
