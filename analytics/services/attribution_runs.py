"""Attribution runs: queue them, compute them from the database's journeys, store credits.

A run is one model over the journeys of a date range at one touch level. Every
model here ends as a credit per touch (its part of its journey's conversion
and value), so one touch's credit can be summed by its channel, its gallery
and its asset alike, and each level adds up to the run's total (docs/architecture.md, rule 3):

- the rule-based models and Shapley give each touch a share of its journey
  (the `*_shares` functions, Shapley by its closed form);
- time decay weights touches by their age at the conversion;
- Markov credits whole keys (a channel, gallery or asset state); a key's credit
  is spread over its touches in converting journeys in proportion to each
  journey's value over its length, which keeps every key's total exact.

Runs with the same range and journey settings share one build of the journeys.
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from analytics.attribution import (
    DIRECT,
    PathSet,
    attribute_markov,
    first_touch_shares,
    last_non_direct_shares,
    last_touch_shares,
    linear_shares,
    position_based_shares,
    shapley_shares,
    time_decay_shares,
)
from analytics.models import AttributionCredit, AttributionRun
from analytics.services.journeys import (
    INTERACTION,
    NONE,
    SESSION,
    JourneyError,
    Journeys,
    build_journeys,
)
from core.effects import enqueue_after_commit
from core.reasons import Reason

logger = logging.getLogger(__name__)

MODEL_NAMES = (
    "first_touch",
    "last_touch",
    "last_non_direct",
    "linear",
    "position_based",
    "time_decay",
    "markov",
    "shapley",
)
Level = AttributionRun.Level
MAX_RANGE_DAYS = 366
MAX_LOOKBACK_DAYS = 365
# Parameters each model takes, with their defaults and allowed ranges.
PARAMETERS: dict[str, dict[str, tuple[float, float, float]]] = {
    "position_based": {"first": (0.4, 0.0, 1.0), "last": (0.4, 0.0, 1.0)},
    "time_decay": {"half_life_days": (7.0, 0.01, 365.0)},
    "markov": {"order": (1, 1, 4)},
}


# -- queueing -------------------------------------------------------------------------------


def checked_parameters(model: str, parameters: dict | None) -> dict:
    """The model's parameters with defaults filled in; ValidationError names a bad one."""
    if model not in MODEL_NAMES:
        names = ", ".join(MODEL_NAMES)
        unknown = gettext("unknown model %(model)r; one of %(names)s")
        raise ValidationError({"model": unknown % {"model": model, "names": names}})
    given = dict(parameters or {})
    allowed = PARAMETERS.get(model, {})
    unknown = sorted(set(given) - set(allowed))
    if unknown:
        takes = {"model": model, "names": ", ".join(unknown)}
        no = gettext("%(model)s takes no parameter %(names)s") % takes
        raise ValidationError({"parameters": no})
    out = {}
    for name, (default, low, high) in allowed.items():
        value = given.get(name, default)
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if not number or not low <= value <= high:
            bounds = gettext("must be a number in [%(low)s, %(high)s]") % {"low": low, "high": high}
            raise ValidationError({f"parameters.{name}": bounds})
        out[name] = int(value) if name == "order" else float(value)
    if model == "position_based" and not 0 < out["first"] + out["last"] <= 1:
        sum_words = gettext("first + last must be above 0 and at most 1")
        raise ValidationError({"parameters": sum_words})
    if model == "markov" and out["order"] != given.get("order", out["order"]):
        raise ValidationError({"parameters.order": gettext("must be a whole number")})
    return out


def queue_runs(
    *,
    models: list[str],
    level: str,
    date_from: dt.date,
    date_to: dt.date,
    lookback_days: int = 30,
    include_impressions: bool = False,
    currency: str = "",
    parameters: dict | None = None,
) -> list[AttributionRun]:
    """Create one queued run per model and send them to the analytics queue as one task
    (they share the journeys) once the rows are committed."""
    from analytics.tasks import run_attributions

    if date_to < date_from:
        raise ValidationError({"to": gettext("must be on or after from")})
    if (date_to - date_from).days >= MAX_RANGE_DAYS:
        most = {"most": MAX_RANGE_DAYS}
        raise ValidationError({"to": gettext("a range is at most %(most)s days") % most})
    if level not in Level.values:
        names = {"names": ", ".join(Level.values)}
        raise ValidationError({"level": gettext("one of %(names)s") % names})
    per_model = (parameters or {}) if len(models) == 1 else {}
    with transaction.atomic():
        runs = [
            AttributionRun.objects.create(
                model=model,
                level=level,
                date_from=date_from,
                date_to=date_to,
                lookback_days=lookback_days,
                include_impressions=include_impressions,
                currency=currency,
                parameters=checked_parameters(model, per_model),
            )
            for model in models
        ]
        ids = [run.pk for run in runs]
        enqueue_after_commit(run_attributions, ids)
    return runs


