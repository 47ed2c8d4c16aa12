"""Visitors and sessions from collected events: landing, UTM, channel, counts, 30 minutes."""

from __future__ import annotations

from datetime import timedelta

from analytics.models import Session, Visitor
from tests.analytics.conftest import event, now_ms, post

IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148 Safari/604.1"
LANDING = "https://shop.example/p/x?utm_source=Instagram&utm_medium=social&utm_campaign=Spring"


def test_a_session_records_where_it_landed_and_what_happened(client, site):
    start = now_ms() - 10 * 60_000
    events = [
        event(
            "page_view", client_time=start, page_url=LANDING, referrer="https://l.instagram.com/"
        ),
        event("gallery_view", client_time=start + 1000),
        event("asset_click", client_time=start + 2000),
        event("add_to_cart", client_time=start + 3000),
        event("page_view", client_time=start + 4000),
        event("purchase", client_time=start + 5000),
        event("lead", client_time=start + 6000),
    ]
    assert post(client, site, events, HTTP_USER_AGENT=IPHONE).json()["accepted"] == 7
    session = Session.objects.get(site=site, session_id="s_alice_1")
    assert session.landing_page == LANDING
    assert session.referrer == "https://l.instagram.com/"
    assert (session.utm_source, session.utm_medium, session.utm_campaign) == (
        "instagram", "social", "spring",
    )  # fmt: skip
    assert session.channel == "organic_social"
    assert session.device_class == "mobile"
    assert session.event_count == 7 and session.page_views == 2
    assert session.gallery_interactions == 2
    assert (session.add_to_carts, session.purchases, session.leads) == (1, 1, 1)
    assert (session.ended_at - session.started_at) == timedelta(seconds=6)
    visitor = Visitor.objects.get(site=site, visitor_id="v_alice")
    assert session.visitor == visitor
    assert visitor.first_seen == session.started_at and visitor.last_seen == session.ended_at


def test_later_batches_add_up_and_an_earlier_event_moves_the_landing(client, site):
    start = now_ms() - 20 * 60_000
    post(
        client,
        site,
        [event("page_view", client_time=start + 60_000, page_url="https://shop.example/b")],
    )
    first = event("page_view", client_time=start, page_url=LANDING)
    post(client, site, [first, event("asset_click", client_time=start + 120_000)])
    post(client, site, [first])  # a retry: counts nothing twice
    session = Session.objects.get(site=site, session_id="s_alice_1")
    assert session.event_count == 3 and session.page_views == 2
    assert session.landing_page == LANDING and session.channel == "organic_social"
    assert (session.ended_at - session.started_at) == timedelta(minutes=2)


def test_without_session_ids_30_minutes_of_quiet_start_a_new_session(client, site):
    start = now_ms() - 3 * 3600_000
    times = [start, start + 10 * 60_000, start + 35 * 60_000]  # third: 25 min later, same
    later = start + 90 * 60_000  # 55 minutes after the last: a new session
    post(client, site, [event(session_id=None, client_time=t) for t in times])
    post(client, site, [event(session_id=None, client_time=later)])
    sessions = list(Session.objects.filter(site=site).order_by("started_at"))
    assert [s.event_count for s in sessions] == [3, 1]
    assert all(s.session_id.startswith("auto:v_alice:") for s in sessions)


def test_each_visitor_has_their_own_sessions(client, site):
    post(client, site, [event(), event(visitor_id="v_bob", session_id="s_bob_1")])
    assert set(Visitor.objects.filter(site=site).values_list("visitor_id", flat=True)) == {
        "v_alice", "v_bob",
    }  # fmt: skip
    assert Session.objects.get(session_id="s_bob_1").visitor.visitor_id == "v_bob"


def test_a_resent_batch_with_one_new_event_counts_only_that_one(client, site):
    start = now_ms() - 5 * 60_000
    sent = [event("page_view", client_time=start), event("asset_click", client_time=start + 1)]
    assert post(client, site, sent).json()["accepted"] == 2
    later = event("add_to_cart", client_time=start + 60_000)
    body = post(client, site, [*sent, later]).json()  # the first two seen: claimed one by one
    assert (body["accepted"], body["duplicates"]) == (1, 2)
    session = Session.objects.get(site=site, session_id="s_alice_1")
    assert (session.event_count, session.page_views, session.add_to_carts) == (3, 1, 1)
    assert session.gallery_interactions == 1
    visitor = Visitor.objects.get(site=site, visitor_id="v_alice")
    assert visitor.last_seen == session.ended_at == session.started_at + timedelta(minutes=1)
