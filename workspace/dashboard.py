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
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import cached_property
from urllib.parse import urlencode

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import get_format, number_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from analytics import kpis, selectors
from analytics.api.kpis import MAX_DAYS
from analytics.estimates import MIN_IMPRESSIONS
from analytics.experiments.verdict import holdout_words
from analytics.kpis import FIRST_DAY, LAST_DAY, Period, check_day
from analytics.services.attribution_runs import MODEL_NAMES
from analytics.services.experiments import experiment_results
from commerce.models import ProductLine
from core.csvio import safe_row
from core.replica import reads_from_replica
from outreach import selectors as outreach_selectors
from ugc import selectors as ugc_selectors
from ugc.models import Site
from workspace.access import BadInput, int_param, one_of, reader_required
from workspace.tiles import image as tile_image

PRESETS = (7, 30, 90)
DEFAULT_DAYS = 30
TOP = 10
# A ranking's CSV holds every row the page's ten come from, up to this many.
CSV_ROWS = 100_000
ASSISTED = "assisted"
MODEL_LABELS = {
    ASSISTED: _("UGC-assisted (rollup, not a model)"),
    "first_touch": _("First touch"),
    "last_touch": _("Last touch"),
    "last_non_direct": _("Last non direct"),
    "linear": _("Linear"),
    "position_based": _("Position based"),
    "time_decay": _("Time decay"),
    "markov": _("Markov"),
    "shapley": _("Shapley"),
}
# A model added to the services shows under its own name until it has a label here.
MODEL_LABELS |= {
    name: name.replace("_", " ").capitalize() for name in MODEL_NAMES if name not in MODEL_LABELS
}
MISSING = "—"
# How the photo-request funnel is split: by the order's storefront, or the product's line.
REQUEST_GROUPS = {"site": _("Site"), "product_line": _("Product line")}


# -- the query: what the URL says -----------------------------------------------------------


@dataclass(frozen=True)
class DashboardQuery:
    period: Period
    site_id: int | None
    model: str
    currency: str | None
    limit: int = TOP  # rows of a ranking: the page shows TOP, its CSV all
    requests_by: str = "site"  # the photo requests' grouping: a key of REQUEST_GROUPS

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
    def sums(self) -> dict[str, list[dict]]:
        return selectors.ranking_sums(self.slice(), self.period)

    @cached_property
    def sides(self) -> dict:
        return selectors.ugc_side_days(self.slice(), self.period)

    @cached_property
    def run(self):
        """The one run the attributed sections read (any model's for the assisted
        measure, whose models table still compares runs)."""
        model = None if self.model == ASSISTED else self.model
        return selectors.covering_run(self.period, model)

    @cached_property
    def rankings(self) -> dict[str, list[dict]]:
        if self.model == ASSISTED:
            return selectors.rankings(self.slice(), self.period, self.limit, self.sums)
        if self.run is None:
            return {"assets": [], "galleries": []}
        return selectors.attributed_rankings(
            self.run, self.slice(), self.period, self.limit, self.sums
        )

    def params(self, **override) -> dict:
        state = {
            "from": self.period.start.isoformat(),
            "to": self.period.end.isoformat(),
            "site": self.site_id or "",
            "model": self.model,
            "requests_by": self.requests_by,
            **override,
        }
        return {key: value for key, value in state.items() if value not in ("", None)}

    def querystring(self, **override) -> str:
        return urlencode(self.params(**override))


def _day(data, name: str) -> date | None:
    raw = (data.get(name) or "").strip()
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError as exc:
        given = {"given": repr(raw[:40])}
        raise BadInput(
            name, gettext("must be a date as YYYY-MM-DD, not %(given)s") % given
        ) from exc
    try:
        return check_day(day)
    except ValueError as exc:
        days = {"first": FIRST_DAY, "last": LAST_DAY, "day": day}
        out = gettext("must be between %(first)s and %(last)s, not %(day)s") % days
        raise BadInput(name, out) from exc


