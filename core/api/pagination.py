"""Pagination: DRF's cursor pagination for every list, and the one codec of the cursors
that pages of our own make (the public gallery, the workspace library).

A cursor is URL-safe base64 of compact JSON, without padding: opaque to a client,
and anything that does not decode to what its page gave out is refused as bad input.
"""

import base64
import binascii
import json

from rest_framework import pagination


class CursorPagination(pagination.CursorPagination):
    """Cursor pagination for every list: stable under inserts, O(1) per page."""

    ordering = "-id"
    page_size = 50
    page_size_query_param = "limit"
    max_page_size = 500


class BadCursor(ValueError):
    """Not a cursor this codec made."""


def encode_cursor(data) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str):
    """What encode_cursor() was given; BadCursor for anything else."""
    try:
        return json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error, RecursionError) as exc:  # ValueError: also bad UTF-8
        raise BadCursor(cursor) from exc


def decode_offset(cursor: str, most: int | None = None) -> int:
    """The offset of an encode_cursor({"o": offset}) cursor (0 up to `most`)."""
    data = decode_cursor(cursor)
    offset = data.get("o") if isinstance(data, dict) else None
    if not isinstance(offset, int) or offset < 0 or (most is not None and offset > most):
        raise BadCursor(cursor)
    return offset
