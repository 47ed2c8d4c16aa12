"""The public gallery's page parameters: its cursors (the offset of the next page, in
the one cursor codec of core.api.pagination) and its limit."""

from __future__ import annotations

from rest_framework import exceptions

from core.api.pagination import BadCursor, decode_offset
from core.api.pagination import encode_cursor as _encode

MAX_LIMIT = 50
MAX_CURSOR_LENGTH = 40  # longer than any offset this API gives out


def invalid(field: str, message: str) -> exceptions.ValidationError:
    return exceptions.ValidationError({field: [message]})


def encode_cursor(offset: int) -> str:
    return _encode({"o": offset})


def decode_cursor(cursor: str) -> int:
    try:
        if len(cursor) > MAX_CURSOR_LENGTH:
            raise BadCursor(cursor)
        return decode_offset(cursor)
    except BadCursor:
        raise invalid("cursor", "Not a cursor this API gave out.") from None


def parse_limit(value: str | None, default: int) -> int:
    if value in (None, ""):
        return min(default, MAX_LIMIT)
    try:
        limit = int(value)
    except ValueError:
        raise invalid("limit", f"A whole number from 1 to {MAX_LIMIT}.") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise invalid("limit", f"A whole number from 1 to {MAX_LIMIT}.")
    return limit
