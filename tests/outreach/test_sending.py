"""Requests from orders, sent over real SMTP, and what buyers do with the links."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from django.core import signing
from django.db import connection
from django.test import Client
from django.utils import timezone

from outreach import links, wording
from outreach.models import PhotoRequest, RequestLink, RequestState, Suppression
from outreach.services import requests, sending, suppression
from outreach.services.requests import NO_ADDRESS
from tests.outreach.conftest import contact


def _links(message) -> list[str]:
    text = message.get_payload()[0].get_payload(decode=True).decode()
    return re.findall(r"http://\S+/r/\S+", text)


def test_a_fulfilled_order_sends_one_email_in_the_buyers_language(mailbox, make_order):
    order = make_order()
    request = requests.record_contact(order.pk, contact())
    assert request.state == RequestState.QUEUED and request.language == "fr"
    # The address is stored encrypted: the column holds no plaintext.
    with connection.cursor() as cursor:
        cursor.execute("SELECT email FROM outreach_photorequest WHERE id = %s", [request.pk])
        assert "buyer@example.org" not in cursor.fetchone()[0]

    assert sending.deliver(request.pk).result == sending.SENT
    assert sending.deliver(request.pk).result == sending.NOTHING  # a duplicate task
    (message,) = mailbox.messages
    assert message["To"] == "buyer@example.org"
    assert message["Subject"] == "Montrez-nous votre achat Acme"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/u/" in message["List-Unsubscribe"]
    request.refresh_from_db()
    assert message["Message-ID"].strip() == request.message_id
    assert [part.get_content_type() for part in message.get_payload()] == [
        "text/plain",
        "text/html",
    ]
    assert len(_links(message)) == 2  # one per product
    assert request.state == RequestState.SENT and request.attempts == 1


def test_a_link_counts_one_click_and_opens_the_upload_page(mailbox, make_order, monkeypatch):
    request = requests.record_contact(make_order().pk, contact())
    sending.deliver(request.pk)
    url = _links(mailbox.messages[0])[0]
    path = url.removeprefix("http://127.0.0.1:8000")
    browser = Client()
    first = browser.get(path)
    assert first.status_code == 302 and "/upload/" in first["Location"]
    assert browser.get(path).status_code == 302  # replayed: still fine
    clicked = RequestLink.objects.filter(request=request, first_clicked_at__isnull=False)
    assert clicked.count() == 1 and clicked.get().clicks == 2
    page = browser.get(first["Location"])
    assert page.status_code == 200 and b"verified buyer" in page.content

    tampered = browser.get(path[:-3] + "abc")
    assert tampered.status_code == 400 and b"not valid" in tampered.content
    # A link signed 31 days ago: past the window.
    month_ago = timezone.now() - timedelta(days=31)
    with monkeypatch.context() as patch:
        stamp = signing.b62_encode(int(month_ago.timestamp()))
        patch.setattr(signing.TimestampSigner, "timestamp", lambda self: stamp)
        stale = links.upload_token(request.pk, clicked.get().product_id)
    expired = browser.get(f"/r/{stale}")
    assert expired.status_code == 410 and b"expired" in expired.content


def test_one_click_unsubscribe_suppresses_the_address(mailbox, make_order):
    request = requests.record_contact(make_order().pk, contact())
    sending.deliver(request.pk)
    unsubscribe = mailbox.messages[0]["List-Unsubscribe"].strip().strip("<>")
    path = unsubscribe.removeprefix("http://127.0.0.1:8000")
    browser = Client(enforce_csrf_checks=True)
    assert browser.get(path).status_code == 200  # asks; a link scanner changes nothing
    assert not Suppression.objects.exists()
    answer = browser.post(
        path, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded"
    )
    assert answer.status_code == 200
    assert wording.words("fr")["unsubscribed_heading"] in answer.content.decode()
    assert suppression.is_suppressed(suppression.email_hash("Buyer@Example.org"))
    # The next order of the same buyer is not asked.
    later = requests.record_contact(make_order("#1002").pk, contact("BUYER@example.org"))
    assert later.state == RequestState.SUPPRESSED and later.email == ""


@pytest.mark.parametrize(
    ("locale", "mail_words", "asks", "done"),
    [
        ("de-DE", "Foto hochladen", "Keine Fotoanfragen mehr?", "Sie sind abgemeldet"),
        ("es-ES", "Subir una foto", "¿Dejar de recibir solicitudes de fotos?", "Te has dado"),
    ],
)
def test_the_unsubscribe_page_speaks_the_language_of_the_requests_mail(
    mailbox, make_order, locale, mail_words, asks, done
):
    request = requests.record_contact(make_order().pk, contact(locale=locale))
    sending.deliver(request.pk)
    message = mailbox.messages[0]
    text = message.get_payload()[0].get_payload(decode=True).decode()
    assert mail_words in text  # the e-mail was in that language
    path = message["List-Unsubscribe"].strip().strip("<>").removeprefix("http://127.0.0.1:8000")
    browser = Client(HTTP_ACCEPT_LANGUAGE="en")  # the browser's own language does not win
    asked = html.unescape(browser.get(path).content.decode())
    assert asks in asked and "Stop photo requests" not in asked
    assert f'lang="{locale[:2]}"' in asked
    answer = html.unescape(browser.post(path).content.decode())
    assert done in answer and "You are unsubscribed" not in answer


def test_a_bounce_suppresses_and_erases_the_address(mailbox, make_order):
    request = requests.record_contact(make_order().pk, contact("bounce@example.org"))
    outcome = sending.deliver(request.pk)
    assert outcome.result == sending.SUPPRESSED and "550" in outcome.detail
    request.refresh_from_db()
    assert request.state == RequestState.SUPPRESSED and request.email == ""
    assert "550" in request.detail
    assert Suppression.objects.get().reason == "bounced"
    assert not mailbox.messages


def test_smtp_down_waits_in_queued_and_sends_once_back(mailbox, make_order):
    request = requests.record_contact(make_order().pk, contact())
    mailbox.stop()
    outcome = sending.deliver(request.pk)
    assert outcome.result == sending.RETRY and "unreachable" in outcome.detail
    request.refresh_from_db()
    assert request.state == RequestState.QUEUED and request.email == "buyer@example.org"
    message_id = request.message_id
    mailbox.start()
    assert sending.deliver(request.pk).result == sending.SENT
    (message,) = mailbox.messages
    assert message["Message-ID"].strip() == message_id  # fixed before the first attempt


def test_a_stalled_send_is_resent_with_the_same_message_id(mailbox, make_order, settings):
    request = requests.record_contact(make_order().pk, contact())
    settings.OUTREACH_SENDING_TIMEOUT_SECONDS = 60
    claimed = sending._claim(request.pk)  # a worker that dies right after its claim
    assert sending.deliver(request.pk).result == sending.BUSY  # not yet counted as lost
    PhotoRequest.objects.filter(pk=request.pk).update(
        sending_since=timezone.now() - timedelta(seconds=61)
    )
    assert sending.deliver(request.pk).result == sending.SENT
    assert mailbox.messages[0]["Message-ID"].strip() == claimed.message_id


def test_orders_without_address_or_consent(mailbox, make_order):
    no_address = requests.record_contact(make_order().pk, contact(""))
    assert no_address.state == RequestState.FAILED and no_address.detail == NO_ADDRESS
    assert requests.record_contact(make_order("#2").pk, contact(consent=False)) is None
    too_old = make_order("#3", days_ago=60)
    assert requests.record_contact(too_old.pk, contact()) is None
    assert not PhotoRequest.objects.filter(order__in=[too_old]).exists()


def test_the_fallback_and_the_end_of_the_window(mailbox, make_order):
    request = requests.record_contact(make_order(days_ago=1).pk, contact(fulfilled=False))
    assert request.state == RequestState.WAITING
    assert requests.sweep()["due"] == 0
    later = timezone.now() + timedelta(days=14)
    assert requests.sweep(now=later)["due"] == 1
    assert sending.deliver(request.pk).result == sending.SENT
    request.refresh_from_db()
    assert request.email  # kept while the links work
    counts = requests.sweep(now=request.window_ends_at + timedelta(seconds=1))
    assert counts["erased"] == 1
    request.refresh_from_db()
    assert request.email == "" and request.state == RequestState.SENT


def test_the_funnel_api_counts_sent_and_clicked(mailbox, make_order, django_user_model):
    from django.contrib.auth.models import Group
    from rest_framework.test import APIClient

    from core.roles import ANALYST

    request = requests.record_contact(make_order().pk, contact())
    sending.deliver(request.pk)
    Client().get(_links(mailbox.messages[0])[0].removeprefix("http://127.0.0.1:8000"))
    user = django_user_model.objects.create_user("analyst", password="pw-123456789")
    user.groups.add(Group.objects.get(name=ANALYST))
    api = APIClient()
    api.force_authenticate(user)
    (total,) = api.get("/api/v1/outreach/funnel").json()
    assert (total["requests"], total["sent"], total["clicked"]) == (1, 2, 1)
    (line,) = api.get("/api/v1/outreach/funnel?group=product_line").json()
    assert line["key"] == request.links.first().product.product_line_id
    assert api.get("/api/v1/outreach/funnel?group=colour").status_code == 400


def test_the_outbox_shows_messages_with_the_address_masked(mailbox, make_order, django_user_model):
    from django.contrib.auth.models import Group

    from core.roles import COORDINATOR

    request = requests.record_contact(make_order().pk, contact())
    sending.deliver(request.pk)
    user = django_user_model.objects.create_user("coordinator", password="pw-123456789")
    user.groups.add(Group.objects.get(name=COORDINATOR))
    browser = Client()
    browser.force_login(user)
    page = browser.get("/workspace/outbox?state=sent")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Montrez-nous votre achat" in html and "b•••@e•••.org" in html
    assert "buyer@example.org" not in html
    assert browser.get("/workspace/outbox?state=lost").status_code == 400
