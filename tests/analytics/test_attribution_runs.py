"""Attribution runs over the journeys of tests/analytics/test_journeys.py's story.

Converting journeys there (channel level): email > direct (80), organic_search (40),
paid_search > display (50); at asset level alice's first journey is
email > asset A (clicked in the email session) > direct. The ghost's 30 is unattributed.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from analytics.models import AttributionCredit, AttributionRun
from analytics.services.attribution_runs import MODEL_NAMES, execute_runs
from tests.analytics.test_journeys import day_d, make_story
from tests.support.worker import wait_until
from ugc.models import AssetPerformance

TOTAL = 170.0


def new_run(model: str, level: str = "asset", **fields) -> AttributionRun:
    d = day_d()
    return AttributionRun.objects.create(
        model=model,
        level=level,
        date_from=d - timedelta(days=2),
        date_to=d + timedelta(days=2),
        parameters=fields.pop("parameters", {}),
        **fields,
    )


def credits(run: AttributionRun, level: str) -> dict[str, tuple[float, float]]:
    rows = AttributionCredit.objects.filter(run=run, level=level)
    return {row.key: (round(row.conversions, 6), round(row.value, 3)) for row in rows}


@pytest.mark.django_db
def test_a_linear_asset_run_credits_channels_galleries_and_assets_exactly_and_tells_ugc():
    _, asset = make_story()
    run = new_run("linear")
    assert execute_runs([run.pk]) == ["done"]
    run.refresh_from_db()
    assert (run.status, run.progress, run.journeys) == ("done", 100, 5)
    assert (run.conversions, run.value) == (3.0, TOTAL)
    assert (run.unattributed_conversions, run.unattributed_value) == (1.0, 30.0)
    third = round(80 / 3, 3)
    assert credits(run, "channel") == {
        "email": (round(2 / 3, 6), round(160 / 3, 3)),
        "direct": (round(1 / 3, 6), third),
        "organic_search": (1.0, 40.0),
        "paid_search": (0.5, 25.0),
        "display": (0.5, 25.0),
    }
    assert credits(run, "gallery") == {
        "home": (round(1 / 3, 6), third),
        "(none)": (round(8 / 3, 6), round(TOTAL - 80 / 3, 3)),
    }
    assert credits(run, "asset")[str(asset.pk)] == (round(1 / 3, 6), third)
    sent = AssetPerformance.objects.get(asset=asset, source="attribution:linear")
    assert (sent.day, float(sent.revenue)) == (day_d(), third)
    assert set(run.timings) == {"journeys", "model", "store"}


@pytest.mark.django_db
@pytest.mark.parametrize("model", MODEL_NAMES)
def test_every_model_adds_up_to_the_conversions_and_value_at_every_level(model):
    make_story()
    run = new_run(model)
    assert execute_runs([run.pk]) == ["done"], AttributionRun.objects.get(pk=run.pk).error
    for level in ("channel", "gallery", "asset"):
        rows = AttributionCredit.objects.filter(run=run, level=level)
        assert sum(row.value for row in rows) == pytest.approx(TOTAL), level
        assert sum(row.conversions for row in rows) == pytest.approx(3.0), level
        assert all(row.value >= -1e-9 for row in rows)


@pytest.mark.django_db
def test_a_rerun_replaces_its_results_and_runs_share_one_build_of_the_journeys():
    make_story()
    first, second = new_run("last_touch", "channel"), new_run("first_touch", "channel")
    assert execute_runs([first.pk, second.pk]) == ["done", "done"]
    before = credits(first, "channel")
    assert before == {
        "direct": (1.0, 80.0),
        "organic_search": (1.0, 40.0),
        "display": (1.0, 50.0),
    }
    assert credits(second, "channel")["email"] == (1.0, 80.0)
    execute_runs([first.pk])
    assert credits(first, "channel") == before
    assert AttributionCredit.objects.filter(run=first).count() == len(before)


@pytest.mark.django_db
def test_orders_in_two_currencies_fail_the_run_with_the_reason_unless_one_is_named():
    make_story()
    from tests.analytics.test_journeys import at, order
    from tests.commerce.factories import ShopFactory

    bad = order(ShopFactory(), at(day_d(), 16), "10", visitor_id="v_carol")
    bad.currency = "USD"
    bad.save()
    run = new_run("linear", "channel")
    assert execute_runs([run.pk]) == ["failed"]
    run.refresh_from_db()
    assert "EUR, USD" in run.error and run.status == "failed"
    named = new_run("linear", "channel", currency="EUR")
    assert execute_runs([named.pk]) == ["done"]
    named.refresh_from_db()
    assert named.value == TOTAL


@pytest.mark.worker
def test_a_queued_run_is_computed_by_a_real_worker_and_a_second_delivery_changes_nothing(
    start_worker, app_on_broker, producer
):
    from analytics.services.attribution_runs import queue_runs
    from analytics.tasks import run_attributions

    make_story()
    d = day_d()
    worker = start_worker()
    runs = queue_runs(
        models=["markov", "shapley"],
        level="gallery",
        date_from=d - timedelta(days=2),
        date_to=d + timedelta(days=2),
    )
    ids = [run.pk for run in runs]

    def all_done():
        return AttributionRun.objects.filter(pk__in=ids, status="done").count() == 2

    try:
        wait_until(all_done, timeout=90, interval=0.25, what="both runs done")
    except TimeoutError as exc:
        raise TimeoutError(f"{exc}; worker log:\n{worker.log()[-6000:]}") from exc
    before = {pk: credits(AttributionRun(pk=pk), "gallery") for pk in ids}
    assert sum(v for _, v in before[ids[0]].values()) == pytest.approx(TOTAL)
    run_attributions.apply_async(([ids[0]],), connection=producer)
    wait_until(
        lambda: (
            AttributionRun.objects.get(pk=ids[0]).finished_at
            > AttributionRun.objects.get(pk=ids[1]).finished_at
        ),
        timeout=60,
        interval=0.25,
        what="the rerun",
    )
    assert credits(AttributionRun(pk=ids[0]), "gallery") == before[ids[0]]


@pytest.mark.django_db
def test_the_attribute_command_runs_on_the_database_without_input():
    import io

    from django.core.management import CommandError, call_command

    make_story()
    d = day_d()
    out = io.StringIO()
    call_command(
        "attribute", "--model", "last_touch", "--from", str(d - timedelta(days=2)),
        "--to", str(d + timedelta(days=2)), stdout=out, stderr=io.StringIO(),
    )  # fmt: skip
    lines = out.getvalue().splitlines()
    assert lines[0] == "level,key,conversions,value"
    assert "channel,direct,1.000000,80.000" in lines
    with pytest.raises(CommandError, match="--from and --to"):
        call_command("attribute", "--model", "linear", stdout=io.StringIO())
