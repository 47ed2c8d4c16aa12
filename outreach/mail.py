"""Rendering a photo request as an e-mail, and the SMTP connection that sends it.

One connection per worker process (per thread), opened on first use and kept: a request
costs its SMTP transaction, not a TCP and TLS handshake. A connection the server
dropped while idle is reopened once; any other failure is the caller's to judge
(`smtp_failure`).
"""

from __future__ import annotations

import smtplib
import socket
import threading
from dataclasses import dataclass
from email.utils import formataddr

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.template.loader import render_to_string

from core.pages import Brand, default_brand
from outreach import links
from outreach.models import PhotoRequest

ONE_CLICK = "List-Unsubscribe=One-Click"


@dataclass(frozen=True)
class Product:
    title: str
    url: str
    image_url: str


def context(request: PhotoRequest, addresses: links.Addresses | None = None) -> dict:
    addresses = addresses or links.Addresses()
    products = [
        Product(link.product.title, addresses.click_url(request.pk, link.product_id),
                link.product.image_url)
        for link in request.links.all()
    ]  # fmt: skip
    return {
        **brand(request),
        "order_name": order_name(request),
        "products": products,
        "unsubscribe_url": addresses.unsubscribe_url(request.pk),
    }


def brand_of(request: PhotoRequest) -> Brand:
    """The colours of the order's storefront, else the settings'."""
    return request.site.brand() if request.site_id else default_brand()


def brand(request: PhotoRequest) -> dict:
    return brand_of(request).values()


def order_name(request: PhotoRequest) -> str:
    return order_title(request.order.name, request.order.shop_order_id)


def order_title(name: str, shop_order_id: str) -> str:
    """What the e-mail calls the order: the shop's display name, else its id."""
    return name or shop_order_id


def sender() -> str:
    return formataddr((settings.BRAND_NAME, settings.DEFAULT_FROM_EMAIL))


def folder(language: str) -> str:
    return f"outreach/email/{language}"


def subject_line(rendered: str) -> str:
    return " ".join(rendered.split())


def render(request: PhotoRequest, *, to: str | None = None) -> EmailMultiAlternatives:
    """The e-mail of a request: text and HTML parts in its language, the fixed
    Message-ID, and RFC 8058 one-click unsubscribe headers."""
    values = context(request)
    templates = folder(request.language)
    message = EmailMultiAlternatives(
        subject=subject_line(render_to_string(f"{templates}/subject.txt", values)),
        body=render_to_string(f"{templates}/body.txt", values),
        from_email=sender(),
        to=[to if to is not None else request.email],
        headers={
            "Message-ID": request.message_id,
            "List-Unsubscribe": f"<{values['unsubscribe_url']}>",
            "List-Unsubscribe-Post": ONE_CLICK,
            "Content-Language": request.language,
        },
    )
    message.attach_alternative(render_to_string(f"{templates}/body.html", values), "text/html")
    return message


# -- SMTP --------------------------------------------------------------------------------

# One per thread: a worker's threads (a threads pool) never share an SMTP session.
_local = threading.local()


def _open():
    if getattr(_local, "connection", None) is None:
        _local.connection = get_connection(settings.OUTREACH_EMAIL_BACKEND, fail_silently=False)
    _local.connection.open()
    return _local.connection


def close() -> None:
    connection = getattr(_local, "connection", None)
    if connection is not None:
        try:
            connection.close()
        finally:
            _local.connection = None


@dataclass(frozen=True)
class Prepared:
    """A message already in its wire form, with its envelope."""

    sender: str
    recipients: list[str]
    data: bytes


def send(message: EmailMultiAlternatives | Prepared) -> None:
    """Send one message on the process's connection; raises what SMTP raised."""
    connection = _open()
    reused = getattr(connection, "connection", None) is not None
    try:
        _transmit(connection, message)
    except smtplib.SMTPServerDisconnected:
        close()
        if not reused:
            raise
        # The server closed an idle connection: nothing was sent on it; once more.
        _transmit(_open(), message)
    except (smtplib.SMTPException, OSError):
        close()
        raise


def _transmit(connection, message: EmailMultiAlternatives | Prepared) -> None:
    if isinstance(message, Prepared):
        connection.connection.sendmail(message.sender, message.recipients, message.data)
    else:
        connection.send_messages([message])


@dataclass(frozen=True)
class Failure:
    permanent: bool  # a 5xx about this recipient or message: a bounce
    reason: str


def smtp_failure(exc: BaseException) -> Failure:
    """What an SMTP error means for the request, in words."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(exc.recipients.values()), (0, b""))
        return _coded(code, text, "refused the recipient")
    if isinstance(exc, smtplib.SMTPResponseException) and not isinstance(
        exc, smtplib.SMTPSenderRefused
    ):
        return _coded(exc.smtp_code, exc.smtp_error, "refused the message")
    if isinstance(exc, ConnectionRefusedError | socket.timeout | TimeoutError):
        return Failure(False, f"The SMTP server is unreachable ({exc}); retrying.")
    return Failure(False, f"Sending failed ({type(exc).__name__}: {exc}); retrying.")


def _coded(code: int, text, what: str) -> Failure:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    permanent = 500 <= int(code) < 600
    tail = "the address is suppressed." if permanent else "retrying."
    return Failure(permanent, f"The SMTP server {what}: {code} {text}; {tail}")
