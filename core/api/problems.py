"""One error shape for the whole API: RFC 9457 problem details.

Every 4xx and 5xx answer under /api/ is `application/problem+json`:

    {"type": "about:blank" or a URI naming the problem, "title": "...",
     "status": 400, "detail": "...", "instance": "/api/v1/...",
     "errors": [{"field": "caption", "message": "..."}]}   # validation only

`errors[].field` is a dotted path into the request body ("items.3.sku"), or
"non_field_errors" for the body as a whole.
"""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.exceptions import (
    PermissionDenied,
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.db import InterfaceError, OperationalError
from django.http import Http404, JsonResponse
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"

TITLES = {
    400: "Invalid request",
    401: "Authentication required",
    403: "Permission denied",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    413: "Request entity too large",
    415: "Unsupported media type",
    422: "Unprocessable content",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}


def problem(
    status_code: int,
    detail: str,
    *,
    instance: str = "",
    errors=None,
    type_: str = "about:blank",
    title: str | None = None,
) -> dict:
    body = {
        "type": type_,
        "title": title or TITLES.get(status_code, "Error"),
        "status": status_code,
        "detail": detail,
    }
    if instance:
        body["instance"] = instance
    if errors:
        body["errors"] = errors
    return body


def flatten_errors(detail, prefix: str = "") -> list[dict]:
    """DRF's nested error detail as a flat list of {field, message, code}."""
    if isinstance(detail, dict):
        out = []
        for key, value in detail.items():
            out += flatten_errors(value, f"{prefix}.{key}" if prefix else str(key))
        return out
    if isinstance(detail, list):
        if all(isinstance(item, exceptions.ErrorDetail | str) for item in detail):
            return [_error(prefix, item) for item in detail]
        out = []
        for index, item in enumerate(detail):
            if item:  # DRF leaves {} for the good items of a list
                out += flatten_errors(item, f"{prefix}.{index}" if prefix else str(index))
        return out
    return [_error(prefix, detail)]


def _error(field: str, message) -> dict:
    return {
        "field": field or "non_field_errors",
        "message": str(message),
        "code": getattr(message, "code", "invalid"),
    }


def _summary(errors: list[dict]) -> str:
    first = errors[0]
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    return f"{first['field']}: {first['message']}{more}"


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request is too large."
    default_code = "request_too_large"


class DatabaseUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The database cannot be reached just now; retry after Retry-After seconds."
    default_code = "database_unavailable"


# Django's request-size guards, raised while a body is parsed: a client error, not a 500.
SIZE_LIMITS = {
    RequestDataTooBig: "The request's form fields are larger than DATA_UPLOAD_MAX_MEMORY_SIZE.",
    TooManyFilesSent: "The request has more files than DATA_UPLOAD_MAX_NUMBER_FILES.",
    TooManyFieldsSent: "The request has more fields than DATA_UPLOAD_MAX_NUMBER_FIELDS.",
}


def exception_handler(exc, context):
    """DRF's EXCEPTION_HANDLER: every error becomes a problem details body."""
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, tuple(SIZE_LIMITS)):
        exc = RequestTooLarge(SIZE_LIMITS[type(exc)])
    elif isinstance(exc, OperationalError | InterfaceError):
        # A database restart or failover: the client should come back, not see a 500.
        logger.warning("database unavailable in %s: %s", context.get("request"), exc)
        exc = DatabaseUnavailable()
        exc.wait = settings.DATABASE_RETRY_AFTER_SECONDS  # DRF turns it into Retry-After
    response = drf_exception_handler(exc, context)
    request = context.get("request")
    instance = request.path if request is not None else ""
    if response is None:
        logger.exception("unhandled error in %s", instance, exc_info=exc)
        return Response(
            problem(
                500,
                "The server failed to handle this request; it has been logged.",
                instance=instance,
            ),
            status=500,
            content_type=PROBLEM_CONTENT_TYPE,
        )
    if isinstance(exc, exceptions.ValidationError):
        errors = flatten_errors(exc.detail) or [_error("", "Invalid input.")]
        body = problem(response.status_code, _summary(errors), instance=instance, errors=errors)
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        body = problem(response.status_code, str(detail), instance=instance)
    response.data = body
    response.content_type = PROBLEM_CONTENT_TYPE
    return response


def problem_response(request, status_code: int, detail: str) -> JsonResponse:
    return JsonResponse(
        problem(status_code, detail, instance=request.path),
        status=status_code,
        content_type=PROBLEM_CONTENT_TYPE,
    )


def invalid_field(request, field: str, message: str, status_code: int = 400) -> JsonResponse:
    """A problem naming the one field (or parameter) at fault."""
    return JsonResponse(
        problem(
            status_code,
            f"{field}: {message}",
            instance=request.path,
            errors=[{"field": field, "message": message, "code": "invalid"}],
        ),
        status=status_code,
        content_type=PROBLEM_CONTENT_TYPE,
    )


def api_not_found(request, exception=None):
    return problem_response(
        request, status.HTTP_404_NOT_FOUND, f"No API endpoint at {request.path}."
    )


def api_server_error(request):
    return problem_response(
        request,
        status.HTTP_500_INTERNAL_SERVER_ERROR,
        "The server failed to handle this request; it has been logged.",
    )
