"""Advertising spend from CSV: one parser for the command and the API.

Columns (header names case-insensitive, any order): `date` (YYYY-MM-DD), `channel`
(one of analytics.channels.CHANNELS), `campaign` (may be empty: spend on the channel
as a whole), `amount` (a decimal, 0 or more) and `currency` (ISO 4217). A row is
keyed by (date, channel, campaign): importing the same file twice changes nothing,
and a corrected file replaces the amounts it names. Bad rows are reported with
their line number and reason; the good rows beside them are kept.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from django.db import connection, transaction
from django.utils import timezone

from analytics.channels import CHANNELS

COLUMNS = ("date", "channel", "campaign", "amount", "currency")
MAX_AMOUNT = Decimal("1000000000000")  # numeric(14, 2)
MAX_CAMPAIGN = 200
MAX_ROWS = 100_000

UPSERT = """
INSERT INTO analytics_spend (day, channel, campaign, amount, currency, imported_at)
SELECT * FROM unnest(%s::date[], %s::text[], %s::text[], %s::numeric[], %s::text[],
                     %s::timestamptz[])
ON CONFLICT (day, channel, campaign) DO UPDATE
SET amount = EXCLUDED.amount, currency = EXCLUDED.currency, imported_at = EXCLUDED.imported_at
WHERE (analytics_spend.amount, analytics_spend.currency)
      IS DISTINCT FROM (EXCLUDED.amount, EXCLUDED.currency)
"""


class SpendFileError(ValueError):
    """The file as a whole cannot be read (no header, missing columns)."""


@dataclass(frozen=True)
class SpendRow:
    day: date
    channel: str
    campaign: str
    amount: Decimal
    currency: str


@dataclass
class SpendImport:
    rows: list[SpendRow] = field(default_factory=list)
    errors: list[dict] = field(default_factory=list)  # {"line": n, "message": "..."}
    written: int = 0

    def summary(self) -> dict:
        return {"rows": len(self.rows), "written": self.written, "errors": self.errors}


def parse_spend(text: str) -> SpendImport:
    """Every row checked on its own; raises SpendFileError only when no row can be read."""
    try:
        return _parse_spend(text)
    except csv.Error as exc:  # e.g. a stray carriage return mid-field: was a 500
        raise SpendFileError(f"The spend CSV cannot be read as CSV: {exc}.") from None


def _parse_spend(text: str) -> SpendImport:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = {name.strip().lower(): name for name in reader.fieldnames or [] if name}
    missing = [name for name in COLUMNS if name not in header]
    if missing:
        raise SpendFileError(f"The spend CSV lacks the columns: {', '.join(missing)}.")
    result, latest = SpendImport(), {}
    for record in reader:
        line = reader.line_num
        if len(latest) + len(result.errors) >= MAX_ROWS:
            raise SpendFileError(f"The spend CSV has more than {MAX_ROWS} rows; split it.")
        try:
            row = _row({name: (record.get(header[name]) or "").strip() for name in COLUMNS})
        except ValueError as exc:
            result.errors.append({"line": line, "message": str(exc)})
            continue
        latest[(row.day, row.channel, row.campaign)] = row  # a later line wins
    result.rows = list(latest.values())
    return result


def _row(cells: dict) -> SpendRow:
    return SpendRow(
        day=_day(cells["date"]),
        channel=_channel(cells["channel"]),
        campaign=_campaign(cells["campaign"]),
        amount=_amount(cells["amount"]),
        currency=_currency(cells["currency"]),
    )


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"date must be YYYY-MM-DD, not {text!r}.") from None


def _channel(text: str) -> str:
    channel = text.lower()
    if channel not in CHANNELS:
        raise ValueError(f"channel must be one of {', '.join(CHANNELS)}; not {text!r}.")
    return channel


def _campaign(text: str) -> str:
    if len(text) > MAX_CAMPAIGN:
        raise ValueError(f"campaign must be at most {MAX_CAMPAIGN} characters.")
    return text.lower()  # UTM campaigns are compared lowercased (docs/subsystems/kpis.md)


def _amount(text: str) -> Decimal:
    try:
        amount = Decimal(text.replace(",", "")) if text else None
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite() or not 0 <= amount < MAX_AMOUNT:
        raise ValueError(f"amount must be a number from 0 to below {MAX_AMOUNT}, not {text!r}.")
    return amount.quantize(Decimal("0.01"))


def _currency(text: str) -> str:
    if len(text) != 3 or not text.isalpha():
        raise ValueError(f"currency must be a three-letter ISO 4217 code, not {text!r}.")
    return text.upper()


def import_spend(text: str) -> SpendImport:
    """Parse and upsert; `written` counts the rows that were new or changed."""
    result = parse_spend(text)
    if not result.rows:
        return result
    now = timezone.now()
    rows = sorted(result.rows, key=lambda r: (r.day, r.channel, r.campaign))  # lock order
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            UPSERT,
            [
                [r.day for r in rows],
                [r.channel for r in rows],
                [r.campaign for r in rows],
                [r.amount for r in rows],
                [r.currency for r in rows],
                [now] * len(rows),
            ],
        )
        result.written = cursor.rowcount
    return result
