"""Parsing single values: money, quantities, times, currencies, text, URLs."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from urllib.parse import parse_qs, urlsplit

from commerce.currencies import is_currency
from commerce.ingest.records import InvalidField

MAX_MONEY = Decimal("99999999999.999")  # what the database's numeric(14, 3) holds
MAX_QUANTITY = 1_000_000
MIN_YEAR, MAX_YEAR = 1970, 2200
UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_term", "utm_content")
_MONEY = re.compile(r"^-?\d+(?:\.(\d+))?$")


def money(value, field: str, *, required: bool = True, allow_negative: bool = False):
    """A Decimal amount from a string or number; floats are refused (they lose cents)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InvalidField(field, "is required")
        return None
    if isinstance(value, bool | float):
        raise InvalidField(field, 'must be a decimal string such as "12.50", not a float')
    text = str(value).strip().replace(",", "") if isinstance(value, str) else str(value)
    match = _MONEY.match(text)
    if not match:
        raise InvalidField(field, f"{str(value)[:40]!r} is not an amount such as 12.50")
    if match.group(1) and len(match.group(1)) > 3:
        raise InvalidField(field, f"has more than 3 decimal places: {text}")
    try:
        amount = Decimal(text)
    except InvalidOperation as exc:  # pragma: no cover - the pattern already checked
        raise InvalidField(field, f"{text!r} is not an amount") from exc
    if amount < 0 and not allow_negative:
        raise InvalidField(field, f"must not be negative, got {text}")
    if abs(amount) > MAX_MONEY:
        raise InvalidField(field, f"is too large: {text}")
    return amount


def line_total(amount: Decimal, field: str) -> Decimal:
    """A computed amount (price x quantity) must still fit the database's column."""
    if abs(amount) > MAX_MONEY:
        raise InvalidField(field, f"times the quantity is too large: {amount}")
    return amount


def quantity(value, field: str) -> int:
    if value is None or (isinstance(value, str) and not value.strip()):
        raise InvalidField(field, "is required")
    if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
        raise InvalidField(field, f"must be a whole number, got {value!r}")
    try:
        number = int(str(value).strip()) if not isinstance(value, float) else int(value)
    except ValueError as exc:
        raise InvalidField(field, f"{str(value)[:40]!r} is not a whole number") from exc
    if number <= 0:
        raise InvalidField(field, f"must be greater than 0, got {number}")
    if number > MAX_QUANTITY:
        raise InvalidField(field, f"is too large: {number}")
    return number


def currency(value, field: str) -> str:
    code = (value or "").strip().upper() if isinstance(value, str) else ""
    if not code:
        raise InvalidField(field, "is required (an ISO 4217 code such as EUR)")
    if not is_currency(code):
        raise InvalidField(field, f"unknown currency {str(value)[:10]!r} (expected ISO 4217)")
    return code


def timestamp(value, field: str, *, required: bool = True) -> datetime | None:
    """ISO 8601, or Shopify's export format "2024-01-15 10:20:30 -0500"; naive means UTC."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InvalidField(field, "is required")
        return None
    if not isinstance(value, str):
        raise InvalidField(field, "must be a date and time string")
    text = value.strip()
    parsed = None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        for fmt in ("%Y-%m-%d %H:%M:%S %z", "%Y-%m-%d %H:%M %z", "%Y-%m-%d %H:%M:%S"):
            try:
                parsed = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
    if parsed is None:
        raise InvalidField(field, f"{text[:40]!r} is not a date and time (ISO 8601)")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    if not (MIN_YEAR <= parsed.year <= MAX_YEAR):
        raise InvalidField(field, f"{text[:40]!r} is outside the years {MIN_YEAR} to {MAX_YEAR}")
    return parsed


def text(value, *, limit: int) -> str:
    """Free text from outside: a string, trimmed, cut to the column's size."""
    if value is None:
        return ""
    # PostgreSQL text cannot hold NUL; it is never meaningful in these fields.
    return str(value).replace("\x00", "").strip()[:limit]


def url(value, field: str, *, limit: int = 1000) -> str:
    cleaned = text(value, limit=limit + 1)
    if not cleaned:
        return ""
    if len(cleaned) > limit:
        raise InvalidField(field, f"is longer than {limit} characters")
    parts = urlsplit(cleaned)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidField(field, f"{cleaned[:60]!r} is not an http(s) URL")
    return cleaned


def utm(landing_page: str) -> dict[str, str]:
    """The UTM parameters of a landing page URL or path ("/?utm_source=ig&...")."""
    if not landing_page or "?" not in landing_page:
        return {}
    try:
        query = parse_qs(urlsplit(landing_page).query)
    except ValueError:
        return {}
    return {name: query[name][0][:200] for name in UTM_FIELDS if query.get(name)}


def normalise_email(value) -> str:
    if not isinstance(value, str):
        return ""
    email = value.strip().lower()
    return email if "@" in email and len(email) <= 320 else ""


# Cart or note attributes under which a storefront passes its visitor id; first match wins.
VISITOR_ATTRIBUTES = ("_ugc_visitor_id", "ugc_visitor_id", "_visitor_id", "visitor_id")


def visitor_from_attributes(attributes: dict[str, str]) -> str:
    for name in VISITOR_ATTRIBUTES:
        value = attributes.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip()[:100]
    return ""
