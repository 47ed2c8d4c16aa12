"""Gallery experiments (/workspace/dashboard/experiments): the list, a form to start one
(the slot's gallery as control, a challenger gallery and/or a holdout share, the
metric, the planned duration), each experiment's results with confidence intervals,
the sample-ratio check and a verdict in words, and a button to stop it. Thin over
analytics.services.experiments, which the API calls too."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.text import slugify
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from analytics.experiments.verdict import comparison_words, ratio_words, verdict
from analytics.models import Experiment
from analytics.services.experiments import (
    PEEKING_WARNING,
    create_experiment,
    experiment_results,
    stop_experiment,
)
from ugc.models import Gallery
from workspace.access import BadInput, reader_required
from workspace.dashboard import Column, Section, chart_spec

METRICS = [
    (Experiment.Metric.CLICK_THROUGH, _("Click-through (share of visitors who clicked a tile)")),
    (Experiment.Metric.CONVERSION_RATE, _("Conversion (share of visitors who ordered)")),
    (Experiment.Metric.REVENUE_PER_VISITOR, _("Revenue per visitor")),
]


class GalleryChoice(forms.ModelChoiceField):
    def __init__(self, **kwargs):
        galleries = Gallery.objects.select_related("site").order_by("site__name", "slug")
        super().__init__(galleries, **kwargs)

    def label_from_instance(self, gallery):
        title = f" ({gallery.title})" if gallery.title else ""
        return f"{gallery.site.name}: {gallery.slug}{title}"


class ExperimentForm(forms.Form):
    name = forms.CharField(max_length=200, label=_("Name"))
    key = forms.SlugField(
        max_length=100,
        required=False,
        label=_("Key"),
        help_text=_("The name events carry; blank: from the name."),
    )
    gallery = GalleryChoice(label=_("Gallery slot (control shows it)"))
    challenger = GalleryChoice(
        required=False,
        label=_("Variant B shows (blank: no variant B)"),
    )
    holdout_percent = forms.IntegerField(
        min_value=0, max_value=50, initial=10, label=_("Holdout share (%): shown no gallery")
    )
    metric = forms.ChoiceField(choices=METRICS, label=_("Metric"))
    duration_days = forms.IntegerField(
        min_value=1, max_value=90, initial=14, label=_("Planned days")
    )

    def clean(self):
        data = super().clean()
        gallery, challenger = data.get("gallery"), data.get("challenger")
        if gallery and challenger and challenger.site_id != gallery.site_id:
            self.add_error("challenger", gettext("must be a gallery of the same site"))
        if gallery and not challenger and not data.get("holdout_percent"):
            nothing = gettext("choose variant B or a holdout share: nothing to compare")
            self.add_error("challenger", nothing)
        return data

    def variants(self) -> list[dict]:
        data = self.cleaned_data
        holdout = data["holdout_percent"] / 100
        shown = [("control", data["gallery"])]
        if data.get("challenger"):
            shown.append(("b", data["challenger"]))
        share = (1 - holdout) / len(shown)
        variants = [{"name": n, "weight": share, "gallery": g} for n, g in shown]
        if holdout:
            variants.append({"name": "holdout", "weight": holdout, "gallery": None})
        return variants


def _create(form: ExperimentForm) -> Experiment:
    data = form.cleaned_data
    starts = timezone.now()
    try:
        return create_experiment(
            site=data["gallery"].site,
            key=data["key"] or slugify(data["name"])[:100] or "experiment",
            name=data["name"],
            placement=data["gallery"].slug,
            variants=form.variants(),
            metric=data["metric"],
            starts_at=starts,
            ends_at=starts + timedelta(days=data["duration_days"]),
        )
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise BadInput(field, messages[0]) from exc
    except IntegrityError as exc:
        taken = gettext("this site already has an experiment with this key")
        raise BadInput("key", taken) from exc


STATUS_LABELS = {
    "scheduled": _("scheduled"),
    "finished": _("finished"),
    "running": _("running"),
}


def status_of(experiment: Experiment, now=None) -> str:
    now = now or timezone.now()
    if experiment.starts_at > now:
        return "scheduled"
    if experiment.ends_at is not None and experiment.ends_at <= now:
        return "finished"
    return "running"


@require_http_methods(["GET", "POST"])
@reader_required
def experiments_view(request):
    form = ExperimentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        experiment = _create(form)
        return redirect("dashboard:experiment", experiment.pk)
    experiments = Experiment.objects.select_related("site").order_by("-starts_at", "-pk")[:200]
    rows = [{"experiment": e, "status": STATUS_LABELS[status_of(e)]} for e in experiments]
    status = 400 if form.errors else 200
    return render(
        request, "analytics/experiments.html", {"rows": rows, "form": form}, status=status
    )


@require_http_methods(["GET"])
@reader_required
def experiment_view(request, experiment_id: int):
    experiment = get_object_or_404(
        Experiment.objects.prefetch_related("variants__gallery"), pk=experiment_id
    )
    results = experiment_results(experiment)
    status = status_of(experiment)
    total = sum(arm["visitors"] for arm in results["variants"]) or None
    weights = sum(arm["weight"] for arm in results["variants"])
    arms = [_arm_row(arm, total, weights) for arm in results["variants"]]
    comparisons = [_comparison_row(results["metric"], c) for c in results["comparisons"]]
    return render(
        request,
        "analytics/experiment.html",
        {
            "experiment": experiment,
            "status": status,
            "status_label": STATUS_LABELS[status],
            "results": results,
            "arms": arms,
            "comparisons": comparisons,
            "estimates": estimates_section(results),
            "verdict": verdict(results, running=status == "running"),
            "ratio": ratio_words(results["sample_ratio_mismatch"]),
            "peeking": PEEKING_WARNING,
        },
    )


METRIC_NAMES = {
    Experiment.Metric.CLICK_THROUGH: _("Click-through"),
    Experiment.Metric.CONVERSION_RATE: _("Conversion"),
    Experiment.Metric.REVENUE_PER_VISITOR: _("Revenue per visitor"),
}


def estimates_section(results: dict) -> Section:
    """Each variant's own estimate of the metric with its 95% interval: a chart with the
    control's estimate as a dashed line across it, and the same numbers as a table."""
    metric = results["metric"]
    kind = "money" if metric == Experiment.Metric.REVENUE_PER_VISITOR else "rate"
    name = METRIC_NAMES[metric]
    rows = [
        {"label": _arm_label(arm, first=n == 0), "visitors": arm["visitors"], **arm["estimate"]}
        for n, arm in enumerate(results["variants"])
        if arm["estimate"] is not None
    ]
    title = gettext("%(metric)s by variant, with its 95 %% interval") % {"metric": name}  # noqa: RUF001
    section = Section(
        "estimates",
        title,
        [
            Column("label", gettext("Variant"), "text"),
            Column("visitors", gettext("Visitors"), "count"),
            Column("value", name, kind),
            # xgettext:no-python-format
            Column("ci_low", gettext("95 % low"), kind),  # noqa: RUF001
            # xgettext:no-python-format
            Column("ci_high", gettext("95 % high"), kind),  # noqa: RUF001
        ],
        rows,
        note=_(
            "Each bar spans a variant's own interval (Wilson's for a rate); the "
            "diamond is its estimate, the dashed line the control's. Whether a variant "
            "differs from control is read in the comparison below, not from bars that overlap."
        ),
        empty=_("No visitor has seen this experiment yet: there is no estimate to draw."),
        downloadable=False,
    )
    if rows and results["variants"][0]["estimate"] is not None:
        section.charts = [_estimates_chart(title, rows, percent=kind == "rate")]
    return section


