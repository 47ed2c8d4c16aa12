"""The collect contract's events, checked in plain Python (no Django import).

A batch may hold up to MAX_BATCH events. Each event is checked on its own: a bad
one is rejected with its index and a reason, and its good neighbours are kept.
No serializer per event: at tens of thousands of events a second the checks
below are the budget, so they stay simple comparisons and one parse per field.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation

MAX_BATCH = 500
MAX_ID = 64  # visitor_id, session_id
MAX_URL = 2048
MAX_NAME = 100  # gallery, product_sku, experiment, variant
MAX_VALUE = Decimal("100000000000")  # numeric(14, 3)
MAX_POSITION = 100_000

EVENT_TYPES = frozenset(
    {
        "page_view",
        "gallery_view",
        "asset_impression",
        "asset_click",
        "lightbox_open",
        "product_click",
        "add_to_cart",
        "checkout_start",
        "lead",
        "purchase",
    }
)
# The field an event of this type cannot do without.
REQUIRED_BY_TYPE = {
    "asset_impression": "asset_id",
    "asset_click": "asset_id",
    "lightbox_open": "asset_id",
    "gallery_view": "gallery",
    "product_click": "product_sku",
    "add_to_cart": "product_sku",
    "purchase": "value",
}
# Interactions with a gallery: the touches that the `ugc_gallery` channel stands for.
GALLERY_TYPES = frozenset({"gallery_view", "asset_click", "lightbox_open"})
_TYPES_TEXT = ", ".join(sorted(EVENT_TYPES))
# A lowercase, hyphenated UUID is its own canonical form: no uuid.UUID round trip.
_CANONICAL_UUID = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
).fullmatch


class Rejected(ValueError):
    """One event that cannot be stored; the message is the reason the client sees."""


# Not slots=True: orjson writes a plain dataclass (its __dict__) about four times as
# fast as a slotted one, and the batch statement takes the events as that JSON.
@dataclass
class Event:
    event_id: str
    type: str
    client_time: datetime
    time_clamped: bool
    visitor_id: str
    session_id: str
    page_url: str
    referrer: str
    asset_id: int | None
    gallery: str | None
    product_sku: str | None
    position: int | None
    value: Decimal | None
    currency: str | None
    experiment: str | None
    variant: str | None
    # Which of the batches written together in one statement this event came in
    # (analytics.services.collect numbers them; 1 when its batch goes alone).
    batch: int = 1


@dataclass(frozen=True)
class ClockWindow:
    """Client times outside [received - past, received + future] are absurd: clamped
    to the nearest bound and flagged, so one wrong device clock cannot move an event
    years away from when we saw it."""

    received_at: datetime
    past: timedelta
    future: timedelta
    # The bounds, worked out once per batch rather than once per event.
    earliest: datetime = field(init=False)
    latest: datetime = field(init=False)
    earliest_ms: float = field(init=False)
    latest_ms: float = field(init=False)

    def __post_init__(self):
        bounds = {
            "earliest": self.received_at - self.past,
            "latest": self.received_at + self.future,
        }
        bounds["earliest_ms"] = bounds["earliest"].timestamp() * 1000
        bounds["latest_ms"] = bounds["latest"].timestamp() * 1000
        for name, value in bounds.items():
            object.__setattr__(self, name, value)  # frozen: set once, here

    def clamp(self, moment: datetime) -> tuple[datetime, bool]:
        if moment < self.earliest:
            return self.earliest, True
        if moment > self.latest:
            return self.latest, True
        return moment, False

    def place(self, value) -> tuple[datetime, bool]:
        """A client_time as sent, clamped. Epoch milliseconds (what beacons send) are
        compared as numbers, so only a time inside the window becomes a datetime, and
        one far outside it is clamped rather than overflowing datetime's range."""
        kind = type(value)  # exact types: JSON gives int or float, and a bool is neither
        if kind is int or kind is float:
            # JavaScript's Date range; NaN fails both comparisons, infinities the bounds.
            if not -8.64e15 <= value <= 8.64e15:
                raise Rejected("client_time is out of range.")
            if value < self.earliest_ms:
                return self.earliest, True
            if value > self.latest_ms:
                return self.latest, True
            return datetime.fromtimestamp(value / 1000, UTC), False
        return self.clamp(_client_time(value))


