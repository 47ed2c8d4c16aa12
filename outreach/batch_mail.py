"""A batch's e-mails without rendering each one: every language's templates are rendered
once with markers where a request's own parts go (order name, products and their
links, unsubscribe link), then filled per request by plain substitution, HTML-escaped
in the HTML part, and written out as MIME bytes.

What a recipient gets is what `mail.render` makes (tests/outreach/test_batch_mail.py
compares them). A message this shortcut cannot write the way Django would (a line
over SMTP's 998 bytes, which Django sends quoted-printable; an address that needs
encoding) is rendered by `mail.render` instead.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from email.utils import formatdate
from html import escape  # what django.utils.html.escape does, without its lazy-text check

from django.conf import settings
from django.core.mail.message import forbid_multi_line_headers, sanitize_address
from django.template.loader import render_to_string

from core.pages import Brand
from outreach import links, mail
from outreach.models import PhotoRequest

_MARK = re.compile("\ue000(\\w+)\ue000")
_NEWLINE = re.compile(r"\r\n|\r|\n")
_LONGEST_LINE = 998  # bytes, RFC 5322
# email.header folds a value longer than 76 characters (Header's maxlinelen).
_UNFOLDED_SUBJECT = 76


def _mark(name: str) -> str:
    return f"\ue000{name}\ue000"


class Stencil:
    """Text with named gaps, filled by joining: a value is never searched for marks."""

    def __init__(self, text: str):
        self.pieces = _MARK.split(text)  # literal, name, literal, name, ..., literal

    def fill(self, values: dict[str, str]) -> str:
        pieces = self.pieces[:]
        for at in range(1, len(pieces), 2):
            pieces[at] = values[pieces[at]]
        return "".join(pieces)


PICTURED = mail.Product(_mark("title"), _mark("url"), _mark("image_url"))
UNPICTURED = mail.Product(_mark("title"), _mark("url"), "")


class Body:
    """One template's output as a head, one stencil per product (with or without its
    picture), and a tail, found by rendering it with none, and with one product."""

    def __init__(self, template: str, values: dict):
        def rendered(products):
            return render_to_string(template, {**values, "products": products})

        empty = rendered([])
        at = min(_common_prefix(empty, rendered([p])) for p in (PICTURED, UNPICTURED))
        self.head, self.tail = Stencil(empty[:at]), Stencil(empty[at:])
        self.rows = {}
        for product in (PICTURED, UNPICTURED):
            one = rendered([product])
            row = one[at : len(one) - len(empty) + at]
            if one != empty[:at] + row + empty[at:]:
                raise ValueError(f"{template}: the product rows cannot be told apart")
            self.rows[bool(product.image_url)] = Stencil(row)
        marks = _Marks()
        if rendered([PICTURED, UNPICTURED]) != self.fill(marks, [marks, _Marks(image_url="")]):
            raise ValueError(f"{template}: the product rows cannot be told apart")

    def fill(self, values: dict[str, str], products: list[dict[str, str]]) -> str:
        rows = (self.rows[bool(p["image_url"])].fill(p) for p in products)
        return self.head.fill(values) + "".join(rows) + self.tail.fill(values)


class _Marks(dict):
    """Every gap filled with its own mark: the stencil gives back what it was made from."""

    def __missing__(self, name: str) -> str:
        return _mark(name)


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


class Language:
    """One language's subject, text and HTML in one brand's colours, rendered once with
    markers."""

    def __init__(self, language: str, brand: Brand):
        values = {
            **brand.values(),
            "order_name": _mark("order_name"),
            "unsubscribe_url": _mark("unsubscribe_url"),
        }
        templates = mail.folder(language)
        self.subject = Stencil(render_to_string(f"{templates}/subject.txt", values))
        self.text = Body(f"{templates}/body.txt", values)
        self.html = Body(f"{templates}/body.html", values)


@dataclass(frozen=True)
class Parts:
    subject: str
    text: str
    html: str
    unsubscribe_url: str


@dataclass(frozen=True)
class Outgoing:
    """What a request's e-mail is made of, read with its claim (`sending.claim_batch`)
    rather than as models: a batch reads hundreds."""

    pk: int
    email: str
    email_hash: str
    language: str
    message_id: str
    order_name: str
    suppressed: bool
    products: list[tuple[int, str, str]]  # id, title, image URL; by id
    brand: Brand  # the order's storefront's, else the settings'

    @classmethod
    def of(cls, request: PhotoRequest) -> Outgoing:
        """A request read as a model, its address not suppressed."""
        return cls(
            request.pk, request.email, request.email_hash, request.language,
            request.message_id, mail.order_name(request), False,
            [(link.product_id, link.product.title, link.product.image_url or "")
             for link in request.links.all()],
            mail.brand_of(request),
        )  # fmt: skip


class Composer:
    """A batch's messages: each language prepared on its first request."""

    def __init__(self):
        self.addresses = links.Addresses()
        # Per language and brand: storefronts with their own colours get their own.
        self.languages: dict[tuple[str, Brand], Language | None] = {}
        self.from_header = forbid_multi_line_headers("From", mail.sender(), "utf-8")[1]
        self.envelope_sender = sanitize_address(mail.sender(), "utf-8")

    def compose(self, request: Outgoing):
        """The request's message as bytes, or as Django's message where bytes written
        here could differ from it."""
        parts = self.parts(request)
        if parts is None or not _plain_address(request.email):
            return _rendered(request)
        text, html = _wire(parts.text), _wire(parts.html)
        if _too_long(text) or _too_long(html):
            return _rendered(request)
        return mail.Prepared(
            self.envelope_sender, [request.email], self._message(request, parts, text, html)
        )

    def parts(self, request: Outgoing) -> Parts | None:
        language = self._language(request.language, request.brand)
        if language is None:
            return None
        unsubscribe_url = self.addresses.unsubscribe_url(request.pk)
        products = [
            {"title": str(title),
             "url": self.addresses.click_url(request.pk, product_id),
             "image_url": str(image_url)}
            for product_id, title, image_url in request.products
        ]  # fmt: skip
        plain = {"order_name": request.order_name, "unsubscribe_url": unsubscribe_url}
        html = {name: escape(value) for name, value in plain.items()}
        return Parts(
            subject=mail.subject_line(language.subject.fill(plain)),
            text=language.text.fill(plain, products),
            html=language.html.fill(html, [{k: escape(v) for k, v in p.items()} for p in products]),
            unsubscribe_url=unsubscribe_url,
        )

    def _language(self, language: str, brand: Brand) -> Language | None:
        key = (language, brand)
        if key not in self.languages:
            try:
                self.languages[key] = Language(language, brand)
            except ValueError:
                self.languages[key] = None  # rendered one by one instead
        return self.languages[key]

    def _message(self, request: Outgoing, parts: Parts, text: bytes, html: bytes) -> bytes:
        boundary = f"==============={secrets.token_hex(12)}=="
        headers = (
            f'Content-Type: multipart/alternative; boundary="{boundary}"\r\n'
            "MIME-Version: 1.0\r\n"
            f"Subject: {_subject(parts.subject)}\r\n"
            f"From: {self.from_header}\r\n"
            f"To: {request.email}\r\n"
            f"Date: {formatdate(localtime=settings.EMAIL_USE_LOCALTIME)}\r\n"
            f"Message-ID: {request.message_id}\r\n"
            f"List-Unsubscribe: <{parts.unsubscribe_url}>\r\n"
            f"List-Unsubscribe-Post: {mail.ONE_CLICK}\r\n"
            f"Content-Language: {request.language}\r\n"
            "\r\n"
        )
        return b"".join((
            headers.encode("ascii"),
            _part(boundary, "plain", text),
            _part(boundary, "html", html),
            f"--{boundary}--\r\n".encode("ascii"),
        ))  # fmt: skip


