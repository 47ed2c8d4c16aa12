"""The analyst's dashboard (workspace screen 6), mounted at /workspace/dashboard/.

Thin over analytics.selectors and ugc's engagement summary: this module reads the
query (dates, site, attribution model), asks the selectors, and lays their
numbers out as sections. A section is one table of rows; the page draws its
charts from those rows and its CSV is those rows again, so chart, table and CSV
cannot disagree. No KPI is computed here.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from urllib.parse import urlencode

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET

from analytics import selectors
from analytics.api.kpis import MAX_DAYS
from analytics.kpis import Period
from analytics.services.attribution_runs import MODEL_NAMES
from analytics.services.experiments import experiment_results
from ugc import selectors as ugc_selectors
from ugc.models import Site
from ugc.workspace.access import BadInput, int_param, reader_required
from ugc.workspace.tiles import image as tile_image

PRESETS = (7, 30, 90)
DEFAULT_DAYS = 30
TOP = 10
ASSISTED = "assisted"
MODEL_LABELS = {
    ASSISTED: "UGC-assisted (rollup, not a model)",
    **{name: name.replace("_", " ").capitalize() for name in MODEL_NAMES},
}
MISSING = "—"


# -- the query: what the URL says -----------------------------------------------------------


@dataclass(frozen=True)
class DashboardQuery:
    period: Period
    site_id: int | None
    model: str
    currency: str | None

    def slice(self) -> selectors.Slice:
        return selectors.Slice("all", None, self.site_id, self.currency)

    # Read once per request, shared by the sections that show them: the funnel and the
    # day-by-day chart sum the same days; the two rankings group the same rows.
    @cached_property
    def days(self) -> dict:
        return selectors.funnel_days(self.slice(), self.period)

    def shown_days(self) -> dict:
        """The day-by-day chart's days: those the funnel read (on the page), or on their
        own only this period's (its CSV need not read the previous period too)."""
        if "days" in self.__dict__:
            return self.days
        return selectors.daily_counters(self.slice(), self.period, visitors=False)

    @cached_property
    def rankings(self) -> dict[str, list[dict]]:
        return selectors.rankings(self.slice(), self.period, TOP)

    def params(self, **override) -> dict:
        state = {
            "from": self.period.start.isoformat(),
            "to": self.period.end.isoformat(),
            "site": self.site_id or "",
            "model": self.model,
            **override,
        }
        return {key: value for key, value in state.items() if value not in ("", None)}

    def querystring(self, **override) -> str:
        return urlencode(self.params(**override))


def _day(data, name: str, default: date) -> date:
    raw = (data.get(name) or "").strip()
    if not raw:
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        raise BadInput(name, f"must be a date as YYYY-MM-DD, not {raw[:40]!r}") from exc


def _today() -> date:
    return timezone.now().astimezone(UTC).date()


def _period(data) -> Period:
    end = _day(data, "to", _today())
    start = _day(data, "from", end - timedelta(days=DEFAULT_DAYS - 1))
    if end < start:
        raise BadInput("to", "must be on or after from")
    if (end - start).days >= MAX_DAYS:
        raise BadInput("to", f"a range is at most {MAX_DAYS} days")
    return Period(start, end)


def _site(data, sites: list[Site]) -> int | None:
    if not (data.get("site") or "").strip():
        return None
    site_id = int_param(data, "site")
    if site_id not in {site.pk for site in sites}:
        raise BadInput("site", f"there is no site {site_id}")
    return site_id


def _model(data) -> str:
    model = (data.get("model") or ASSISTED).strip()
    if model not in MODEL_LABELS:
        raise BadInput("model", f"must be one of: {', '.join(MODEL_LABELS)}")
    return model


def parse_query(data, sites: list[Site]) -> DashboardQuery:
    period = _period(data)
    site_id, model = _site(data, sites), _model(data)
    return DashboardQuery(period, site_id, model, selectors.main_currency(period))


# -- sections: rows, their columns, and the charts drawn from them -------------------------


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "count"  # count, rate, change, money, ratio, text, date, asset


