"""POST /api/v1/collect: per-event checks, dedup, durability, bots, privacy, CORS, keys."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import date, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from analytics.models import BotCount, Event, EventReceipt
from tests.analytics.conftest import ORIGIN, event, now_ms, post

PROBLEM = "application/problem+json"
CHROME_UA = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)


def stored(site, **filters):
    return Event.objects.filter(site_id=site.id, **filters)


def assert_problem(response, status, field=None):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith(PROBLEM)
    body = response.json()
    if field:
        assert body["errors"][0]["field"] == field, body
    return body


def test_a_text_plain_beacon_is_stored_and_counted(client, site):
    events = [event("page_view"), event("asset_impression", position=2), event("purchase")]
    response = post(client, site, events)
    assert response.status_code == 202, response.content
    assert response.json() == {"accepted": 3, "duplicates": 0, "rejected": [], "bots": 0}
    rows = {str(row.event_id): row for row in stored(site)}
    assert set(rows) == {e["event_id"] for e in events}
    purchase = rows[events[2]["event_id"]]
    assert str(purchase.value) == "19.990" and purchase.currency == "EUR"
    assert rows[events[1]["event_id"]].asset_id == 7 and rows[events[1]["event_id"]].position == 2


def test_application_json_and_the_key_in_a_header_or_the_body(client, site):
    by_header = post(client, site, [event()], content_type="application/json", key="",
                     HTTP_X_SITE_KEY=site.publishable_key)  # fmt: skip
    assert by_header.status_code == 202, by_header.content
    body = json.dumps({"key": site.publishable_key, "events": [event()]})
    in_body = post(client, site, body, key="")
    assert in_body.json()["accepted"] == 1
    assert stored(site).count() == 2


def test_a_bad_event_is_rejected_by_index_and_its_neighbours_kept(client, site):
    good = [event(), event("add_to_cart")]
    batch = [good[0], event("asset_click", asset_id=None), good[1], event(type_="teleport")]
    response = post(client, site, batch)
    assert response.status_code == 202
    body = response.json()
    assert body["accepted"] == 2
    assert [r["index"] for r in body["rejected"]] == [1, 3]
    assert "asset_id" in body["rejected"][0]["reason"]
    assert "type" in body["rejected"][1]["reason"]
    assert {str(e) for e in stored(site).values_list("event_id", flat=True)} == {
        g["event_id"] for g in good
    }


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"event_id": "not-a-uuid"}, "event_id"),
        ({"event_id": None}, "event_id"),
        ({"client_time": "yesterday"}, "client_time"),
        ({"client_time": True}, "client_time"),
        ({"client_time": 1e300}, "client_time"),
        ({"client_time": -8.64e15 - 1}, "client_time"),  # past JavaScript's Date range
        ({"client_time": 8_640_000_000_000_001}, "client_time"),
        ({"client_time": [1]}, "client_time"),
        ({"visitor_id": ""}, "visitor_id"),
        ({"visitor_id": "v" * 65}, "visitor_id"),
        ({"page_url": "javascript:alert(1)"}, "page_url"),
        ({"referrer": 42}, "referrer"),
        ({"position": -1}, "position"),
        ({"position": "3"}, "position"),
        ({"currency": "EURO"}, "currency"),
        ({"value": "NaN"}, "value"),
        ({"value": "-5"}, "value"),
        ({"type": "gallery_view", "gallery": None}, "gallery"),
        ({"type": "product_click"}, "product_sku"),
        ({"type": "purchase", "value": None}, "value"),
    ],
)
def test_each_field_is_checked(client, site, fields, reason):
    response = post(client, site, [{**event(), **fields}])
    assert response.status_code == 202
    (rejected,) = response.json()["rejected"]
    assert rejected["index"] == 0 and reason in rejected["reason"]
    assert not stored(site).exists()


def test_an_event_that_is_not_an_object_is_rejected(client, site):
    response = post(client, site, ["page_view", event()])
    assert response.json()["accepted"] == 1
    assert response.json()["rejected"][0]["index"] == 0


def test_iso_times_are_accepted(client, site):
    moment = timezone.now().replace(microsecond=0) - timedelta(hours=1)
    response = post(client, site, [event(client_time=moment.isoformat())])
    assert response.json()["accepted"] == 1
    row = stored(site).get()
    assert row.client_time == moment and not row.time_clamped


def test_the_same_event_id_is_stored_once_across_posts_and_within_a_batch(client, site):
    first, second = event(), event()
    assert post(client, site, [first, first, second]).json() == {
        "accepted": 2, "duplicates": 1, "rejected": [], "bots": 0,
    }  # fmt: skip
    again = post(client, site, [first, second, event()]).json()
    assert again["accepted"] == 1 and again["duplicates"] == 2
    assert stored(site).count() == 3
    assert EventReceipt.objects.filter(event_id=first["event_id"]).count() == 1


def test_absurd_client_times_are_clamped_and_flagged_with_server_time_beside(client, site):
    future, past, fine = (
        event(client_time=now_ms() + 400 * 86_400_000),
        event(client_time=0),
        event(client_time=now_ms() - 60_000),
    )
    before = timezone.now()
    post(client, site, [future, past, fine])
    after = timezone.now()
    rows = {str(r.event_id): r for r in stored(site)}
    late, early, ok = (rows[e["event_id"]] for e in (future, past, fine))
    assert late.time_clamped and early.time_clamped and not ok.time_clamped
    assert before <= late.received_at <= after
    assert late.client_time == late.received_at + timedelta(hours=1)
    assert early.client_time == early.received_at - timedelta(days=7)
    assert abs((ok.client_time - ok.received_at).total_seconds() - (-60)) < 5


@pytest.mark.parametrize(
    "agent",
    [
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
        "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
    ],
)
def test_crawlers_are_counted_not_stored(client, site, agent):
    response = post(client, site, [event(), event()], HTTP_USER_AGENT=agent)
    assert response.json() == {"accepted": 0, "duplicates": 0, "rejected": [], "bots": 2}
    assert not stored(site).exists()
    assert BotCount.objects.get(site=site, day=timezone.now().date()).events == 2


def test_headless_chrome_is_a_person_unless_configured(client, site, settings):
    agent = CHROME_UA.replace("Chrome/", "HeadlessChrome/")
    assert post(client, site, [event()], HTTP_USER_AGENT=agent).json()["accepted"] == 1
    settings.ANALYTICS_HEADLESS_IS_BOT = True
    assert post(client, site, [event()], HTTP_USER_AGENT=agent).json()["bots"] == 1


def test_no_raw_address_is_stored(client, site):
    post(client, site, [event()], REMOTE_ADDR="203.0.113.77", HTTP_USER_AGENT=CHROME_UA)
    row = stored(site).get()
    assert row.ip_hash and "203.0.113" not in row.ip_hash
    with connection.cursor() as cursor:
        cursor.execute("SELECT row_to_json(e)::text FROM analytics_event e WHERE site_id = %s",
                       [site.id])  # fmt: skip
        (text,) = cursor.fetchone()
        cursor.execute("SELECT row_to_json(s)::text FROM analytics_session s WHERE site_id = %s",
                       [site.id])  # fmt: skip
        text += cursor.fetchone()[0]
    assert "203.0.113.77" not in text and "203.0.113" not in text


def test_the_address_hash_is_stable_within_a_day_and_changes_the_next(site):
    from analytics.services.collect import address_hash

    today = timezone.now().date()
    one = address_hash("203.0.113.77", site_id=site.id, day=today)
    assert one == address_hash("203.0.113.77", site_id=site.id, day=today)
    assert one != address_hash("203.0.113.77", site_id=site.id, day=today + timedelta(days=1))
    assert one != address_hash("203.0.113.78", site_id=site.id, day=today)


def test_the_address_hash_is_the_documented_keyed_hash(settings):
    from analytics.services.collect import address_hash

    # HMAC-SHA256 of "site|address" under HMAC-SHA256(salt key, ISO day), first 32 hex.
    settings.ANALYTICS_IP_SALT_KEY = "salt for the test"
    day_key = hmac.new(b"salt for the test", b"2026-11-22", hashlib.sha256).digest()
    expected = hmac.new(day_key, b"7|203.0.113.77", hashlib.sha256).hexdigest()[:32]
    assert address_hash("203.0.113.77", site_id=7, day=date(2026, 11, 22)) == expected
    settings.ANALYTICS_IP_SALT_KEY = "another salt"  # a new salt: a new day key
    assert address_hash("203.0.113.77", site_id=7, day=date(2026, 11, 22)) != expected


@pytest.mark.parametrize(
    ("body", "content_type", "status", "field"),
    [
        (b"{not json", "text/plain", 400, None),
        (b"[1, 2]", "application/json", 400, None),
        (json.dumps({"event": []}), "application/json", 400, "events"),
        (json.dumps({"events": "many"}), "text/plain", 400, "events"),
        (json.dumps({"events": []}), "application/x-www-form-urlencoded", 415, None),
    ],
)
def test_bodies_that_are_not_a_batch_are_problems(client, site, body, content_type, status, field):
    assert_problem(post(client, site, body, content_type=content_type), status, field)


def test_more_than_500_events_is_a_400_naming_events(client, site):
    body = assert_problem(post(client, site, [event() for _ in range(501)]), 400, "events")
    assert "500" in body["detail"]
    assert not stored(site).exists()


def test_a_body_over_the_limit_is_413(client, site, settings):
    settings.ANALYTICS_COLLECT_MAX_BYTES = 1000
    assert_problem(post(client, site, [event() for _ in range(10)]), 413)


def test_key_errors(client, site):
    assert_problem(post(client, site, [event()], key=""), 400, "key")
    assert_problem(post(client, site, [event()], key="pk_live_nobody"), 404)


def test_origins_bound_cors(client, site):
    allowed = post(client, site, [event()], HTTP_ORIGIN=ORIGIN)
    assert allowed.status_code == 202
    assert allowed["Access-Control-Allow-Origin"] == ORIGIN
    assert "Origin" in allowed["Vary"]
    denied = post(client, site, [event()], HTTP_ORIGIN="https://evil.example")
    assert_problem(denied, 403)
    assert "Access-Control-Allow-Origin" not in denied
    assert stored(site).count() == 1
    bad_json = post(client, site, b"{", HTTP_ORIGIN=ORIGIN)
    assert bad_json.status_code == 400 and bad_json["Access-Control-Allow-Origin"] == ORIGIN


def test_preflight_for_allowed_origins_only(client, site):
    url = f"/api/v1/collect?key={site.publishable_key}"
    ok = client.options(url, HTTP_ORIGIN=ORIGIN, HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST")
    assert ok.status_code == 204
    assert ok["Access-Control-Allow-Origin"] == ORIGIN
    assert "POST" in ok["Access-Control-Allow-Methods"]
    assert "Content-Type" in ok["Access-Control-Allow-Headers"]
    other = client.options(url, HTTP_ORIGIN="https://evil.example")
    assert "Access-Control-Allow-Origin" not in other


def test_the_endpoint_is_in_the_schema_with_its_errors(client, db):
    schema = client.get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/v1/collect"]["post"]
    assert {"202", "400", "403", "404", "413", "415", "503"} <= set(operation["responses"])
    assert "/api/v1/analytics/utm-links" in schema["paths"]


def test_a_key_with_a_nul_is_unknown_not_a_server_error(client, site):
    # Found by tests/analytics/test_collector.py's property test: PostgreSQL refuses a
    # NUL in text, so the lookup failed with a 500 before keys were checked for shape.
    response = client.post("/api/v1/collect?key=%00", json.dumps({"events": []}),
                           content_type="text/plain")  # fmt: skip
    assert_problem(response, 404)
    # Past the collect fast path, a NUL is refused where input enters (core.middleware).
    response = client.get("/api/v1/public/galleries/homepage?key=pk_%00")
    assert response.status_code == 400 and "key" in response.json()["detail"]