def _today() -> date:
    return timezone.now().astimezone(UTC).date()


def _period(data) -> Period:
    end = _day(data, "to") or _today()
    # The default start only when none is given: `to` alone may be too early to go back from.
    start = _day(data, "from") or max(FIRST_DAY, end - timedelta(days=DEFAULT_DAYS - 1))
    if end < start:
        raise BadInput("to", gettext("must be on or after from"))
    if (end - start).days >= MAX_DAYS:
        raise BadInput("to", gettext("a range is at most %(most)s days") % {"most": MAX_DAYS})
    return Period(start, end)


def _site(data, sites: list[Site]) -> int | None:
    if not (data.get("site") or "").strip():
        return None
    site_id = int_param(data, "site")
    if site_id not in {site.pk for site in sites}:
        raise BadInput("site", gettext("there is no site %(site)s") % {"site": site_id})
    return site_id


def _model(data) -> str:
    model = (data.get("model") or ASSISTED).strip()
    if model not in MODEL_LABELS:
        raise BadInput("model", one_of(MODEL_LABELS))
    return model


def _requests_by(data) -> str:
    group = (data.get("requests_by") or "site").strip()
    if group not in REQUEST_GROUPS:
        raise BadInput("requests_by", f"must be one of: {', '.join(REQUEST_GROUPS)}")
    return group


def parse_query(data, sites: list[Site]) -> DashboardQuery:
    period = _period(data)
    site_id, model = _site(data, sites), _model(data)
    return DashboardQuery(
        period, site_id, model, selectors.main_currency(period), requests_by=_requests_by(data)
    )


# -- sections: rows, their columns, and the charts drawn from them -------------------------


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "count"  # count, rate, change, money, ratio, text, date, asset


@dataclass(frozen=True)
class Switch:
    """A choice drawn in a section's head that belongs to the dashboard's query form."""

    name: str  # the query parameter
    label: str
    options: list[tuple[str, str]]  # value, label
    current: str


@dataclass
class Section:
    slug: str
    title: str
    columns: list[Column]
    rows: list[dict]
    note: str = ""
    empty: str = _("No data in this range.")
    charts: list[dict] = field(default_factory=list)
    open: bool = True  # the table shown, or folded under its chart
    lead: str = ""  # the sentence to read first, above the charts
    csv_columns: list[Column] | None = None  # one field per column, when the table joins some
    switch: Switch | None = None
    downloadable: bool = True  # a dashboard section, which the CSV view serves

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


def _missing_cell() -> str:
    return f'<span aria-hidden="true">—</span><span class="visually-hidden">{_("no data")}</span>'


def _cell(column: Column, row: dict, tag: str) -> str:
    value = row.get(column.key)
    scope = ' scope="row"' if tag == "th" else ""
    if column.kind == "asset" and row.get("asset") is not None:
        content = _asset_link(row, _display(column.kind, value))
    elif value is None:
        content = _missing_cell()
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
        "count": lambda v: _grouped(v, 0),
        "rate": lambda v: f"{_grouped(float(v) * 100, 2)} %",
        "change": lambda v: f"{'+' if float(v) >= 0 else ''}{_grouped(float(v) * 100, 1)} %",
        "money": lambda v: _grouped(v, 2),
        "ratio": lambda v: f"{_grouped(float(v), 2)} x",
        "decimal": lambda v: f"{float(v):.4g}".replace(".", get_format("DECIMAL_SEPARATOR")),
    }
    return formats.get(kind, str)(value)


def _grouped(value, places: int) -> str:
    """A figure as the page's language writes it: 1,234.50 in English, 1 234,50 in French."""
    # Rounded as Python rounds the value (as the CSV does), then written per language.
    rounded = Decimal(format(value, f".{places}f"))
    return number_format(rounded, places, use_l10n=True, force_grouping=True)