@dataclass
class Section:
    slug: str
    title: str
    columns: list[Column]
    rows: list[dict]
    note: str = ""
    empty: str = "No data in this range."
    charts: list[dict] = field(default_factory=list)
    open: bool = True  # the table shown, or folded under its chart

    def identified_charts(self) -> list[dict]:
        return [
            {"id": f"chart-{self.slug}-{n}", "spec": spec} for n, spec in enumerate(self.charts)
        ]

    def body(self) -> SafeString:
        # The table's rows as HTML, written here: a 90-day table is hundreds of cells,
        # and the template's loops and lookups over them cost more than the queries.
        return mark_safe(  # noqa: S308 (every value below is escaped by _cell)
            "".join(
                "<tr>"
                + "".join(
                    _cell(column, row, "th" if n == 0 else "td")
                    for n, column in enumerate(self.columns)
                )
                + "</tr>\n      "
                for row in self.rows
            )
        )


MISSING_CELL = '<span aria-hidden="true">—</span><span class="visually-hidden">no data</span>'


def _cell(column: Column, row: dict, tag: str) -> str:
    value = row.get(column.key)
    scope = ' scope="row"' if tag == "th" else ""
    if column.kind == "asset" and row.get("asset") is not None:
        content = _asset_link(row, _display(column.kind, value))
    elif value is None:
        content = MISSING_CELL
    else:
        content = escape(_display(column.kind, value))
    return f'<{tag}{scope} class="k-{escape(column.kind)}">{content}</{tag}>'


def _asset_link(row: dict, text: str) -> str:
    found = tile_image(row["asset"])
    image = ""
    if found is not None:
        height = _width_ratio(found.height, found.width, 32)
        image = (
            f'<img src="{escape(found.url)}" alt="" width="32" height="{height}" loading="lazy">'
        )
    return f'<a href="{escape(row.get("href"))}" class="asset-cell">{image}{escape(text)}</a>'


def _width_ratio(value, max_value, max_width: int) -> str:
    """As the template tag widthratio: value / max_value * max_width, rounded."""
    try:
        return str(round(float(value) / float(max_value) * max_width))
    except ZeroDivisionError:
        return "0"
    except (ValueError, TypeError, OverflowError):
        return ""


def _display(kind: str, value) -> str:
    if value is None:
        return MISSING
    formats = {
        "count": lambda v: f"{v:,.0f}",
        "rate": lambda v: f"{float(v) * 100:.2f} %",
        "change": lambda v: f"{float(v) * 100:+.1f} %",
        "money": lambda v: f"{v:,.2f}",
        "ratio": lambda v: f"{float(v):.2f} x",
        "decimal": lambda v: f"{float(v):.4g}",
    }
    return formats.get(kind, str)(value)


def _chart(kind: str, title: str, label_key: str, series, rows, *, percent=False) -> dict:
    """A Chart.js description of some of a section's columns (`series`: key, label)."""
    return {
        "type": kind,
        "title": title,
        "percent": percent,
        "labels": [str(row.get(label_key)) for row in rows],
        "datasets": [
            {"label": label, "data": [_number(_value(row, key)) for row in rows]}
            for key, label in series
        ],
    }


def _number(value):
    if isinstance(value, tuple):  # a floating bar: (low, high)
        return None if None in value else [float(v) for v in value]
    return None if value is None else float(value)


def _value(row: dict, key):
    return tuple(row.get(k) for k in key) if isinstance(key, tuple) else row.get(key)


def _money_label(query: DashboardQuery, label: str) -> str:
    return f"{label} ({query.currency})" if query.currency else label


