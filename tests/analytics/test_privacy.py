"""delete_visitor: a visitor's events, sessions and visitor rows go; nobody else's."""

import pytest
from django.core.management import CommandError, call_command

from analytics.models import Event, Session, Visitor
from tests.analytics.conftest import event, post
from ugc.models import Site


def test_delete_visitor_removes_their_data_on_every_site(client, site):
    other_site = Site.objects.create(name="Other", domain="other.example", allowed_origins=[])
    post(client, site, [event(), event(visitor_id="v_bob", session_id="s_bob")])
    post(client, other_site, [event(session_id="s_alice_other")])
    call_command("delete_visitor", "v_alice")
    for s in (site, other_site):
        assert not Event.objects.filter(site_id=s.id, visitor_id="v_alice").exists()
    assert not Visitor.objects.filter(visitor_id="v_alice").exists()
    assert not Session.objects.filter(visitor__visitor_id="v_alice").exists()
    assert Event.objects.filter(site_id=site.id, visitor_id="v_bob").count() == 1
    assert Session.objects.filter(session_id="s_bob").exists()


def test_delete_visitor_on_one_site_and_a_retried_beacon_does_not_bring_it_back(client, site):
    other_site = Site.objects.create(name="Other", domain="other.example", allowed_origins=[])
    sent = [event()]
    post(client, site, sent)
    post(client, other_site, [event()])
    call_command("delete_visitor", "v_alice", "--site", str(site.id))
    assert not Event.objects.filter(site_id=site.id).exists()
    assert Event.objects.filter(site_id=other_site.id, visitor_id="v_alice").exists()
    assert post(client, site, sent).json()["duplicates"] == 1
    assert not Event.objects.filter(site_id=site.id).exists()


def test_delete_visitor_refuses_bad_arguments(site):
    with pytest.raises(CommandError, match="No site"):
        call_command("delete_visitor", "v_alice", "--site", "999999")
    with pytest.raises(CommandError, match="1 to 64"):
        call_command("delete_visitor", "v" * 65)