# A run still queued this long after it was made lost its message: no queue waits this long.
STALE_QUEUED_AFTER = dt.timedelta(minutes=15)


def requeue_stale(now=None) -> list[int]:
    """Queue again the runs whose message never reached a worker (beat, every few minutes)."""
    from analytics.tasks import run_attributions

    cutoff = (now or timezone.now()) - STALE_QUEUED_AFTER
    ids = list(
        AttributionRun.objects.filter(status=AttributionRun.Status.QUEUED, created_at__lt=cutoff)
        .order_by("pk")
        .values_list("pk", flat=True)[:1000]
    )
    if ids:
        run_attributions.delay(ids)
    return ids


# -- computing ------------------------------------------------------------------------------


def execute_runs(run_ids: list[int]) -> list[str]:
    """Compute these runs, building each distinct journey set once; their statuses."""
    groups: dict[tuple, list[AttributionRun]] = defaultdict(list)
    for run in AttributionRun.objects.filter(pk__in=run_ids).order_by("pk"):
        groups[_journey_spec(run)].append(run)
    outcomes = []
    for runs in groups.values():
        outcomes += _execute_group(runs)
    return outcomes


def _journey_spec(run: AttributionRun) -> tuple:
    return (run.date_from, run.date_to, run.lookback_days, run.include_impressions, run.currency)


def _execute_group(runs: list[AttributionRun]) -> list[str]:
    started = time.perf_counter()
    for run in runs:
        _mark(run, status=AttributionRun.Status.RUNNING, progress=5, started_at=timezone.now())
    try:
        journeys = build_journeys(
            date_from=runs[0].date_from,
            date_to=runs[0].date_to,
            lookback_days=runs[0].lookback_days,
            include_impressions=runs[0].include_impressions,
            currency=runs[0].currency,
        )
    except JourneyError as exc:
        for run in runs:
            _fail(run, exc.reason)
        return [AttributionRun.Status.FAILED] * len(runs)
    built = time.perf_counter() - started
    for run in runs:
        _mark(run, progress=40)
    return [_execute_one(run, journeys, built) for run in runs]


def _execute_one(run: AttributionRun, journeys: Journeys, journeys_seconds: float) -> str:
    try:
        started = time.perf_counter()
        level = touches_at_level(journeys, run.level)
        credit = touch_credits(level, run.model, run.parameters)
        _mark(run, progress=70)
        modelled = time.perf_counter() - started
        rows = credit_rows(level, credit, run.level)
        _store(run, level, rows, {"journeys": journeys_seconds, "model": modelled}, started)
        if run.level == Level.ASSET:
            send_asset_revenue_to_ugc(run, level, credit)
        return AttributionRun.Status.DONE
    except Exception as exc:
        logger.exception("attribution run %s failed", run.pk)
        # The other runs sharing these journeys still go on; the log has the traceback.
        error = f"{type(exc).__name__}: {exc}"  # the API's words, as before
        _fail(run, Reason(gettext_noop("The run failed: %(error)s"), {"error": error}, error))
        return AttributionRun.Status.FAILED


def _mark(run: AttributionRun, **fields) -> None:
    AttributionRun.objects.filter(pk=run.pk).update(**fields)


def _fail(run: AttributionRun, why: Reason) -> None:
    _mark(
        run,
        status=AttributionRun.Status.FAILED,
        error=why.english(),
        error_message=why.stored(),
        finished_at=timezone.now(),
    )


# -- journeys at a level ----------------------------------------------------------------------


@dataclass(frozen=True)
class LevelTouches:
    """The journeys with only the touches a level counts, each touch coded by key."""

    keys: tuple[str, ...]
    journeys: Journeys  # filtered: offsets and touch columns hold only counted touches
    key: np.ndarray  # per touch, index into keys
    unattributed_conversions: float
    unattributed_value: float