def funnel_section(query: DashboardQuery) -> Section:
    rows = selectors.funnel_steps(query.slice(), query.period, query.days)
    previous = query.period.previous()
    return Section(
        "funnel",
        "Funnel: awareness → consideration → purchase",
        [
            Column("step", "Step", "text"),
            Column("stage", "Stage", "text"),
            Column("count", "This period"),
            Column("rate_from_previous_step", "Rate from the step before", "rate"),
            Column("previous_count", f"Previous period ({previous.start} to {previous.end})"),
            Column("change_vs_previous_period", "Change", "change"),
        ],
        rows,
        note="Impressions of gallery assets, clicks on them, storefront sessions and "
        "orders. The previous period is the same number of days just before.",
        charts=[
            _chart(
                "bar",
                "This period against the previous one",
                "step",
                [("count", "This period"), ("previous_count", "Previous period")],
                rows,
            )
        ],
    )


def _days(period: Period):
    return (period.start + timedelta(days=n) for n in range(period.days))


def timeseries_section(query: DashboardQuery) -> Section:
    found = {
        # The section shows no reach: the days are read without distinct visitors.
        entry["day"]: entry["kpis"]
        for entry in selectors.timeseries(query.slice(), query.period, days=query.shown_days())
    }
    rows = [_day_row(day, found.get(day)) for day in _days(query.period)]
    counts = [("impressions", "Impressions"), ("clicks", "Clicks"), ("conversions", "Orders")]
    return Section(
        "timeseries",
        "Day by day",
        [
            Column("day", "Day", "date"),
            Column("impressions", "Impressions"),
            Column("clicks", "Clicks"),
            Column("click_through_rate", "CTR", "rate"),
            Column("conversions", "Orders"),
            Column("revenue", _money_label(query, "Net revenue"), "money"),
        ],
        rows,
        note="A dash is a day with no data. Orders and revenue are all the shop's orders "
        "in the period's main currency.",
        charts=[
            _chart("line", "Impressions, clicks and orders", "day", counts, rows),
            _chart(
                "line",
                "Click-through rate",
                "day",
                [("click_through_rate", "CTR")],
                rows,
                percent=True,
            ),
            _chart(
                "line",
                _money_label(query, "Net revenue"),
                "day",
                [("revenue", "Net revenue")],
                rows,
            ),
        ],
        open=False,
    )


def _day_row(day: date, kpis: dict | None) -> dict:
    if kpis is None:
        return {"day": day}
    return {
        "day": day,
        "impressions": kpis["awareness"]["impressions"],
        "clicks": kpis["consideration"]["clicks"],
        "click_through_rate": kpis["consideration"]["click_through_rate"],
        "conversions": kpis["purchase"]["orders"],
        "revenue": kpis["purchase"]["net_revenue"],
    }


RANKED_COLUMNS = [
    Column("impressions", "Impressions"),
    Column("clicks", "Clicks"),
    Column("click_through_rate", "CTR", "rate"),
    Column("ugc_assisted_orders", "UGC-assisted orders"),
    Column("ugc_assisted_revenue", "UGC-assisted revenue", "money"),
]
ASSISTED_NOTE = (
    "Measure: UGC-assisted revenue from the daily rollup — the net revenue of orders whose "
    "buyer clicked the asset in the look-back window before ordering, each order counted in "
    "full for every asset it touched (not shares of credit; a gallery sums its assets)."
)


def _no_run(query: DashboardQuery, what: str) -> str:
    return (
        f"No {MODEL_LABELS[query.model].lower()} attribution run exists for "
        f"{query.period.start} to {query.period.end}, so there are no attributed {what} "
        f"to show. Choose “UGC-assisted” to see the rollup's measure."
    )


def top_assets_section(query: DashboardQuery) -> Section:
    section = Section(
        "top-assets",
        "Top assets by revenue",
        [
            Column("label", "Asset", "asset"),
            Column("platform", "Platform", "text"),
            *RANKED_COLUMNS,
        ],
        [],
    )
    if query.model != ASSISTED:
        return _attributed(section, query, "asset", "assets")
    section.rows = [_asset_row(row) for row in query.rankings["assets"]]
    section.note = ASSISTED_NOTE
    section.charts = [_revenue_chart(section.rows, query)]
    return section


CREDITED_COLUMNS = [
    Column("conversions", "Credited orders", "decimal"),
    Column("value", "Credited revenue", "money"),
]


