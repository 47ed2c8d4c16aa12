"""The collector (manage.py collector, an ASGI app under uvicorn) answers every collect
request as the Django view under gunicorn does, and stores the same rows.

Both real servers run on this test run's database, each with a site of its own (the
same allowed origin); each request is built afresh for each server (new event ids)
and the answers are compared: status, body and the headers a browser or client acts
on."""

from __future__ import annotations

import http.client
import json
from urllib.parse import quote

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analytics.models import BotCount
from tests.analytics.conftest import ORIGIN, event
from tests.analytics.web import free_port, start_collector, start_web
from tests.properties.test_public_input import bad_events, json_values
from tests.support.worker import database_env
from ugc.models import Site

pytestmark = pytest.mark.worker

LIMIT = 20_000  # ANALYTICS_COLLECT_MAX_BYTES of both servers: a 413 is cheap to send
COMPARED_HEADERS = (
    "content-type", "allow", "vary", "retry-after", "access-control-allow-origin",
    "access-control-expose-headers", "access-control-allow-methods",
    "access-control-allow-headers", "access-control-max-age", "x-content-type-options",
    "referrer-policy", "cross-origin-opener-policy",
)  # fmt: skip
BOT_UA = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


@pytest.fixture(scope="module")
def servers(django_db_setup, django_db_blocker, tmp_path_factory):
    """{name: port}: gunicorn (as production runs it) and the collector."""
    logs = tmp_path_factory.mktemp("collector")
    with django_db_blocker.unblock():
        env = {"DJANGO_SETTINGS_MODULE": "config.settings.test", **database_env(),
               "ANALYTICS_COLLECT_MAX_BYTES": str(LIMIT)}  # fmt: skip
    ports = {"gunicorn": free_port(), "collector": free_port()}
    children = [
        start_web(ports["gunicorn"], env, logs / "web.log", workers=1, threads=4),
        start_collector(ports["collector"], env, logs / "collector.log"),
    ]
    yield ports
    for child in children:
        child.stop()


@pytest.fixture
def sites(transactional_db):
    return {name: Site.objects.create(name=name, domain="shop.example", allowed_origins=[ORIGIN])
            for name in ("gunicorn", "collector")}  # fmt: skip