def touches_at_level(journeys: Journeys, level: str) -> LevelTouches:
    """Channel runs count sessions; gallery and asset runs also gallery interactions."""
    n_channels = len(journeys.channels)
    session = journeys.kind == SESSION
    key = journeys.channel.astype(np.int64)
    names = list(journeys.channels)
    if level == Level.GALLERY:
        counted = session | ((journeys.kind == INTERACTION) & (journeys.gallery > 0))
        key = np.where(session, key, n_channels + journeys.gallery)
        names += [f"gallery:{g}" for g in journeys.galleries]
    elif level == Level.ASSET:
        counted = session | ((journeys.kind == INTERACTION) & (journeys.asset > 0))
        assets, asset_code = np.unique(journeys.asset, return_inverse=True)
        key = np.where(session, key, n_channels + asset_code.ravel())
        names += [f"asset:{a}" for a in assets]
    else:
        counted = session
    return _keep(journeys, counted, key, tuple(names))


def _keep(journeys: Journeys, counted: np.ndarray, key: np.ndarray, names) -> LevelTouches:
    journey = journeys.journey_of_touch[counted]
    lengths = np.bincount(journey, minlength=len(journeys))
    alive = lengths > 0
    # A converting journey none of whose touches count here is unattributed at this level.
    lost = ~alive & (journeys.conversions > 0)
    offsets = np.concatenate(([0], np.cumsum(lengths[alive]))).astype(np.int64)
    kept = Journeys(
        channels=journeys.channels,
        galleries=journeys.galleries,
        offsets=offsets,
        kind=journeys.kind[counted],
        time=journeys.time[counted],
        channel=journeys.channel[counted],
        gallery=journeys.gallery[counted],
        asset=journeys.asset[counted],
        conversions=journeys.conversions[alive],
        values=journeys.values[alive],
        conversion_time=journeys.conversion_time[alive],
        unattributed_conversions=journeys.unattributed_conversions,
        unattributed_value=journeys.unattributed_value,
    )
    return LevelTouches(
        keys=names,
        journeys=kept,
        key=key[counted].astype(np.int32),
        unattributed_conversions=journeys.unattributed_conversions + float(lost.sum()),
        unattributed_value=journeys.unattributed_value + float(journeys.values[lost].sum()),
    )


# -- credit per touch -----------------------------------------------------------------------


SHARE_RULES = {
    "first_touch": lambda paths, p: first_touch_shares(paths),
    "last_touch": lambda paths, p: last_touch_shares(paths),
    "last_non_direct": lambda paths, p: last_non_direct_shares(paths, DIRECT),
    "linear": lambda paths, p: linear_shares(paths),
    "position_based": lambda paths, p: position_based_shares(paths, p["first"], p["last"]),
    "shapley": lambda paths, p: shapley_shares(paths),
}


@dataclass(frozen=True)
class TouchCredit:
    """Per counted touch: its credited conversions and value (zero on non-converting ones)."""

    conversions: np.ndarray
    values: np.ndarray


def touch_credits(level: LevelTouches, model: str, parameters: dict) -> TouchCredit:
    parameters = checked_parameters(model, parameters)  # defaults for rows made by hand
    journeys = level.journeys
    journey = journeys.journey_of_touch
    if model == "markov":
        return _markov_credits(level, parameters.get("order", 1))
    if model == "time_decay":
        shares = time_decay_shares(
            journeys.offsets,
            journeys.time / 1000.0,
            journeys.conversion_time / 1000.0,
            parameters.get("half_life_days", 7.0),
        )
    else:
        paths = PathSet.from_journeys(
            level.keys, journeys.lengths, level.key, journeys.conversions, journeys.values, False
        )
        shares = SHARE_RULES[model](paths, parameters)
    return TouchCredit(shares * journeys.conversions[journey], shares * journeys.values[journey])