def _attributed(section: Section, query: DashboardQuery, level: str, what: str) -> Section:
    """The section's ranking by the chosen model's latest finished run over this range."""
    run = selectors.finished_runs(query.period, level).get(query.model)
    if run is None:
        section.empty = _no_run(query, what)
        return section
    rows = selectors.attributed_ranking(run, level, TOP)
    if level == "asset":
        assets = _assets([int(row["key"]) for row in rows if row["key"].isdigit()])
        rows = [
            _asset_row({**row, "asset_id": row["key"], "asset": assets.get(row["key"])})
            for row in rows
        ]
    else:
        rows = [{**row, "label": row["key"]} for row in rows]
    section.columns = section.columns[:1] + CREDITED_COLUMNS
    section.rows = rows
    section.note = (
        f"Measure: revenue credited by the {MODEL_LABELS[query.model].lower()} model "
        f"(run {run.pk}, {run.currency or 'its currency'}): each order's value split among "
        "the touches before it, so the credits add up to the orders' value."
    )
    section.charts = [
        _chart("bar", "Credited revenue", "label", [("value", "Credited revenue")], rows)
    ]
    return section


def _assets(ids: list[int]) -> dict[str, object]:
    return {str(asset.pk): asset for asset in selectors.assets_for_ranking(ids)}


def _asset_row(row: dict) -> dict:
    asset = row["asset"]
    handle = f" @{asset.creator.handle}" if asset and asset.creator else ""
    return {
        **row,
        "label": f"#{row['asset_id']}{handle}",
        "platform": asset.source_platform if asset else None,
        "href": f"/workspace/assets/{row['asset_id']}",
    }


def _revenue_chart(rows: list[dict], query: DashboardQuery) -> dict:
    series = [("ugc_assisted_revenue", _money_label(query, "UGC-assisted revenue"))]
    return _chart("bar", "UGC-assisted revenue", "label", series, rows)


def top_galleries_section(query: DashboardQuery) -> Section:
    section = Section(
        "top-galleries",
        "Top galleries by revenue",
        [Column("label", "Gallery", "text"), Column("gallery_views", "Views"), *RANKED_COLUMNS],
        [],
    )
    if query.model != ASSISTED:
        return _attributed(section, query, "gallery", "galleries")
    rows = query.rankings["galleries"]
    section.rows = [{**row, "label": _gallery_label(row)} for row in rows]
    section.note = ASSISTED_NOTE
    section.charts = [_revenue_chart(section.rows, query)]
    return section


def _gallery_label(row: dict) -> str:
    return f"{row['title']} ({row['gallery']})" if row["title"] else row["gallery"]


def models_section(query: DashboardQuery) -> Section:
    models, rows = selectors.models_side_by_side(query.period)
    series = [(model, MODEL_LABELS[model]) for model in models if model in MODEL_LABELS]
    return Section(
        "models",
        "Attribution models side by side",
        [Column("key", "Channel", "text")] + [Column(k, label, "money") for k, label in series],
        rows,
        note="Revenue each model credits each channel, from each model's latest finished "
        f"run over exactly {query.period.start} to {query.period.end}.",
        empty=f"No attribution run exists for {query.period.start} to {query.period.end}: "
        "there is nothing to compare yet.",
        charts=[_chart("bar", "Credited revenue by channel", "key", series, rows)],
    )


def engagement_section(query: DashboardQuery) -> Section:
    since = datetime.combine(query.period.start, datetime.min.time(), tzinfo=UTC)
    rows = ugc_selectors.engagement_summary(None, since)
    return Section(
        "engagement",
        "Platform engagement against the benchmarks",
        [
            Column("platform", "Platform", "text"),
            Column("posts", "Posts"),
            Column("impressions", "Impressions"),
            Column("engagements", "Engagements"),
            Column("engagement_rate", "Engagement rate", "rate"),
            Column("median_post_rate", "Median post", "rate"),
            Column("benchmark_median_rate", "Benchmark median (Rival IQ)", "rate"),
            Column("vs_benchmark", "Against the benchmark", "ratio"),
        ],
        rows,
        note=f"Each post's latest platform snapshot taken since {query.period.start}; "
        "engagements are likes, comments, saves and shares, divided by impressions.",
        empty="No engagement snapshots were imported in this range.",
        charts=[
            _chart(
                "bar",
                "Engagement rate against the benchmark",
                "platform",
                [("engagement_rate", "Engagement rate"), ("benchmark_median_rate", "Benchmark")],
                rows,
                percent=True,
            )
        ],
    )