def _arm_label(arm: dict, first: bool) -> str:
    if first and arm["name"] != "control":
        return gettext("%(name)s (control)") % {"name": arm["name"]}
    if arm["gallery"] is None and arm["name"] != "holdout":
        return gettext("%(name)s (holdout)") % {"name": arm["name"]}
    return arm["name"]


def _estimates_chart(title: str, rows: list[dict], *, percent: bool) -> dict:
    # xgettext:no-python-format
    interval = gettext("95 % interval")  # noqa: RUF001
    spec = chart_spec(
        "bar", title, "label", [(("ci_low", "ci_high"), interval)], rows, percent=percent
    )
    # Told apart by shape as well as colour (the legend draws each dataset's point style);
    # the markers drawn over the bars (a lower order is drawn later).
    spec["datasets"][0].update(pointStyle="rect", order=2, maxBarThickness=56)
    spec["point_styles"] = True
    spec["datasets"] += [
        # A marker, not a bar: the estimate sits inside its interval.
        {
            "type": "line",
            "label": gettext("Estimate"),
            "data": [row["value"] for row in rows],
            "showLine": False,
            "pointStyle": "rectRot",
            "pointRadius": 7,
            "order": 0,
        },
        {
            "type": "line",
            "label": gettext("Control's estimate"),
            "data": [rows[0]["value"]] * len(rows),
            "borderDash": [6, 4],
            "pointStyle": "line",
            "pointRadius": 0,
            "order": 1,
        },
    ]
    return spec


def _percent(value) -> str:
    return "—" if value is None else f"{_figure(value * 100)} %"


def _figure(value, signed: bool = False) -> str:
    """A figure with two decimals as the page's language writes it."""
    sign = ("+" if value >= 0 else "-") if signed else ""
    shown = abs(value) if signed else value
    return sign + number_format(shown, 2, use_l10n=True, force_grouping=True)


def _arm_row(arm: dict, total: int | None, weights: float) -> dict:
    visitors = arm["visitors"]
    return {
        **arm,
        "planned_share": _percent(arm["weight"] / weights),
        "actual_share": _percent(visitors / total if total else None),
        "click_through": _percent(arm["clickers"] / visitors if visitors else None),
        "conversion": _percent(arm["converters"] / visitors if visitors else None),
        "revenue_per_visitor": _figure(arm["revenue"] / visitors) if visitors else "—",
    }


def _comparison_row(metric: str, comparison: dict) -> dict:
    result = comparison.get("result") or {}
    rate = metric != Experiment.Metric.REVENUE_PER_VISITOR

    def shown(value) -> str:
        if value is None:
            return "—"
        if rate:
            return gettext("%(value)s points") % {"value": _figure(value * 100, signed=True)}
        return _figure(value, signed=True)

    p_value = result.get("p_value")
    mde = comparison.get("minimum_detectable_effect")
    return {
        **comparison,
        "words": comparison_words(metric, comparison),
        "difference": shown(result.get("difference")),
        "ci": gettext("%(low)s to %(high)s")
        % {"low": shown(result.get("ci_low")), "high": shown(result.get("ci_high"))}
        if result.get("ci_low") is not None
        else "—",
        "p_value": "—" if p_value is None else f"{p_value:.3g}",
        "mde": "—" if mde is None else _effect(mde, rate),
    }


def _effect(value: float, rate: bool) -> str:
    if rate:
        return gettext("%(value)s points") % {"value": _figure(value * 100)}
    return _figure(value)


@require_POST
@reader_required
def stop_view(request, experiment_id: int):
    experiment = get_object_or_404(Experiment, pk=experiment_id)
    try:
        stop_experiment(experiment)
    except ValidationError as exc:
        raise BadInput("experiment", gettext("it has already ended"), status=409) from exc
    return redirect("dashboard:experiment", experiment.pk)
