"""Order webhooks: public, authenticated by the HMAC of the body with the shop's secret.

Checks run cheapest first and nothing is stored until the signature holds:
size (413) -> content type (415) -> shop and signature (401) -> JSON (400)
-> fields (400, naming the field) -> write, then 200.
"""

from __future__ import annotations

import json
import logging

from django.conf import settings
from django.db import DataError
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions
from rest_framework.parsers import JSONParser
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from commerce import selectors
from commerce.api.serializers import (
    GenericOrderWebhookSerializer,
    ShopifyOrderWebhookSerializer,
    WebhookReceiptSerializer,
)
from commerce.ingest import payloads
from commerce.ingest.records import InvalidField
from commerce.services import webhooks as webhook_service
from core.api.bodies import body_within, media_type, refuse_declared_over
from core.api.schema import problem_response

logger = logging.getLogger(__name__)

SHOPIFY_ORDER_TOPICS = ("orders/create", "orders/updated", "orders/fulfilled")
SHOPIFY_REFUND_TOPICS = ("refunds/create",)


def _errors_responses():
    return {
        400: problem_response("Invalid JSON, a missing header, or a field that cannot be used"),
        401: problem_response("Missing or wrong signature, or an unknown shop; nothing stored"),
        413: problem_response("The body is larger than COMMERCE_WEBHOOK_MAX_BYTES"),
        415: problem_response("The body is not application/json"),
    }


class SignedWebhookView(APIView):
    """Shared checks of both order webhooks."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    parser_classes = [JSONParser]  # for the schema; the raw body is read directly
    throttle_classes: list = []

    shop_header = ""
    signature_header = ""
    webhook_id_header = ""

    def get_authenticate_header(self, request):
        return f'HMAC-SHA256 header="{self.signature_header}"'

    def _header(self, request, name: str) -> str | None:
        return request.META.get("HTTP_" + name.upper().replace("-", "_"))

    def verified_body(self, request):
        """(shop, raw body, parsed JSON) or an APIException with the problem."""
        limit = settings.COMMERCE_WEBHOOK_MAX_BYTES
        refuse_declared_over(request, limit)
        content_type = media_type(request)
        if content_type != "application/json":
            raise exceptions.UnsupportedMediaType(
                content_type or "none",
                detail=f"Content-Type must be application/json, not {content_type or 'missing'}.",
            )
        body = body_within(request, limit)
        domain = self._header(request, self.shop_header)
        shop = selectors.shop_by_domain(domain)
        if shop is None:
            raise exceptions.AuthenticationFailed(
                f"The {self.shop_header} header is missing."
                if not domain
                else f"No shop is registered for the domain in {self.shop_header}."
            )
        if not webhook_service.signature_valid(
            shop.webhook_secret, body, self._header(request, self.signature_header)
        ):
            raise exceptions.AuthenticationFailed(
                f"The {self.signature_header} signature is missing or does not match the body."
            )
        try:
            payload = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise exceptions.ParseError(f"The body is not valid JSON: {exc}") from None
        if not isinstance(payload, dict):
            raise exceptions.ParseError("The body must be a JSON object.")
        return shop, body, payload

    def invalid(self, *, shop, webhook_id: str, topic: str, error: InvalidField):
        if not error.field:
            error = InvalidField("non_field_errors", error.message)
        webhook_service.record_invalid(
            shop=shop, webhook_id=webhook_id, topic=topic, detail=str(error)
        )
        logger.info("invalid %s webhook %s from %s: %s", topic, webhook_id, shop.domain, error)
        return exceptions.ValidationError({error.field: [error.message]})

    def store(self, *, shop, webhook_id: str, topic: str, record) -> Response:
        try:
            receipt = webhook_service.receive(
                shop=shop, webhook_id=webhook_id, topic=topic, record=record
            )
        except DataError as exc:
            # A value the parsers let through but the database cannot hold: the
            # sender's data, so a 400 naming the problem rather than a 500.
            reason = str(exc).strip().splitlines()[0]
            raise exceptions.ValidationError({"non_field_errors": [reason]}) from None
        return self.receipt(webhook_id, receipt)

    def receipt(self, webhook_id: str, receipt) -> Response:
        return Response(
            {
                "webhook_id": webhook_id,
                "outcome": receipt.outcome,
                "duplicate": receipt.duplicate,
                "order_id": receipt.order.pk if receipt.order else None,
            }
        )


SHOPIFY_HEADERS = [
    OpenApiParameter(
        "X-Shopify-Hmac-Sha256",
        str,
        OpenApiParameter.HEADER,
        required=True,
        description="base64 of HMAC-SHA256(shop's webhook secret, raw body)",
    ),
    OpenApiParameter(
        "X-Shopify-Shop-Domain",
        str,
        OpenApiParameter.HEADER,
        required=True,
        description="Chooses the shop, and so the secret",
    ),
    OpenApiParameter(
        "X-Shopify-Topic",
        str,
        OpenApiParameter.HEADER,
        required=True,
        enum=[*SHOPIFY_ORDER_TOPICS, *SHOPIFY_REFUND_TOPICS],
    ),
    OpenApiParameter(
        "X-Shopify-Webhook-Id",
        str,
        OpenApiParameter.HEADER,
        description="The delivery id: the same id twice changes nothing",
    ),
]


class ShopifyOrderWebhook(SignedWebhookView):
    """Shopify's orders/create, orders/updated, orders/fulfilled and refunds/create webhooks."""

    shop_header = "X-Shopify-Shop-Domain"
    signature_header = "X-Shopify-Hmac-Sha256"
    webhook_id_header = "X-Shopify-Webhook-Id"

    @extend_schema(
        operation_id="shopify_order_webhook",
        summary="Receive a Shopify order or refund webhook",
        tags=["webhooks"],
        parameters=SHOPIFY_HEADERS,
        request=ShopifyOrderWebhookSerializer,
        responses={200: WebhookReceiptSerializer, **_errors_responses()},
    )
    def post(self, request):
        shop, body, payload = self.verified_body(request)
        topic = (self._header(request, "X-Shopify-Topic") or "").strip()
        if not topic:
            raise exceptions.ValidationError({"X-Shopify-Topic": ["this header is required"]})
        webhook_id = webhook_service.delivery_id_for(
            self._header(request, self.webhook_id_header), body
        )
        try:
            if topic in SHOPIFY_ORDER_TOPICS:
                record = payloads.shopify_order(payload)
                if topic == "orders/fulfilled" and record.contact:
                    record.contact.fulfilled = True
            elif topic in SHOPIFY_REFUND_TOPICS:
                record = payloads.shopify_refund(
                    payload,
                    default_currency=selectors.order_currency(shop, payload.get("order_id")),
                )
            else:
                record = None  # a topic we do not use: acknowledged so Shopify stops retrying
        except InvalidField as error:
            raise self.invalid(shop=shop, webhook_id=webhook_id, topic=topic, error=error) from None
        return self.store(shop=shop, webhook_id=webhook_id, topic=topic, record=record)