def experiments_section(query: DashboardQuery) -> Section:
    rows = []
    for experiment in selectors.experiments_in(query.period, query.site_id):
        results = experiment_results(experiment)
        rows += [_comparison_row(experiment, c) for c in results["comparisons"]]
    ci = [(("ci_low", "ci_high"), "95 % CI"), ("difference", "Difference")]
    return Section(
        "experiments",
        "Experiments",
        [
            Column("label", "Experiment: variant against control", "text"),
            Column("metric", "Metric", "text"),
            Column("control", "Control", "decimal"),
            Column("variant", "Variant", "decimal"),
            Column("difference", "Difference", "decimal"),
            Column("ci_low", "95 % CI low", "decimal"),
            Column("ci_high", "95 % CI high", "decimal"),
            Column("p_value", "p-value", "decimal"),
        ],
        rows,
        note="Each variant against the first (control) over the experiment's whole run so "
        "far; looking before the planned end inflates false positives.",
        empty="No experiment ran in this range: there are no confidence intervals to show.",
        charts=[_chart("bar", "Difference with its 95 % confidence interval", "label", ci, rows)],
    )


def _comparison_row(experiment, comparison: dict) -> dict:
    name = experiment.name or experiment.key
    label = f"{name}: {comparison['variant']} vs {comparison['control']}"
    return {"label": label, "metric": experiment.metric, **(comparison["result"] or {})}


SECTIONS = {
    "funnel": funnel_section,
    "timeseries": timeseries_section,
    "top-assets": top_assets_section,
    "top-galleries": top_galleries_section,
    "models": models_section,
    "engagement": engagement_section,
    "experiments": experiments_section,
}


# -- views --------------------------------------------------------------------------------


def _sites() -> list[Site]:
    return list(Site.objects.order_by("name", "pk").only("pk", "name"))


def _presets(query: DashboardQuery) -> list[dict]:
    end = _today()  # "last 7 days" means up to today, whatever range is shown now
    presets = []
    for days in PRESETS:
        start = (end - timedelta(days=days - 1)).isoformat()
        presets.append(
            {
                "days": days,
                "from": start,
                "to": end.isoformat(),
                "querystring": query.querystring(**{"from": start}),
                "current": query.period == Period(date.fromisoformat(start), end),
            }
        )
    return presets


@require_GET
@reader_required
def dashboard_view(request):
    sites = _sites()
    query = parse_query(request.GET, sites)
    context = {
        "query": query,
        "sections": [build(query) for build in SECTIONS.values()],
        "querystring": query.querystring(),
    }
    if request.htmx and not request.htmx.boosted:
        return render(request, "analytics/_sections.html", context)
    context.update(sites=sites, presets=_presets(query), models=MODEL_LABELS.items())
    return render(request, "analytics/dashboard.html", context)


@require_GET
@reader_required
def dashboard_csv_view(request, section: str):
    build = SECTIONS.get(section)
    if build is None:
        raise Http404(f"No dashboard section {section!r}")
    query = parse_query(request.GET, _sites())
    table = build(query)
    response = HttpResponse(_csv(table), content_type="text/csv; charset=utf-8")
    name = f"{section}-{query.period.start}-{query.period.end}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _csv(table: Section) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([column.label for column in table.columns])
    for row in table.rows:
        writer.writerow([_csv_value(row.get(column.key)) for column in table.columns])
    return out.getvalue()


def _csv_value(value) -> str:
    """Raw numbers (rates as fractions); a cell a spreadsheet would run as a formula
    (gallery titles and handles are user text) is quoted."""
    if not isinstance(value, str):
        return "" if value is None else str(value)
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value
