"""Attribution runs (/workspace/dashboard/runs): every run with its parameters, status,
progress and timings, and a form to start runs. Thin over the attribution-runs
service: the same queue_runs the API calls, the same validation."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_GET, require_http_methods

from analytics import selectors
from analytics.models import AttributionRun
from analytics.services.attribution_runs import MAX_LOOKBACK_DAYS, MODEL_NAMES, queue_runs
from workspace.access import BadInput, int_param, one_of, reader_required

LEVELS = ("asset", "gallery", "channel")
FINISHED = ("done", "failed")


def _date(data, name: str) -> date:
    raw = (data.get(name) or "").strip()
    try:
        return date.fromisoformat(raw)
    except ValueError as exc:
        message = gettext("must be a date as YYYY-MM-DD, not %(given)s") % {"given": repr(raw[:40])}
        raise BadInput(name, message) from exc


def _models(data) -> list[str]:
    models = [m for m in data.getlist("models") if m]
    if not models:
        raise BadInput("models", gettext("choose at least one model"))
    unknown = sorted(set(models) - set(MODEL_NAMES))
    if unknown:
        given = {"given": repr(unknown[0][:40]), "names": ", ".join(MODEL_NAMES)}
        raise BadInput("models", gettext("no model %(given)s; one of %(names)s") % given)
    return list(dict.fromkeys(models))


def start_runs(data) -> list:
    level = (data.get("level") or "asset").strip()
    if level not in LEVELS:
        raise BadInput("level", one_of(LEVELS))
    try:
        return queue_runs(
            models=_models(data),
            level=level,
            date_from=_date(data, "from"),
            date_to=_date(data, "to"),
            lookback_days=int_param(data, "lookback", default=30, high=MAX_LOOKBACK_DAYS),
        )
    except ValidationError as exc:
        field, messages = next(iter(exc.message_dict.items()))
        raise BadInput(field, messages[0]) from exc


@require_http_methods(["GET", "POST"])
@reader_required
def runs_view(request):
    if request.method == "POST":
        runs = start_runs(request.POST)
        if request.htmx:
            return render(request, "analytics/_run_progress.html", {"runs": runs})
        return redirect("dashboard:runs")
    rows = selectors.recent_runs()
    levels = [(level, AttributionRun.Level(level).label) for level in LEVELS]
    return render(
        request,
        "analytics/runs.html",
        {"runs": rows, "models": MODEL_NAMES, "levels": levels, "watching": _unfinished(rows)},
    )


def _unfinished(runs: list) -> list:
    return [run for run in runs if run.status not in FINISHED]


@require_GET
@reader_required
def run_progress_view(request):
    raw = [part for part in (request.GET.get("ids") or "").split(",") if part.strip()]
    try:
        ids = [int(part) for part in raw[:50]]
    except ValueError as exc:
        raise BadInput("ids", gettext("run ids are whole numbers")) from exc
    runs = selectors.runs_by_id(ids)
    if not runs:
        raise BadInput("ids", gettext("no such runs"), status=404)
    finished = not _unfinished(runs)
    return render(request, "analytics/_run_progress.html", {"runs": runs, "finished": finished})