GENERIC_HEADERS = [
    OpenApiParameter(
        "X-Signature-Sha256",
        str,
        OpenApiParameter.HEADER,
        required=True,
        description="base64 of HMAC-SHA256(shop's webhook secret, raw body)",
    ),
    OpenApiParameter(
        "X-Shop-Domain",
        str,
        OpenApiParameter.HEADER,
        required=True,
        description="Chooses the shop, and so the secret",
    ),
    OpenApiParameter(
        "X-Webhook-Id",
        str,
        OpenApiParameter.HEADER,
        description="The delivery id: the same id twice changes nothing "
        "(default: the SHA-256 of the body)",
    ),
]


class GenericOrderWebhook(SignedWebhookView):
    """An order from any shop, in our documented JSON format, signed like Shopify's."""

    shop_header = "X-Shop-Domain"
    signature_header = "X-Signature-Sha256"
    webhook_id_header = "X-Webhook-Id"

    @extend_schema(
        operation_id="order_webhook",
        summary="Receive an order (generic format)",
        tags=["webhooks"],
        parameters=GENERIC_HEADERS,
        request=GenericOrderWebhookSerializer,
        responses={
            200: OpenApiResponse(WebhookReceiptSerializer, "Stored (or seen before)"),
            **_errors_responses(),
        },
    )
    def post(self, request):
        shop, body, payload = self.verified_body(request)
        webhook_id = webhook_service.delivery_id_for(
            self._header(request, self.webhook_id_header), body
        )
        topic = "orders/upsert"
        try:
            record = payloads.generic_order(payload)
        except InvalidField as error:
            raise self.invalid(shop=shop, webhook_id=webhook_id, topic=topic, error=error) from None
        return self.store(shop=shop, webhook_id=webhook_id, topic=topic, record=record)
