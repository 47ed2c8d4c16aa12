"""The collect endpoint's fast path keeps the contract: the early middleware, the
orjson parse with its standard-library fallback, the numeric clock window and the
Event written to SQL as it is."""

from __future__ import annotations

import dataclasses
import json
import re
import uuid

import pytest

from analytics.api.collect import CollectFastPath, collect
from analytics.events import Event
from analytics.models import Event as StoredEvent
from analytics.services.collect import EVENT_RECORD
from tests.analytics.conftest import ORIGIN, event, post


def stored(site):
    return {str(row.event_id): row for row in StoredEvent.objects.filter(site_id=site.id)}


def test_an_event_is_written_field_for_field_as_the_batch_statement_reads_it():
    # orjson writes an Event dataclass by its fields; json_to_recordset reads EVENT_RECORD.
    columns = [part.split()[0] for part in EVENT_RECORD.split(",")]
    assert [f.name for f in dataclasses.fields(Event)] == columns


def test_tabs_newlines_and_backslashes_in_text_are_stored_exactly(client, site):
    # Text that SQL or COPY would read as syntax is data, stored as sent.
    tricky = "https://shop.example/p/a\\tb\\N?q=1\t2\n3\r4\\"
    sent = event(page_url=tricky, visitor_id="v\\N\t1", session_id="s\\.\n")
    assert post(client, site, [sent]).json()["accepted"] == 1
    row = stored(site)[sent["event_id"]]
    assert (row.page_url, row.visitor_id, row.session_id) == (tricky, "v\\N\t1", "s\\.\n")


def test_the_collect_path_is_answered_before_the_rest_of_the_middleware(client, site):
    from django.conf import settings

    assert settings.MIDDLEWARE.index("analytics.api.collect.CollectFastPath") == 1
    seen = []
    fast = CollectFastPath(lambda request: seen.append(request) or None)
    from django.test import RequestFactory

    request = RequestFactory().get("/api/v1/somewhere-else")
    assert fast(request) is None and seen == [request]  # other paths pass on
    response = post(client, site, [event()])
    assert response.status_code == 202
    assert "sessionid" not in response.cookies and "csrftoken" not in response.cookies


def test_a_time_past_datetimes_range_is_clamped_not_a_server_error(client, site):
    far = event(client_time=8e15)  # inside JavaScript's Date range, past year 9999
    response = post(client, site, [far, event(client_time=-8e15)])
    assert response.status_code == 202, response.content
    assert response.json()["accepted"] == 2
    assert all(row.time_clamped for row in stored(site).values())


def test_ids_in_other_uuid_spellings_are_stored_canonically_and_deduplicated(client, site):
    canonical = str(uuid.uuid4())
    spellings = [canonical.upper(), "{" + canonical + "}", canonical.replace("-", "")]
    body = post(client, site, [event(event_id=s) for s in spellings]).json()
    assert body == {"accepted": 1, "duplicates": 2, "rejected": [], "bots": 0}
    assert list(stored(site)) == [canonical]


@pytest.mark.parametrize(
    ("bad_event_text", "field"),
    [
        ('"client_time": NaN', "client_time"),  # orjson refuses NaN; json reads it
        ('"client_time": Infinity', "client_time"),
        ('"client_time": -Infinity', "client_time"),
        ('"asset_id": 123456789012345678901234567890', "asset_id"),  # past 64 bits
    ],
)
def test_json_only_the_standard_library_reads_still_rejects_one_event(
    client, site, bad_event_text, field
):
    good = event()
    bad = json.dumps(event("asset_impression"))[:-1] + ", " + bad_event_text + "}"
    response = post(client, site, '{"events": [' + json.dumps(good) + ", " + bad + "]}")
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["accepted"] == 1 and body["rejected"][0]["index"] == 1
    assert field in body["rejected"][0]["reason"]


def test_a_method_other_than_post_is_a_405_problem_with_allow(client, site):
    response = client.get(f"/api/v1/collect?key={site.publishable_key}", HTTP_ORIGIN=ORIGIN)
    assert response.status_code == 405
    assert response["Content-Type"].startswith("application/problem+json")
    assert set(re.split(r",\s*", response["Allow"])) == {"POST", "OPTIONS"}
    assert response["Access-Control-Allow-Origin"] == ORIGIN


def test_an_unexpected_error_is_a_logged_500_problem(rf, site, monkeypatch, caplog):
    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("analytics.services.collect.store_events", broken)
    request = rf.post(
        f"/api/v1/collect?key={site.publishable_key}",
        json.dumps({"events": [event()]}),
        content_type="text/plain",
    )
    response = collect(request)
    assert response.status_code == 500
    assert response["Content-Type"].startswith("application/problem+json")
    assert "boom" not in response.content.decode()
    assert any("unhandled error" in record.message for record in caplog.records)


def test_a_host_outside_allowed_hosts_is_refused(client, site):
    response = post(client, site, [event()], HTTP_HOST="evil.example")
    assert response.status_code == 400
    assert not stored(site)
