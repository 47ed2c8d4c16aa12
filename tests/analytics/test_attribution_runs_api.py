"""The attribution API: queue runs (202), a run's credits, models side by side, 400s."""

from __future__ import annotations

from datetime import timedelta

import pytest

from analytics.models import AttributionRun
from analytics.services.attribution_runs import execute_runs
from tests.analytics.kpi_data import analyst
from tests.analytics.test_attribution_runs import TOTAL, new_run
from tests.analytics.test_journeys import day_d, make_story

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_analyst(client):
    client.force_authenticate(analyst())
    return client


def test_post_queues_one_run_per_model_and_get_shows_status_then_credits(as_analyst):
    d = day_d()
    body = {"models": ["linear", "markov"], "level": "gallery", "from": str(d), "to": str(d)}
    answer = as_analyst.post("/api/v1/analytics/attribution/runs", body, format="json")
    assert answer.status_code == 202, answer.content
    runs = answer.json()["runs"]
    assert [(r["model"], r["status"], r["progress"]) for r in runs] == [
        ("linear", "queued", 0),
        ("markov", "queued", 0),
    ]
    make_story()
    execute_runs([runs[0]["id"]])
    shown = as_analyst.get(f"/api/v1/analytics/attribution/runs/{runs[0]['id']}").json()
    assert shown["status"] == "done"
    assert sum(row["value"] for row in shown["credits"]["channel"]) == pytest.approx(80.0 + 50)


def test_compare_puts_each_models_latest_done_run_side_by_side(as_analyst):
    make_story()
    runs = [new_run(m, "channel") for m in ("first_touch", "last_touch", "linear")]
    execute_runs([run.pk for run in runs])
    d = day_d()
    query = {"from": str(d - timedelta(days=2)), "to": str(d + timedelta(days=2))}
    answer = as_analyst.get("/api/v1/analytics/attribution/compare", query)
    assert answer.status_code == 200
    body = answer.json()
    assert set(body["runs"]) == {"first_touch", "last_touch", "linear"}
    by_key = {row["key"]: row["values"] for row in body["values"]}
    assert by_key["email"] == {"first_touch": 80.0, "last_touch": None, "linear": 40.0}
    for model in body["runs"]:
        assert sum(v[model] or 0 for v in by_key.values()) == pytest.approx(TOTAL)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"models": ["nope"], "from": "2026-01-01", "to": "2026-01-02"}, "models.0"),
        ({"models": ["linear"], "from": "2026-01-05", "to": "2026-01-02"}, "to"),
        ({"models": ["linear"], "from": "2026-01-01", "to": "2026-01-02", "level": "x"}, "level"),
        ({"models": ["markov"], "from": "2026-01-01", "to": "2026-01-02",
          "parameters": {"order": 9}}, "parameters.order"),
        ({"models": ["linear"], "from": "2026-01-01", "to": "2026-01-02",
          "parameters": {"order": 2}}, "parameters"),
        ({"models": ["linear"], "from": "2026-01-01", "to": "2026-01-02",
          "lookback_days": 0}, "lookback_days"),
        ({"models": ["linear"], "to": "2026-01-02"}, "from"),
    ],
)  # fmt: skip
def test_bad_run_requests_are_400_problems_naming_the_field(as_analyst, body, field):
    answer = as_analyst.post("/api/v1/analytics/attribution/runs", body, format="json")
    assert answer.status_code == 400, answer.content
    assert answer["Content-Type"].startswith("application/problem+json")
    assert field in [error["field"] for error in answer.json()["errors"]]
    assert not AttributionRun.objects.exists()


def test_unknown_run_is_404_and_other_roles_are_refused(client, as_analyst):
    assert as_analyst.get("/api/v1/analytics/attribution/runs/999").status_code == 404
    bad = as_analyst.get("/api/v1/analytics/attribution/compare", {"from": "x", "to": "y"})
    assert bad.status_code == 400
    assert {e["field"] for e in bad.json()["errors"]} == {"from", "to"}
    client.force_authenticate(None)
    assert client.get("/api/v1/analytics/attribution/runs/1").status_code in (401, 403)
