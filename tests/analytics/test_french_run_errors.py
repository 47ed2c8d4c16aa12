"""A failed attribution run's reason reads French on the runs screen and its progress
line, from the real failure (orders in two currencies), while the row and the API keep
their English, and a run failed before its message existed shows that English."""

from __future__ import annotations

import html

import pytest
from django.conf import settings
from django.test import Client

from analytics.services.attribution_runs import execute_runs
from tests.analytics.kpi_data import analyst
from tests.analytics.test_attribution_runs import new_run
from tests.analytics.test_dashboard import analyst_user
from tests.analytics.test_journeys import at, day_d, make_story, order
from tests.commerce.factories import ShopFactory

pytestmark = pytest.mark.django_db
URL = "/workspace/dashboard/"
ENGLISH = (
    "orders in EUR, USD: name the currency to attribute, values in different currencies "
    "do not add up"
)
FRENCH = "commandes en EUR, USD\u00a0: nommez la devise à attribuer"


def french_screen(path: str) -> str:
    web = Client()
    web.force_login(analyst_user())
    web.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    response = web.get(URL + path)
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def test_a_run_failed_on_two_currencies_reads_french_and_keeps_its_english(client):
    make_story()
    second = order(ShopFactory(), at(day_d(), 16), "10", visitor_id="v_carol")
    second.currency = "USD"
    second.save()
    run = new_run("linear", "channel")
    assert execute_runs([run.pk]) == ["failed"]
    run.refresh_from_db()
    assert run.error == ENGLISH  # the row and the API say what they always said
    client.force_authenticate(analyst())
    shown = client.get(f"/api/v1/analytics/attribution/runs/{run.pk}", HTTP_ACCEPT_LANGUAGE="fr")
    assert shown.json()["error"] == ENGLISH and "error_message" not in shown.json()

    for screen in (french_screen("runs"), french_screen(f"runs/progress?ids={run.pk}")):
        assert FRENCH in screen and "values in different currencies" not in screen


def test_a_run_failed_before_messages_existed_shows_its_english():
    old = new_run("linear", "channel", status="failed", error="ValueError: an old failure")
    assert old.error_message is None
    screen = french_screen(f"runs/progress?ids={old.pk}")
    assert "ValueError: an old failure" in screen