def _markov_credits(level: LevelTouches, order: int) -> TouchCredit:
    journeys = level.journeys
    if not (journeys.conversions > 0).any():  # nothing to credit; the chain needs an end
        zeros = np.zeros(len(level.key))
        return TouchCredit(zeros, zeros)
    paths = PathSet.from_journeys(
        level.keys, journeys.lengths, level.key, journeys.conversions, journeys.values
    )
    credits = attribute_markov(paths, order=order)
    journey = journeys.journey_of_touch
    per_touch = 1.0 / journeys.lengths[journey]
    n_keys = len(level.keys)

    def spread(per_key: np.ndarray, amount: np.ndarray) -> np.ndarray:
        weight = per_touch * amount[journey]
        totals = np.bincount(level.key, weight, minlength=n_keys)
        scale = np.divide(per_key, totals, out=np.zeros(n_keys), where=totals > 0)
        return weight * scale[level.key]

    return TouchCredit(
        spread(credits.conversions, journeys.conversions), spread(credits.values, journeys.values)
    )


# -- results --------------------------------------------------------------------------------


def credit_rows(level: LevelTouches, credit: TouchCredit, run_level: str) -> list[tuple]:
    """(level, key, conversions, value) per channel, and per gallery and asset when counted."""
    journeys = level.journeys
    rows = _summed(Level.CHANNEL, journeys.channel, journeys.channels, credit)
    if run_level in (Level.GALLERY, Level.ASSET):
        rows += _summed(Level.GALLERY, journeys.gallery, journeys.galleries, credit)
    if run_level == Level.ASSET:
        assets, code = np.unique(journeys.asset, return_inverse=True)
        names = [NONE if a == 0 else str(a) for a in assets]
        rows += _summed(Level.ASSET, code.ravel(), names, credit)
    return rows


def _summed(level: str, code: np.ndarray, names, credit: TouchCredit) -> list[tuple]:
    conv = np.bincount(code, credit.conversions, minlength=len(names))
    value = np.bincount(code, credit.values, minlength=len(names))
    return [
        (level, names[i], float(conv[i]), float(value[i]))
        for i in np.flatnonzero((conv != 0) | (value != 0))
    ]


def _store(run, level: LevelTouches, rows, timings: dict, started: float) -> None:
    """Replace the run's results in one transaction: a rerun leaves exactly one set."""
    journeys = level.journeys
    with transaction.atomic():
        AttributionRun.objects.select_for_update().get(pk=run.pk)
        AttributionCredit.objects.filter(run_id=run.pk).delete()
        AttributionCredit.objects.bulk_create(
            [
                AttributionCredit(run_id=run.pk, level=lvl, key=key, conversions=c, value=v)
                for lvl, key, c, v in rows
            ],
            batch_size=5000,
        )
        timings["store"] = time.perf_counter() - started - timings["model"]
        _mark(
            run,
            status=AttributionRun.Status.DONE,
            progress=100,
            error="",
            error_message=None,
            finished_at=timezone.now(),
            timings={name: round(seconds, 3) for name, seconds in timings.items()},
            journeys=len(journeys),
            conversions=float(journeys.conversions.sum()),
            value=float(journeys.values.sum()),
            unattributed_conversions=level.unattributed_conversions,
            unattributed_value=level.unattributed_value,
        )


def send_asset_revenue_to_ugc(run: AttributionRun, level: LevelTouches, credit: TouchCredit):
    """Each asset's attributed conversions and revenue per conversion day, to ugc's
    performance snapshot (source "attribution:<model>"): the same run again writes the
    same rows, and scoring takes the largest figure over sources, never a sum."""
    from ugc.models import Asset
    from ugc.services.performance import record_asset_performance

    journeys = level.journeys
    touch_day = journeys.conversion_time[journeys.journey_of_touch] // 86_400_000
    mask = (journeys.asset > 0) & (credit.conversions > 0)
    if not mask.any():
        return 0
    pairs, inverse = np.unique(
        np.stack([journeys.asset[mask], touch_day[mask]], axis=1), axis=0, return_inverse=True
    )
    conv = np.bincount(inverse.ravel(), credit.conversions[mask], minlength=len(pairs))
    value = np.bincount(inverse.ravel(), credit.values[mask], minlength=len(pairs))
    sent = 0
    for (asset_id, day), conversions, revenue in zip(pairs, conv, value, strict=True):
        try:
            record_asset_performance(
                asset_id=int(asset_id),
                day=dt.date(1970, 1, 1) + dt.timedelta(days=int(day)),
                gallery_impressions=0,
                clicks=0,
                conversions=round(float(conversions)),
                revenue=round(float(revenue), 3),
                source=f"attribution:{run.model}",
            )
            sent += 1
        except Asset.DoesNotExist:
            continue  # an event naming an asset deleted since: nothing to score
    return sent
