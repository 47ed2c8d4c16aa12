"""Gallery experiments: create them, assign visitors, and read their results.

Exposure is what the widget reports: a visitor is in a variant from their first
event carrying the experiment's key and that variant. Conversions are the orders
of that visitor (or of the customer their visitor id was seen on) placed after
that first exposure and before the experiment ended, worth their total net of
refunds. Statistics come from analytics.experiments (pure).
"""

from __future__ import annotations

import datetime as dt
import math

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from analytics.experiments import (
    assign_variant,
    mde_means,
    mde_proportions,
    mean_interval,
    proportion_interval,
    sample_ratio_mismatch,
    two_proportion_ztest,
    welch_ttest,
)
from analytics.experiments.stats import ALPHA, POWER, SRM_ALPHA
from analytics.models import Experiment, ExperimentVariant
from core.effects import after_commit
from ugc.delivery import variants as gallery_variants

# xgettext:no-python-format
PEEKING_WARNING = _(
    "Fixed-horizon tests: the p-values and intervals are valid for one look at a sample "
    "size chosen in advance. Checking repeatedly and stopping at the first p < 0.05 "
    "inflates false positives well beyond 5%; decide the duration (see the minimum "
    "detectable effect) before starting and read the result once at the end."
)
METHODS = {
    Experiment.Metric.CONVERSION_RATE: _("two-proportion z-test (share of visitors who ordered)"),
    Experiment.Metric.CLICK_THROUGH: _("two-proportion z-test (share of visitors who clicked)"),
    Experiment.Metric.REVENUE_PER_VISITOR: _("Welch's t-test on net revenue per visitor"),
}


@transaction.atomic
def create_experiment(*, site, key, placement, variants, metric, starts_at, ends_at=None, name=""):
    """An experiment with its variants [{name, weight, gallery}]; the first is control."""
    if len(variants) < 2:
        two = gettext("an experiment needs at least two variants")
        raise ValidationError({"variants": two})
    names = [v["name"] for v in variants]
    if len(set(names)) != len(names):
        raise ValidationError({"variants": gettext("variant names must differ")})
    if ends_at is not None and ends_at <= starts_at:
        raise ValidationError({"ends_at": gettext("must be after starts_at")})
    for index, variant in enumerate(variants):
        gallery = variant.get("gallery")
        if gallery is not None and gallery.site_id != site.pk:
            other = gettext("belongs to another site")
            raise ValidationError({f"variants.{index}.gallery": other})
    experiment = Experiment.objects.create(
        site=site,
        key=key,
        name=name,
        placement=placement,
        metric=metric,
        starts_at=starts_at,
        ends_at=ends_at,
    )
    after_commit(gallery_variants.forget)
    ExperimentVariant.objects.bulk_create(
        ExperimentVariant(
            experiment=experiment,
            name=v["name"],
            weight=v["weight"],
            gallery=v.get("gallery"),
            position=index,
        )
        for index, v in enumerate(variants)
    )
    return experiment


def running_experiment(site_id: int, placement: str, now: dt.datetime | None = None):
    """The experiment running on this site's gallery slot now, if any (the newest)."""
    now = now or timezone.now()
    return (
        Experiment.objects.filter(site_id=site_id, placement=placement, starts_at__lte=now)
        .exclude(ends_at__lte=now)
        .prefetch_related("variants__gallery")
        .order_by("-starts_at", "-pk")
        .first()
    )


def variant_for(experiment: Experiment, visitor_id: str) -> ExperimentVariant:
    variants = list(experiment.variants.all())
    return variants[assign_variant(experiment.pk, visitor_id, [v.weight for v in variants])]


def gallery_variant(site_id: int, placement: str, visitor_id: str):
    """What the public gallery API shows this visitor in this slot (ugc.delivery.variants)."""
    experiment = running_experiment(site_id, placement)
    if experiment is None:
        return None
    variant = variant_for(experiment, visitor_id)
    return gallery_variants.GalleryVariant(experiment.key, variant.name, variant.gallery_id)


def gallery_resolver():
    return gallery_variants.Resolver(
        running=lambda site_id, placement: running_experiment(site_id, placement) is not None,
        variant=gallery_variant,
    )


_RESULTS = """
WITH exposed AS (
    SELECT visitor_id, variant, min(received_at) AS first_seen,
           bool_or(type = 'asset_click') AS clicked
    FROM analytics_event
    WHERE site_id = %(site)s AND experiment = %(key)s AND variant IS NOT NULL
      AND received_at >= %(start)s AND received_at < %(end)s
    GROUP BY visitor_id, variant
), people AS (
    SELECT visitor_id, min(customer_id) AS customer_id
    FROM commerce_customervisitor GROUP BY visitor_id
), per_visitor AS (
    SELECT x.variant, x.clicked, count(o.id) AS orders,
           coalesce(sum(greatest(o.total - o.refunded_amount, 0)), 0)::float8 AS revenue
    FROM exposed x
    LEFT JOIN people p ON p.visitor_id = x.visitor_id
    LEFT JOIN commerce_order o
      ON (o.visitor_id = x.visitor_id OR o.customer_id = p.customer_id)
     AND o.created_at_shop >= x.first_seen AND o.created_at_shop < %(end)s
     AND o.status <> 'cancelled'
    GROUP BY x.visitor_id, x.variant, x.clicked
)
SELECT variant, count(*), count(*) FILTER (WHERE orders > 0), sum(orders),
       sum(revenue), coalesce(var_samp(revenue), 0), count(*) FILTER (WHERE clicked)
FROM per_visitor GROUP BY variant
"""