def _rendered(request: Outgoing):
    """Django's message for a request this module cannot write itself (rare)."""
    model = PhotoRequest.objects.select_related("order").prefetch_related("links__product")
    return mail.render(model.get(pk=request.pk))


def _subject(subject: str) -> str:
    """The Subject header's value as Django writes it (`subject_line` has already made
    it one line): an ASCII one short enough to need no folding is that value itself,
    without building an email Header."""
    if subject.isascii() and len(subject) <= _UNFOLDED_SUBJECT:
        return subject
    return forbid_multi_line_headers("Subject", subject, "utf-8")[1]


def _part(boundary: str, subtype: str, body: bytes) -> bytes:
    encoding = "7bit" if body.isascii() else "8bit"
    return (
        (
            f"--{boundary}\r\n"
            f'Content-Type: text/{subtype}; charset="utf-8"\r\n'
            "MIME-Version: 1.0\r\n"
            f"Content-Transfer-Encoding: {encoding}\r\n\r\n"
        ).encode("ascii")
        + body
        + b"\r\n"
    )


def _wire(text: str) -> bytes:
    return _NEWLINE.sub("\r\n", text).encode("utf-8")


def _too_long(body: bytes) -> bool:
    return max(map(len, body.split(b"\r\n"))) > _LONGEST_LINE


def _plain_address(address: str) -> bool:
    return address.isascii() and "\r" not in address and "\n" not in address and "," not in address
