"""The sweep's path: due requests claimed, sent and recorded in batches, over real SMTP."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, transaction

from outreach import mail
from outreach.models import PhotoRequest, RequestState, Suppression
from outreach.services import requests, sending, suppression
from tests.outreach.conftest import contact


def _queued(make_order, emails: list[str]) -> list[int]:
    return [
        requests.record_contact(make_order(f"#{n}").pk, contact(email)).pk
        for n, email in enumerate(emails)
    ]


def _states(ids: list[int]) -> dict[int, str]:
    return dict(PhotoRequest.objects.filter(pk__in=ids).values_list("pk", "state"))


@pytest.mark.django_db(transaction=True)
def test_two_senders_claiming_at_once_never_take_the_same_request(make_order):
    ids = _queued(make_order, [f"buyer{n}@example.org" for n in range(12)])
    first_claimed, second_claimed = threading.Event(), threading.Event()
    taken: dict[str, list[int]] = {}

    def first():
        try:
            with transaction.atomic():
                taken["first"] = [r.pk for r in sending.claim_batch(8)]
                first_claimed.set()
                second_claimed.wait(10)  # its rows stay locked while the other claims
        finally:
            connection.close()

    def second():
        try:
            first_claimed.wait(10)
            taken["second"] = [r.pk for r in sending.claim_batch(8)]
            second_claimed.set()
        finally:
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert len(taken["first"]) == 8 and len(taken["second"]) == 4
    assert sorted(taken["first"] + taken["second"]) == sorted(ids)
    assert set(_states(ids).values()) == {RequestState.SENDING}
    assert PhotoRequest.objects.filter(pk__in=ids, message_id="").count() == 0


@pytest.mark.django_db(transaction=True)
def test_two_sending_workers_send_each_request_once(mailbox, make_order):
    ids = _queued(make_order, [f"buyer{n}@example.org" for n in range(10)])

    def worker():
        try:
            while sending.deliver_batch(limit=3).claimed:
                pass
        finally:
            mail.close()
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert set(_states(ids).values()) == {RequestState.SENT}
    message_ids = [message["Message-ID"].strip() for message in mailbox.messages]
    assert len(message_ids) == 10 and len(set(message_ids)) == 10


def test_a_bounce_in_a_batch_suppresses_only_that_address(mailbox, make_order):
    ids = _queued(make_order, ["one@example.org", "bounce@example.org", "three@example.org"])
    batch = sending.deliver_batch()
    assert (batch.sent, batch.suppressed, batch.released) == (2, 1, 0)
    states = _states(ids)
    assert [states[pk] for pk in ids] == ["sent", "suppressed", "sent"]
    assert list(Suppression.objects.values_list("email_hash", flat=True)) == [
        suppression.email_hash("bounce@example.org")
    ]
    assert "550" in PhotoRequest.objects.get(pk=ids[1]).detail
    assert sorted(m["To"] for m in mailbox.messages) == ["one@example.org", "three@example.org"]


def test_smtp_down_mid_batch_loses_nothing(mailbox, make_order, monkeypatch):
    ids = _queued(make_order, [f"buyer{n}@example.org" for n in range(4)])
    send = mail.send

    def send_then_go_down(message):
        send(message)
        mailbox.stop()  # the server goes away after taking the first message

    monkeypatch.setattr(mail, "send", send_then_go_down)
    batch = sending.deliver_batch()
    assert (batch.sent, batch.released) == (1, 3) and "unreachable" in batch.detail
    states = _states(ids)
    assert [states[pk] for pk in ids] == ["sent", "queued", "queued", "queued"]
    kept = dict(PhotoRequest.objects.filter(pk__in=ids[1:]).values_list("pk", "message_id"))

    monkeypatch.setattr(mail, "send", send)
    mailbox.start()
    assert sending.deliver_batch().sent == 3
    assert set(_states(ids).values()) == {RequestState.SENT}
    resent = {m["Message-ID"].strip() for m in mailbox.messages}
    assert set(kept.values()) <= resent  # the Message-ID fixed at the first claim


def test_the_sweep_sends_what_is_due_in_batches(mailbox, make_order):
    ids = _queued(make_order, ["one@example.org", "two@example.org"])
    assert requests.sweep()["enqueued"] == 1
    from outreach import tasks

    assert tasks.send_due_requests.run() == {"sent": 2, "suppressed": 0, "failed": 0}
    assert set(_states(ids).values()) == {RequestState.SENT}


def test_a_message_the_batch_cannot_write_itself_goes_as_django_renders_it(mailbox, make_order):
    # An address that needs encoding: the batch hands it to `mail.render`.
    ids = _queued(make_order, ["plain@example.org", "käufer@bücher.example"])
    assert sending.deliver_batch().sent == 2
    assert set(_states(ids).values()) == {RequestState.SENT}
    kept = dict(PhotoRequest.objects.filter(pk__in=ids).values_list("pk", "message_id"))
    received = {m["Message-ID"].strip(): m for m in mailbox.messages}
    assert set(received) == set(kept.values())
    assert received[kept[ids[1]]]["List-Unsubscribe-Post"] == mail.ONE_CLICK
