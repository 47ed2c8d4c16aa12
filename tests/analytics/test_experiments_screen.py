"""The experiments screen: start one from the form, read its results with intervals, the
sample-ratio check and a verdict in words, stop it. Events go in through the real collect
endpoint."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from analytics.models import Experiment
from tests.analytics.conftest import event, post
from tests.analytics.test_dashboard import analyst_user
from tests.ugc.factories import GalleryFactory

pytestmark = pytest.mark.django_db
URL = "/workspace/dashboard/experiments"


@pytest.fixture
def web():
    web = Client(raise_request_exception=False)
    web.force_login(analyst_user())
    return web


def test_the_form_starts_an_experiment_with_a_challenger_and_a_holdout(web, site):
    home = GalleryFactory(site=site, slug="home")
    close_ups = GalleryFactory(site=site, slug="close-ups")
    form = {"name": "Close-ups on the home page", "gallery": home.pk, "challenger": close_ups.pk,
            "holdout_percent": 10, "metric": "click_through", "duration_days": 14}  # fmt: skip
    response = web.post(URL, form)
    experiment = Experiment.objects.get()
    assert response.status_code == 302 and response["Location"] == f"{URL}/{experiment.pk}"
    assert (experiment.key, experiment.placement) == ("close-ups-on-the-home-page", "home")
    assert experiment.ends_at - experiment.starts_at == timedelta(days=14)
    variants = [(v.name, round(v.weight, 3), v.gallery_id) for v in experiment.variants.all()]
    assert variants == [("control", 0.45, home.pk), ("b", 0.45, close_ups.pk),
                        ("holdout", 0.1, None)]  # fmt: skip
    assert "Close-ups on the home page" in web.get(URL).text


def test_a_form_with_nothing_to_compare_says_why(web, site):
    home = GalleryFactory(site=site, slug="home")
    form = {"name": "x", "gallery": home.pk, "holdout_percent": 0, "metric": "click_through",
            "duration_days": 14}  # fmt: skip
    response = web.post(URL, form)
    assert response.status_code == 400 and "nothing to compare" in response.text
    assert not Experiment.objects.exists()


def exposures(client, site, key, variant, visitors, clicked):
    events = []
    for n in range(visitors):
        fields = {"visitor_id": f"v_{variant}_{n}", "session_id": f"s_{variant}_{n}",
                  "experiment": key, "variant": variant, "gallery": "home"}  # fmt: skip
        events.append(event("asset_impression", asset_id=7, **fields))
        if n < clicked:
            events.append(event("asset_click", asset_id=7, **fields))
    assert post(client, site, events).status_code == 202


def test_the_results_have_intervals_the_ratio_check_a_verdict_and_stop(web, client, site):
    home = GalleryFactory(site=site, slug="home")
    other = GalleryFactory(site=site, slug="close-ups")
    experiment = Experiment.objects.create(
        site=site, key="home-test", name="Home test", placement="home", metric="click_through",
        starts_at=timezone.now() - timedelta(hours=1),
    )  # fmt: skip
    experiment.variants.create(name="control", weight=1, gallery=home, position=0)
    experiment.variants.create(name="b", weight=1, gallery=other, position=1)
    exposures(client, site, "home-test", "control", 200, 10)
    exposures(client, site, "home-test", "b", 200, 40)
    page = web.get(f"{URL}/{experiment.pk}")
    assert page.status_code == 200
    text = " ".join(page.text.split())
    assert "Running: read this once at the planned end" in text
    assert "Variant b raised click-through by 15.0 points against control (95 % CI" in text
    assert "The sample ratio is as planned." in text
    assert "+15.00 points" in text and "50.00 %" in text  # the difference; planned share
    # Each arm's own click-through with its interval, drawn and as a table beside.
    estimates = page.context["estimates"]
    assert [(row["label"], row["value"]) for row in estimates.rows] == [
        ("control", 0.05), ("b", 0.2)
    ]  # fmt: skip
    assert all(row["ci_low"] < row["value"] < row["ci_high"] for row in estimates.rows)
    chart = estimates.charts[0]
    assert chart["percent"] and chart["datasets"][0]["data"][1] == [
        estimates.rows[1]["ci_low"], estimates.rows[1]["ci_high"]
    ]  # fmt: skip
    assert chart["datasets"][2]["data"] == [0.05, 0.05]  # control's line across every arm
    assert 'id="table-estimates"' in page.text and "Control's estimate" in page.text
    french = web.get(f"{URL}/{experiment.pk}", headers={"accept-language": "fr"})
    assert "Taux de clic par variante, avec son intervalle à 95\u00a0%" in french.text
    assert "20,00 %" in french.text  # b's estimate in the table, as French writes it
    labels = [d["label"] for d in french.context["estimates"].charts[0]["datasets"]]
    assert labels == ["Intervalle à 95\u00a0%", "Estimation", "Estimation du témoin"]

    assert web.post(f"{URL}/{experiment.pk}/stop").status_code == 302
    experiment.refresh_from_db()
    assert experiment.ends_at is not None and experiment.ends_at <= timezone.now()
    assert "Stop the experiment now" not in web.get(f"{URL}/{experiment.pk}").text
    assert web.post(f"{URL}/{experiment.pk}/stop").status_code == 409
    assert web.get(f"{URL}/999999").status_code == 404