def send(port, method, target, body=b"", headers=None, chunked=False):
    """(status, headers with lower-case names, body) of one raw request."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        if chunked:
            conn.request(method, target, body=iter([body]), headers=headers or {},
                         encode_chunked=True)  # fmt: skip
        else:
            conn.request(method, target, body=body, headers=headers or {})
        response = conn.getresponse()
        data = response.read()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, data
    finally:
        conn.close()


def beacon(events, **extra) -> bytes:
    return json.dumps({"events": events, **extra}).encode()


# Each case, from the site's key: (method, target, headers, body). The body
# is built for each server, so event ids differ and each server stores its own.
TEXT = {"Content-Type": "text/plain;charset=UTF-8"}
JSON = {"Content-Type": "application/json"}
CASES = {
    "good, one bad neighbour": lambda key: ("POST", f"/api/v1/collect?key={key}", TEXT, beacon(
        [event(), event("asset_impression", position=2), event("purchase", value="x")])),
    "json, key in header": lambda key: ("POST", "/api/v1/collect", {**JSON, "X-Site-Key": key},
                                        beacon([event("add_to_cart")])),
    "key in body": lambda key: ("POST", "/api/v1/collect", TEXT, beacon([event()], key=key)),
    "an id twice in a batch": lambda key: _twice(key),
    "no session id": lambda key: ("POST", f"/api/v1/collect?key={key}", TEXT, beacon(
        [event(session_id=None, visitor_id="v_loose"), event(session_id="", visitor_id="v_l")])),
    "allowed origin": lambda key: ("POST", f"/api/v1/collect?key={key}",
                                   {**TEXT, "Origin": ORIGIN}, beacon([event()])),
    "other origin": lambda key: ("POST", f"/api/v1/collect?key={key}",
                                 {**TEXT, "Origin": "https://evil.example"}, beacon([event()])),
    "crawler": lambda key: ("POST", f"/api/v1/collect?key={key}",
                            {**TEXT, "User-Agent": BOT_UA}, beacon([event(), event()])),
    "not JSON": lambda key: ("POST", f"/api/v1/collect?key={key}", TEXT, b"{nope"),
    "not an object": lambda key: ("POST", f"/api/v1/collect?key={key}", TEXT, b"[1, 2]"),
    "no events list": lambda key: ("POST", f"/api/v1/collect?key={key}", TEXT, b'{"e": []}'),
    "501 events": lambda key: ("POST", f"/api/v1/collect?key={key}", TEXT,
                               beacon([{"type": "x"}] * 501)),
    "over the limit": lambda key: ("POST", f"/api/v1/collect?key={key}", TEXT,
                                   beacon([event()] * 200)),
    "form content type": lambda key: ("POST", f"/api/v1/collect?key={key}",
                                      {"Content-Type": "application/x-www-form-urlencoded"},
                                      b"a=1"),
    "no key, with origin": lambda key: ("POST", "/api/v1/collect", {**TEXT, "Origin": ORIGIN},
                                        beacon([event()])),
    "unknown key": lambda key: ("POST", "/api/v1/collect?key=pk_nothing",
                                {**TEXT, "Origin": ORIGIN}, beacon([event()])),
    "early 4xx, known key": lambda key: ("POST", f"/api/v1/collect?key={key}",
                                         {"Content-Type": "image/png", "Origin": ORIGIN}, b"x"),
    "GET": lambda key: ("GET", f"/api/v1/collect?key={key}", {"Origin": ORIGIN}, b""),
    "preflight, allowed": lambda key: ("OPTIONS", f"/api/v1/collect?key={key}", {
        "Origin": ORIGIN, "Access-Control-Request-Method": "POST"}, b""),
    "preflight, other origin": lambda key: ("OPTIONS", f"/api/v1/collect?key={key}", {
        "Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}, b""),
    "host not allowed": lambda key: ("POST", f"/api/v1/collect?key={key}",
                                     {**TEXT, "Host": "evil.example"}, beacon([event()])),
}  # fmt: skip


def _twice(key):
    first = event()
    return "POST", f"/api/v1/collect?key={key}", TEXT, beacon([first, event(), dict(first)])


def _answer(port, site, case):
    method, target, headers, body = CASES[case](site.publishable_key)
    status, got, data = send(port, method, target, body, headers)
    compared = {name: got.get(name) for name in COMPARED_HEADERS}
    try:
        parsed = json.loads(data)
    except ValueError:
        parsed = data.decode("utf-8", "replace")
    return status, compared, parsed


@pytest.mark.parametrize("case", list(CASES))
def test_the_collector_answers_as_the_django_view(servers, sites, case):
    answers = {name: _answer(servers[name], sites[name], case) for name in servers}
    assert answers["collector"] == answers["gunicorn"]
    assert answers["collector"][0] < 500, answers


def test_the_collector_stores_what_the_view_stores(servers, sites):
    for case in ("good, one bad neighbour", "json, key in header", "an id twice in a batch",
                 "no session id", "allowed origin", "crawler"):  # fmt: skip
        for name in servers:
            status, _, _ = _answer(servers[name], sites[name], case)
            assert status == 202, (name, case)
    stored = {name: _rows(site.id) for name, site in sites.items()}
    assert stored["collector"] == stored["gunicorn"]
    assert stored["collector"]["events"] and stored["collector"]["sessions"]
    bots = {name: BotCount.objects.get(site=site).events for name, site in sites.items()}
    assert bots == {"gunicorn": 2, "collector": 2}


def test_a_batch_sent_again_to_the_collector_is_counted_as_duplicates(servers, sites):
    site = sites["collector"]
    body = beacon([event(), event("asset_click")])
    target = f"/api/v1/collect?key={site.publishable_key}"
    first = send(servers["collector"], "POST", target, body, TEXT)
    again = send(servers["collector"], "POST", target, body, TEXT)
    assert json.loads(first[2])["accepted"] == 2
    assert json.loads(again[2]) == {"accepted": 0, "duplicates": 2, "rejected": [], "bots": 0}
    assert len(_rows(site.id)["events"]) == 2


# Under gunicorn, Django reads a body sent without Content-Length as empty (WSGI): the
# view answers 400 to a chunked beacon. The collector reads it, up to the limit.
def test_the_collector_reads_a_chunked_body_up_to_the_limit(servers, sites):
    site = sites["collector"]
    target = f"/api/v1/collect?key={site.publishable_key}"
    port = servers["collector"]
    status, _, data = send(port, "POST", target, beacon([event()]), TEXT, chunked=True)
    assert (status, json.loads(data)["accepted"]) == (202, 1)
    status, headers, data = send(port, "POST", target, beacon([event()] * 200), TEXT,
                                 chunked=True)  # fmt: skip
    assert status == 413 and headers["content-type"].startswith("application/problem+json")
    assert str(LIMIT) in json.loads(data)["detail"]


def test_other_paths_are_not_the_collectors(servers, sites):
    status, headers, data = send(servers["collector"], "GET", "/api/v1/galleries/x")
    assert status == 404 and headers["content-type"].startswith("application/problem+json")
    assert json.loads(data)["status"] == 404


def _rows(site_id: int) -> dict:
    """What a site's batches stored, without the ids and times that differ per request."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT type, visitor_id, left(session_id, 7), page_url, asset_id, position, "
            "value, currency, time_clamped, ip_hash <> '' FROM analytics_event "
            "WHERE site_id = %s ORDER BY 1, 2, 3, 4, 5, 6",
            [site_id],
        )
        events = cursor.fetchall()
        cursor.execute(
            "SELECT left(s.session_id, 7), v.visitor_id, s.landing_page, s.channel, "
            "s.device_class, s.event_count, s.page_views, s.add_to_carts, s.purchases "
            "FROM analytics_session s JOIN analytics_visitor v ON v.id = s.visitor_id "
            "WHERE s.site_id = %s ORDER BY 1, 2, 3",
            [site_id],
        )
        sessions = cursor.fetchall()
    return {"events": events, "sessions": sessions}