def parse_event(raw, clock: ClockWindow) -> Event:
    """An Event, or Rejected naming the field at fault."""
    if not isinstance(raw, dict):
        raise Rejected("An event must be a JSON object.")
    get = raw.get  # a bound method once, not a lookup per field
    kind = get("type")
    # A list or object as the type is unhashable: checked first, it is a 4xx, not a 500.
    if not isinstance(kind, str) or kind not in EVENT_TYPES:
        raise Rejected(f"type must be one of: {_TYPES_TEXT}.")
    needed = REQUIRED_BY_TYPE.get(kind)
    if needed and get(needed) in (None, ""):
        raise Rejected(f"{needed} is required for a {kind} event.")
    client_time, clamped = clock.place(get("client_time"))
    # The optional fields an event of a type does not carry are mostly absent: only
    # those present are checked (a call each), the others are None without one.
    asset_id, gallery, product_sku, position = (
        get("asset_id"), get("gallery"), get("product_sku"), get("position")
    )  # fmt: skip
    value, currency, experiment, variant = (
        get("value"), get("currency"), get("experiment"), get("variant")
    )  # fmt: skip
    # Positional, in Event's field order (a keyword call costs more per event).
    return Event(
        _event_id(get("event_id")),
        kind,
        client_time,
        clamped,
        _identifier(get("visitor_id"), "visitor_id", required=True),
        _identifier(get("session_id"), "session_id", required=False),
        _url(get("page_url"), "page_url"),
        _url(get("referrer"), "referrer"),
        None if asset_id is None else _whole(asset_id, "asset_id", 1, 2**63 - 1),
        None if gallery is None else _name(gallery, "gallery"),
        None if product_sku is None else _name(product_sku, "product_sku"),
        None if position is None else _whole(position, "position", 0, MAX_POSITION),
        None if value is None else _value(value),
        None if currency is None else _currency(currency),
        None if experiment is None else _name(experiment, "experiment"),
        None if variant is None else _name(variant, "variant"),
    )


def _event_id(value) -> str:
    if not isinstance(value, str):
        raise Rejected("event_id is required: a UUID string.")
    if _CANONICAL_UUID(value):
        return value  # what browsers' crypto.randomUUID() sends: already as stored
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise Rejected("event_id is not a UUID.") from None


def _client_time(value) -> datetime:
    """An ISO-8601 client_time (epoch milliseconds are ClockWindow.place's)."""
    if isinstance(value, bool) or value is None:
        raise Rejected("client_time is required: epoch milliseconds or an ISO-8601 string.")
    if isinstance(value, str) and len(value) <= 40:
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            pass
        else:
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    raise Rejected("client_time must be epoch milliseconds or an ISO-8601 string.")


def _identifier(value, field: str, *, required: bool) -> str:
    if value is None or value == "":
        if required:
            raise Rejected(f"{field} is required.")
        return ""
    if not isinstance(value, str) or len(value) > MAX_ID:
        raise Rejected(f"{field} must be a string of at most {MAX_ID} characters.")
    return value


def _url(value, field: str) -> str:
    if value is None or value == "":
        return ""
    if not isinstance(value, str) or len(value) > MAX_URL:
        raise Rejected(f"{field} must be a URL of at most {MAX_URL} characters.")
    if not value.startswith(("https://", "http://")):
        raise Rejected(f"{field} must be an http or https URL.")
    return value


def _name(value, field: str) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > MAX_NAME:
        raise Rejected(f"{field} must be a string of at most {MAX_NAME} characters.")
    return value


def _whole(value, field: str, low: int, high: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise Rejected(f"{field} must be a whole number from {low} to {high}.")
    return value


def _value(value) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float) or len(str(value)) > 30:
        raise Rejected('value must be a decimal number such as "19.99".')
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise Rejected('value must be a decimal number such as "19.99".') from None
    if not amount.is_finite() or not 0 <= amount < MAX_VALUE:
        raise Rejected("value must be zero or more and below 100,000,000,000.")
    return amount.quantize(Decimal("0.001"))


def _currency(value) -> str | None:
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) != 3 or not value.isalpha():
        raise Rejected("currency must be a three-letter ISO 4217 code.")
    return value.upper()