def chart_spec(kind: str, title: str, label_key: str, series, rows, *, percent=False) -> dict:
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
    rows = selectors.gallery_funnel(query.days, query.sides, query.period)
    previous = query.period.previous()
    return Section(
        "funnel",
        _("Gallery funnel: impressions → clicks → product views → add to cart → orders"),
        [
            Column("step", _("Step"), "text"),
            Column("counted", _("Counted"), "text"),
            Column("count", _("This period")),
            Column("share_of_step_before", _("Share of the step before"), "rate"),
            Column(
                "previous_count",
                _("Previous period (%(start)s to %(end)s)")
                % {"start": previous.start, "end": previous.end},
            ),
            Column("change_vs_previous_period", _("Change"), "change"),
        ],
        rows,
        lead=_ugc_lead(query),
        note=_(
            "Only the galleries and the shoppers who used them: tile impressions, clicks "
            "and clicks through to a product, then the sessions with a cart and the orders of "
            "shoppers who interacted with UGC. The whole store's numbers are under Store "
            "totals. The previous period is the same number of days just before."
        ),
        charts=[
            chart_spec(
                "bar",
                _("This period against the previous one"),
                "step",
                [("count", _("This period")), ("previous_count", _("Previous period"))],
                rows,
            )
        ],
    )


def _ugc_lead(query: DashboardQuery) -> str:
    sides = selectors.ugc_conversion(query.sides, query.period)
    used, not_used = sides[True]["conversion_rate"], sides[False]["conversion_rate"]
    if used is None or not_used is None:
        return ""
    lead = _(
        "Shoppers who interacted with UGC converted %(used)s %%, those who did not "
        "%(not_used)s %% (sessions with an order; a correlation, not the effect of "
        "UGC: keen shoppers both browse photos and buy)."
    ) % {"used": _grouped(used * 100, 1), "not_used": _grouped(not_used * 100, 1)}
    lift = _holdout_lift(query)
    return f"{lead} {lift}" if lift else lead


def _holdout_lift(query: DashboardQuery) -> str:
    for experiment in selectors.experiments_in(query.period, query.site_id):
        if any(v.gallery_id is None for v in experiment.variants.all()):
            words = holdout_words(experiment_results(experiment))
            if words:
                name = experiment.name or experiment.key
                return _("Measured by holdout (%(name)s): %(words)s") % {
                    "name": name,
                    "words": words,
                }
    return ""


def store_section(query: DashboardQuery) -> Section:
    found = selectors.summed(query.days, query.period)
    earlier = selectors.summed(query.days, query.period.previous())
    sides = selectors.ugc_conversion(query.sides, query.period)
    rows = [
        _store_row(_("Sessions"), found["sessions"], earlier["sessions"]),
        _store_row(_("Sessions with a cart"), found["cart_sessions"], earlier["cart_sessions"]),
        _store_row(_("Orders"), found["orders"], earlier["orders"]),
        _store_row(
            _("Orders of shoppers who interacted with UGC"), sides[True]["orders"], None, "count"
        ),
        _store_row(
            _("Conversion rate (sessions with an order)"),
            kpis.ratio(found["purchase_sessions"], found["sessions"]),
            kpis.ratio(earlier["purchase_sessions"], earlier["sessions"]),
            "rate",
        ),
        _store_row(
            _money_label(query, _("Net revenue")),
            found["net_revenue"],
            earlier["net_revenue"],
            "money",
        ),
    ]
    return Section(
        "store",
        _("Store totals (all traffic, with or without UGC)"),
        [
            Column("measure", _("Measure"), "text"),
            Column("display", _("This period"), "text"),
            Column("previous_display", _("Previous period"), "text"),
            Column("change", _("Change"), "change"),
        ],
        rows,
        note=_("The whole shop, for context: these are not gallery results."),
    )


def _store_row(measure: str, value, earlier, kind: str = "count") -> dict:
    return {
        "measure": measure,
        "display": None if value is None else _display(kind, value),
        "previous_display": None if earlier is None else _display(kind, earlier),
        "change": kpis.change(value, earlier),
    }