junk_bodies = st.one_of(
    st.lists(bad_events, max_size=6).map(lambda events: beacon(events)),
    json_values.map(lambda value: json.dumps(value).encode()),
    st.binary(max_size=200),
)
junk_queries = st.one_of(
    st.just("key={key}"), st.just(""), st.just("key={key}&key=x"),
    st.text(max_size=30).map(lambda text: "key=" + quote(text)),
    st.sampled_from(["key=%ZZ", "key=%00", "key=" + "k" * 300, "%FF=1", "key={key}&x=%E9"]),
)  # fmt: skip
junk_types = st.sampled_from(["text/plain;charset=UTF-8", "application/json",
                              "text/plain; charset=latin-1", "text/plain; charset=nope",
                              "application/json; charset", "", "multipart/form-data"])  # fmt: skip


@settings(max_examples=80, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(body=junk_bodies, query=junk_queries, content_type=junk_types,
       origin=st.sampled_from([None, ORIGIN, "null", "https://evil.example"]))  # fmt: skip
def test_any_request_gets_the_same_answer_from_both_and_never_a_500(
    servers, sites, body, query, content_type, origin
):
    """The same bytes to both servers: the same status and the same rejected events
    (not the same counts: event ids are stored once across sites, so the second
    server sees the first one's ids as duplicates)."""
    headers = {"Content-Type": content_type} if content_type else {}
    if origin:
        headers["Origin"] = origin
    answers = {}
    for name, port in servers.items():
        target = "/api/v1/collect?" + query.replace("{key}", sites[name].publishable_key)
        status, got, data = send(port, "POST", target, body, headers)
        parsed = json.loads(data) if data else None
        answers[name] = (status, got.get("content-type"), (parsed or {}).get("rejected"))
    assert answers["collector"][0] < 500, (answers, body[:200], query, headers)
    assert answers["collector"] == answers["gunicorn"], (body[:200], query, headers)