def experiment_results(experiment: Experiment, now: dt.datetime | None = None) -> dict:
    end = experiment.ends_at or (now or timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(
            _RESULTS,
            {
                "site": experiment.site_id,
                "key": experiment.key,
                "start": experiment.starts_at,
                "end": end,
            },
        )
        found = {row[0]: row[1:] for row in cursor.fetchall()}
    variants = list(experiment.variants.all())
    arms = [_arm(v, found.get(v.name, (0, 0, 0, 0.0, 0.0, 0))) for v in variants]
    for arm in arms:
        arm["estimate"] = arm_estimate(experiment.metric, arm)
    chi2, srm_p = sample_ratio_mismatch([a["visitors"] for a in arms], [v.weight for v in variants])
    return {
        "experiment": experiment.key,
        "metric": experiment.metric,
        "method": METHODS[experiment.metric],
        "alpha": ALPHA,
        "peeking_warning": PEEKING_WARNING,
        "variants": arms,
        "comparisons": [_compare(experiment.metric, arms[0], arm) for arm in arms[1:]],
        "sample_ratio_mismatch": {
            "chi_square": chi2,
            "p_value": srm_p,
            "mismatch": srm_p < SRM_ALPHA,
            "threshold": SRM_ALPHA,
        },
        # Exposures not matching any configured variant (a typo, an old widget).
        "unknown_variants": sorted(set(found) - {v.name for v in variants}),
    }


def _arm(variant: ExperimentVariant, row) -> dict:
    visitors, converters, orders, revenue, variance, clickers = row
    return {
        "name": variant.name,
        "weight": variant.weight,
        "gallery": variant.gallery.slug if variant.gallery_id else None,
        "visitors": visitors,
        "converters": converters,
        "orders": int(orders),
        "revenue": round(float(revenue), 3),
        "revenue_variance": float(variance),
        "clickers": clickers,
    }


def arm_estimate(metric: str, arm: dict) -> dict | None:
    """The arm's own value of the metric with its 95% interval; None while too few
    visitors saw it to have one."""
    visitors = arm["visitors"]
    if metric == Experiment.Metric.REVENUE_PER_VISITOR:
        if visitors < 2:
            return None
        mean = arm["revenue"] / visitors
        low, high = mean_interval(mean, arm["revenue_variance"], visitors)
        return {"value": mean, "ci_low": low, "ci_high": high}
    if visitors < 1:
        return None
    successes = arm["clickers" if metric == Experiment.Metric.CLICK_THROUGH else "converters"]
    low, high = proportion_interval(successes, visitors)
    return {"value": successes / visitors, "ci_low": low, "ci_high": high}


def _compare(metric: str, control: dict, variant: dict) -> dict:
    out = {"variant": variant["name"], "control": control["name"]}
    n1, n2 = control["visitors"], variant["visitors"]
    if metric == Experiment.Metric.REVENUE_PER_VISITOR:
        if min(n1, n2) < 2:
            return {**out, "result": None, "minimum_detectable_effect": None}
        m1, m2 = control["revenue"] / n1, variant["revenue"] / n2
        test = welch_ttest(m1, control["revenue_variance"], n1, m2, variant["revenue_variance"], n2)
        std = math.sqrt(control["revenue_variance"])
        mde = mde_means(std, n1, n2)
        return {**out, "result": test.as_dict(), "minimum_detectable_effect": mde}
    field = "clickers" if metric == Experiment.Metric.CLICK_THROUGH else "converters"
    if min(n1, n2) < 1:
        return {**out, "result": None, "minimum_detectable_effect": None}
    test = two_proportion_ztest(control[field], n1, variant[field], n2)
    mde = mde_proportions(control[field] / n1, n1, n2, ALPHA, POWER)
    return {**out, "result": test.as_dict(), "minimum_detectable_effect": mde}


def stop_experiment(experiment: Experiment, now: dt.datetime | None = None) -> Experiment:
    """End the experiment now (before its planned end, or if it has none): visitors get
    the slot's own gallery again and the results stop counting at this moment."""
    now = now or timezone.now()
    if experiment.ends_at is not None and experiment.ends_at <= now:
        raise ValidationError({"ends_at": gettext("the experiment has already ended")})
    experiment.ends_at = now
    experiment.save(update_fields=["ends_at"])
    after_commit(gallery_variants.forget)
    return experiment