def _days(period: Period):
    return (period.start + timedelta(days=n) for n in range(period.days))


def timeseries_section(query: DashboardQuery) -> Section:
    found = {
        # The section shows no reach: the days are read without distinct visitors.
        entry["day"]: entry["kpis"]
        for entry in selectors.timeseries(query.slice(), query.period, days=query.shown_days())
    }
    rows = [_day_row(day, found.get(day)) for day in _days(query.period)]
    counts = [
        ("impressions", _("Impressions")),
        ("clicks", _("Clicks")),
        ("conversions", _("Orders")),
    ]
    return Section(
        "timeseries",
        _("Day by day"),
        [
            Column("day", _("Day"), "date"),
            Column("impressions", _("Impressions")),
            Column("clicks", _("Clicks")),
            Column("click_through_rate", _("CTR"), "rate"),
            Column("conversions", _("Orders")),
            Column("revenue", _money_label(query, _("Net revenue")), "money"),
        ],
        rows,
        note=_(
            "A dash is a day with no data. Orders and revenue are all the shop's orders "
            "in the period's main currency."
        ),
        charts=[
            chart_spec("line", _("Impressions, clicks and orders"), "day", counts, rows),
            chart_spec(
                "line",
                _("Click-through rate"),
                "day",
                [("click_through_rate", _("CTR"))],
                rows,
                percent=True,
            ),
            chart_spec(
                "line",
                _money_label(query, _("Net revenue")),
                "day",
                [("revenue", _("Net revenue"))],
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


# Percent labels keep a no-break space before "%", as French writes it.
ESTIMATE_COLUMNS = [
    Column("impressions", _("Impressions")),
    Column("clicks", _("Clicks")),
    Column("ctr", _("CTR (shrunk)"), "rate"),
    # xgettext:no-python-format
    Column("ctr_low", _("CTR 95 % low"), "rate"),  # noqa: RUF001
    # xgettext:no-python-format
    Column("ctr_high", _("CTR 95 % high"), "rate"),  # noqa: RUF001
]
RPM_COLUMNS = [
    Column("rpm", _("Revenue per 1,000 impressions (shrunk)"), "money"),
    # xgettext:no-python-format
    Column("rpm_low", _("95 % low"), "money"),  # noqa: RUF001
    # xgettext:no-python-format
    Column("rpm_high", _("95 % high"), "money"),  # noqa: RUF001
]
ASSISTED_COLUMNS = [
    *ESTIMATE_COLUMNS,
    Column("ugc_assisted_orders", _("UGC-assisted orders")),
    Column("ugc_assisted_revenue", _("UGC-assisted revenue"), "money"),
    *RPM_COLUMNS,
]
CREDITED_COLUMNS = [
    *ESTIMATE_COLUMNS,
    Column("credited_orders", _("Credited orders"), "decimal"),
    Column("credited_revenue", _("Credited revenue"), "money"),
    *RPM_COLUMNS,
]
ASSISTED_NOTE = _(
    "Revenue: UGC-assisted, from the daily rollup — the net revenue of orders whose buyer "
    "clicked the item in the look-back window before ordering, each order counted in full "
    "for every item it touched (not shares of credit)."
)


def _ranking_note(query: DashboardQuery, what: str, sums: list[dict]) -> str:
    below = selectors.below_minimum(sums)
    measure = ASSISTED_NOTE if query.model == ASSISTED else _run_measure(query.run)
    text = {
        "assets": _(
            "Ranked by revenue per 1,000 impressions, each asset's rate pulled toward the "
            "average by as much as its traffic is thin (empirical-Bayes Beta posterior), with "
            "95 %% credible intervals. Minimum volume: %(minimum)s impressions in the "
            "range; %(below)s assets with fewer are not ranked. %(measure)s"
        ),
        "galleries": _(
            "Ranked by revenue per 1,000 impressions, each gallery's rate pulled toward the "
            "average by as much as its traffic is thin (empirical-Bayes Beta posterior), with "
            "95 %% credible intervals. Minimum volume: %(minimum)s impressions in the "
            "range; %(below)s galleries with fewer are not ranked. %(measure)s"
        ),
    }[what]
    return text % {"minimum": MIN_IMPRESSIONS, "below": below, "measure": measure}


def _run_measure(run) -> str:
    return _(
        "Revenue: credited by the %(model)s model in %(run)s: %(rule)s, so the credits add "
        "up to the orders' value."
    ) % {
        "model": str(MODEL_LABELS[run.model]).lower(),
        "run": _run_name(run),
        "rule": CREDIT_RULES.get(run.model, SPLIT_RULE),
    }


def _run_name(run) -> str:
    return _("run %(pk)s (%(level)s level, %(start)s to %(end)s)") % {
        "pk": run.pk,
        "level": run.level,
        "start": run.date_from,
        "end": run.date_to,
    }


def _no_run(query: DashboardQuery, what: str) -> str:
    text = {
        "assets": _(
            "No finished %(model)s attribution run covers %(start)s to %(end)s, so there are "
            "no attributed assets to show. Start one above, or choose “UGC-assisted” to see "
            "the rollup's measure."
        ),
        "galleries": _(
            "No finished %(model)s attribution run covers %(start)s to %(end)s, so there are "
            "no attributed galleries to show. Start one above, or choose “UGC-assisted” to see "
            "the rollup's measure."
        ),
    }[what]
    return text % {
        "model": str(MODEL_LABELS[query.model]).lower(),
        "start": query.period.start,
        "end": query.period.end,
    }


def _ranking(query: DashboardQuery, section: Section, name: str) -> Section:
    if query.model != ASSISTED and query.run is None:
        section.empty = _no_run(query, name)
        return section
    if query.model != ASSISTED and query.run.level == "channel":
        section.empty = _(
            "%(run)s credits channels only: start a run at asset level to rank %(what)s."
        ) % {"run": _run_name(query.run).capitalize(), "what": _(name)}
        return section
    rows = query.rankings[name]
    if name == "assets":
        rows = [_asset_row(row, query.currency) for row in rows]
        ranked = ASSISTED_COLUMNS if query.model == ASSISTED else CREDITED_COLUMNS
        section.csv_columns = [*ASSET_CSV_COLUMNS, *ranked, CURRENCY_COLUMN]
    else:
        rows = [{**row, "label": _gallery_label(row)} for row in rows]
    section.columns += ASSISTED_COLUMNS if query.model == ASSISTED else CREDITED_COLUMNS
    section.rows = rows
    section.note = _ranking_note(query, name, query.sums[name])
    section.empty = {
        "assets": _("No asset had %(minimum)s impressions in this range: too few to rank."),
        "galleries": _("No gallery had %(minimum)s impressions in this range: too few to rank."),
    }[name] % {"minimum": MIN_IMPRESSIONS}
    section.charts = [
        chart_spec(
            "bar",
            # xgettext:no-python-format
            _money_label(query, _("Revenue per 1,000 impressions, with its 95 % interval")),  # noqa: RUF001
            "label",
            # xgettext:no-python-format
            [(("rpm_low", "rpm_high"), _("95 % interval")), ("rpm", _("Shrunk estimate"))],  # noqa: RUF001
            rows,
        )
    ]
    return section


def top_assets_section(query: DashboardQuery) -> Section:
    section = Section(
        "top-assets",
        _("Top assets by revenue per 1,000 impressions"),
        [Column("label", _("Asset"), "asset"), Column("platform", _("Platform"), "text")],
        [],
    )
    return _ranking(query, section, "assets")


ASSET_CSV_COLUMNS = [
    Column("asset_id", _("Asset ID"), "id"),
    Column("creator_handle", _("Creator handle"), "text"),
    Column("platform", _("Platform"), "text"),
]
CURRENCY_COLUMN = Column("currency", _("Currency"), "text")
# How each model hands out an order's value, for the note under its rankings.
CREDIT_RULES = {
    "first_touch": _("all of each order's value goes to the first touch before it"),
    "last_touch": _("all of each order's value goes to the last touch before it"),
    "last_non_direct": _(
        "all of each order's value goes to the last touch before it that was not a direct visit"
    ),
}
SPLIT_RULE = _("each order's value is split among the touches before it")


def _asset_row(row: dict, currency: str | None) -> dict:
    asset = row["asset"]
    handle = asset.creator.handle if asset and asset.creator else ""
    return {
        **row,
        "label": f"#{row['asset_id']} @{handle}" if handle else f"#{row['asset_id']}",
        "creator_handle": handle,
        "platform": asset.source_platform if asset else None,
        "currency": currency or "",
        "href": f"/workspace/assets/{row['asset_id']}",
    }


def top_galleries_section(query: DashboardQuery) -> Section:
    section = Section(
        "top-galleries",
        _("Top galleries by revenue per 1,000 impressions"),
        [Column("label", _("Gallery"), "text"), Column("gallery_views", _("Views"))],
        [],
    )
    return _ranking(query, section, "galleries")


def _gallery_label(row: dict) -> str:
    return f"{row['title']} ({row['gallery']})" if row["title"] else row["gallery"]


def models_section(query: DashboardQuery) -> Section:
    run = query.run
    section = Section(
        "models",
        _("Attribution models side by side"),
        [Column("key", _("Channel"), "text")],
        [],
        empty=_(
            "No finished attribution run covers %(start)s to %(end)s: there is nothing to "
            "compare yet. Start one above."
        )
        % {"start": query.period.start, "end": query.period.end},
    )
    if run is None:
        return section
    models, rows = selectors.models_side_by_side(selectors.sibling_runs(run))
    series = [(model, MODEL_LABELS[model]) for model in models if model in MODEL_LABELS]
    section.columns += [Column(k, label, "money") for k, label in series]
    section.rows = rows
    if query.model != ASSISTED:
        note = _(
            "Revenue each model credits each channel, from %(run)s and the other models' runs "
            "with the same range and settings; the top assets and galleries read the same "
            "runs, so each model's column adds up to the same total as its galleries and assets."
        )
    else:
        note = _(
            "Revenue each model credits each channel, from %(run)s and the other models' runs "
            "with the same range and settings; no ranking above read the same runs, so each "
            "model's column adds up to the same total as its galleries and assets."
        )
    section.note = note % {"run": _run_name(run)}
    section.charts = [chart_spec("bar", _("Credited revenue by channel"), "key", series, rows)]
    return section


def engagement_section(query: DashboardQuery) -> Section:
    since = datetime.combine(query.period.start, datetime.min.time(), tzinfo=UTC)
    rows = ugc_selectors.engagement_summary(None, since)
    return Section(
        "engagement",
        _("Platform engagement against the benchmarks"),
        [
            Column("platform", _("Platform"), "text"),
            Column("posts", _("Posts")),
            Column("impressions", _("Impressions")),
            Column("engagements", _("Engagements")),
            Column("engagement_rate", _("Engagement rate"), "rate"),
            Column("median_post_rate", _("Median post"), "rate"),
            Column("benchmark_median_rate", _("Benchmark median (Rival IQ)"), "rate"),
            Column("vs_benchmark", _("Against the benchmark"), "ratio"),
        ],
        rows,
        note=_(
            "Each post's latest platform snapshot taken since %(start)s; engagements are "
            "likes, comments, saves and shares, divided by impressions."
        )
        % {"start": query.period.start},
        empty=_("No engagement snapshots were imported in this range."),
        charts=[
            chart_spec(
                "bar",
                _("Engagement rate against the benchmark"),
                "platform",
                [
                    ("engagement_rate", _("Engagement rate")),
                    ("benchmark_median_rate", _("Benchmark")),
                ],
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
    # xgettext:no-python-format
    ci = [(("ci_low", "ci_high"), _("95 % CI")), ("difference", _("Difference"))]  # noqa: RUF001
    return Section(
        "experiments",
        _("Experiments"),
        [
            Column("label", _("Experiment: variant against control"), "text"),
            Column("metric", _("Metric"), "text"),
            Column("control", _("Control"), "decimal"),
            Column("variant", _("Variant"), "decimal"),
            Column("difference", _("Difference"), "decimal"),
            # xgettext:no-python-format
            Column("ci_low", _("95 % CI low"), "decimal"),  # noqa: RUF001
            # xgettext:no-python-format
            Column("ci_high", _("95 % CI high"), "decimal"),  # noqa: RUF001
            Column("p_value", _("p-value"), "decimal"),
        ],
        rows,
        note=_(
            "Each variant against the first (control) over the experiment's whole run so "
            "far; looking before the planned end inflates false positives."
        ),
        empty=_("No experiment ran in this range: there are no confidence intervals to show."),
        charts=[
            # xgettext:no-python-format
            chart_spec("bar", _("Difference with its 95 % confidence interval"), "label", ci, rows)  # noqa: RUF001
        ],
    )


def _comparison_row(experiment, comparison: dict) -> dict:
    name = experiment.name or experiment.key
    label = f"{name}: {comparison['variant']} vs {comparison['control']}"
    return {"label": label, "metric": experiment.metric, **(comparison["result"] or {})}


# The photo requests' steps, each with its rate against the step before.
REQUEST_STEPS = [
    ("sent", _("Product links sent"), None),
    ("clicked", _("Opened"), _("Opened, of sent")),
    ("uploaded", _("Photo uploaded"), _("Uploaded, of opened")),
    ("approved", _("Approved"), _("Approved, of uploaded")),
    ("published", _("Published"), _("Published, of approved")),
]


def photo_requests_section(query: DashboardQuery) -> Section:
    since, until = _bounds(query.period)
    found = outreach_selectors.funnel(
        group=query.requests_by, since=since, until=until, site_id=query.site_id
    )
    names = _request_group_names(query.requests_by, [row["key"] for row in found])
    rows = [_request_row(row, names.get(row["key"])) for row in found]
    if len(rows) > 1:  # the total's counts are not the rows' sum: a request has several lines
        total = outreach_selectors.funnel(since=since, until=until, site_id=query.site_id)
        rows.append(_request_row(total[0], _("All")))
    counts = [(key, label) for key, label, _rate in REQUEST_STEPS]
    rates = [(f"{key}_rate", rate) for key, _label, rate in REQUEST_STEPS if rate]
    return Section(
        "photo-requests",
        _("Photo requests: sent → opened → uploaded → approved → published"),
        [
            Column("label", REQUEST_GROUPS[query.requests_by], "text"),
            Column("requests", _("E-mails sent")),
            *_request_step_columns(),
            Column("revenue", _money_label(query, _("Revenue of their photos")), "money"),
        ],
        rows,
        note=_(
            "Post-purchase e-mails sent from %(start)s to %(end)s, counted per product link: "
            "opened at least once, a photo uploaded through it, approved in review, then "
            "published in a gallery. Each rate is against the step before. Revenue: the "
            "storefront revenue those photos assisted so far (the daily rollup, as Top "
            "assets), whenever it came."
        )
        % {"start": query.period.start, "end": query.period.end},
        empty=_("No photo request was sent in this range."),
        switch=Switch(
            "requests_by", _("Photo requests by"), list(REQUEST_GROUPS.items()), query.requests_by
        ),
        charts=[
            chart_spec("bar", _("Each step's count"), "label", counts, rows),
            chart_spec(
                "bar",
                _("Each step's rate against the one before"),
                "label",
                rates,
                rows,
                percent=True,
            ),
            chart_spec(
                "bar",
                _money_label(query, _("Revenue of their photos")),
                "label",
                [("revenue", _("Revenue"))],
                rows,
            ),
        ],
    )


def _request_step_columns() -> list[Column]:
    columns = []
    for key, label, rate in REQUEST_STEPS:
        columns.append(Column(key, label))
        if rate:
            columns.append(Column(f"{key}_rate", rate, "rate"))
    return columns


def _bounds(period: Period) -> tuple[datetime, datetime]:
    """The period's days as [since, until) in UTC, the days the dashboard counts in."""
    since = datetime.combine(period.start, datetime.min.time(), tzinfo=UTC)
    return since, since + timedelta(days=period.days)


def _request_group_names(group: str, keys: list) -> dict:
    model = Site if group == "site" else ProductLine
    return dict(model.objects.filter(pk__in=[k for k in keys if k]).values_list("pk", "name"))


def _request_row(row: dict, name: str | None) -> dict:
    found = {
        "label": name or (_("No site") if row["group"] == "site" else _("No product line")),
        "requests": row["requests"],
        "revenue": row["revenue"],
    }
    before = None
    for key, _label, rate in REQUEST_STEPS:
        found[key] = row[key]
        if rate:
            found[f"{key}_rate"] = kpis.ratio(row[key], before)
        before = row[key]
    return found


SECTIONS = {
    "funnel": funnel_section,
    "store": store_section,
    "timeseries": timeseries_section,
    "top-assets": top_assets_section,
    "top-galleries": top_galleries_section,
    "models": models_section,
    "engagement": engagement_section,
    "photo-requests": photo_requests_section,
    "experiments": experiments_section,
}


# -- views --------------------------------------------------------------------------------


def _attribution(query: DashboardQuery) -> dict:
    run = query.run
    return {
        "run": run,
        "model_label": MODEL_LABELS.get(run.model, run.model) if run else "",
        "exact": run is not None
        and (run.date_from, run.date_to) == (query.period.start, query.period.end),
        "pending": selectors.pending_runs(query.period),
        "models": MODEL_NAMES if query.model == ASSISTED else [query.model],
    }


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
@reads_from_replica
def dashboard_view(request):
    sites = _sites()
    query = parse_query(request.GET, sites)
    context = {
        "query": query,
        "sections": [build(query) for build in SECTIONS.values()],
        "querystring": query.querystring(),
        "attribution": _attribution(query),
    }
    if request.htmx and not request.htmx.boosted:
        return render(request, "analytics/_sections.html", context)
    context.update(sites=sites, presets=_presets(query), models=MODEL_LABELS.items())
    return render(request, "analytics/dashboard.html", context)


@require_GET
@reader_required
@reads_from_replica
def dashboard_csv_view(request, section: str):
    build = SECTIONS.get(section)
    if build is None:
        raise Http404(f"No dashboard section {section!r}")
    # A ranking's CSV is the whole ranking, not the ten rows the page shows.
    query = replace(parse_query(request.GET, _sites()), limit=CSV_ROWS)
    table = build(query)
    response = HttpResponse(_csv(table), content_type="text/csv; charset=utf-8")
    name = f"{section}-{query.period.start}-{query.period.end}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


# Each kind of column with one precision for every row (rates as fractions).
CSV_FORMATS = {
    "count": "{:.0f}",
    "rate": "{:.6f}",
    "change": "{:.6f}",
    "money": "{:.2f}",
    "ratio": "{:.4f}",
    "decimal": "{:.4f}",
}


def _csv(table: Section) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    columns = table.csv_columns or table.columns
    writer.writerow([column.label for column in columns])
    for row in table.rows:
        # Gallery titles and handles are user text: safe_row defuses formulas.
        writer.writerow(safe_row(_csv_cell(column, row.get(column.key)) for column in columns))
    return out.getvalue()


def _csv_cell(column: Column, value) -> str:
    if value is None:
        return ""
    form = CSV_FORMATS.get(column.kind)
    return form.format(float(value)) if form else str(value)
