"""Reading a request body whose size has a limit: the one way every endpoint that takes
a raw body (webhooks, the collect endpoint) refuses what is too large, before and
after reading it, with a 413 problem."""

from __future__ import annotations

from django.core.exceptions import RequestDataTooBig
from rest_framework import exceptions, status


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "too_large"


def refuse_declared_over(request, limit: int) -> None:
    """Before reading: a Content-Length over the limit is refused unread."""
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > limit:
        raise PayloadTooLarge(f"The body is {declared} bytes; the limit is {limit} bytes.")


def media_type(request) -> str:
    """The Content-Type without its parameters, lower case ("" when missing)."""
    return request.META.get("CONTENT_TYPE", "").split(";")[0].strip().lower()


def body_within(request, limit: int) -> bytes:
    """The body, refused when it turns out larger than the limit (or than Django's own)."""
    try:
        body = request.body
    except RequestDataTooBig:  # past Django's own DATA_UPLOAD_MAX_MEMORY_SIZE
        raise PayloadTooLarge("The body is larger than the server accepts.") from None
    if len(body) > limit:
        raise PayloadTooLarge(f"The body is larger than the limit of {limit} bytes.")
    return body
