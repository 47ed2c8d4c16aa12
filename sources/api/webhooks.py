"""POST /api/v1/platforms/instagram/webhook: Meta's webhooks, signed with the app secret.

The signature (X-Hub-Signature-256 over the raw body, constant-time) is checked
first; the raw body is stored before the 200, and processed by a task. GET is
Meta's subscription handshake (hub.verify_token from settings).
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api.bodies import body_within, refuse_declared_over
from core.api.schema import problem_response
from platforms.webhooks import handshake_challenge, signature_valid
from sources.services import webhooks

MAX_BYTES = 1024 * 1024


class InstagramWebhook(APIView):
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes: list = []

    @extend_schema(
        summary="Meta's subscription check: echoes hub.challenge for our verify token",
        responses={200: OpenApiResponse(description="the challenge"), 403: problem_response("")},
    )
    def get(self, request):
        challenge = handshake_challenge(request.GET, settings.INSTAGRAM_WEBHOOK_VERIFY_TOKEN)
        if challenge is None:
            raise exceptions.PermissionDenied("hub.verify_token does not match.")
        return HttpResponse(challenge, content_type="text/plain")

    @extend_schema(
        summary="A webhook delivery: stored, then processed (mentions are collected)",
        request=None,
        responses={
            200: OpenApiResponse(description="stored (or stored already)"),
            403: problem_response("Missing or wrong X-Hub-Signature-256; nothing stored"),
            413: problem_response("The body is over 1 MB"),
        },
    )
    def post(self, request):
        refuse_declared_over(request, MAX_BYTES)
        body = body_within(request, MAX_BYTES)
        secret = settings.PLATFORM_APPS["instagram"]["app_secret"]
        if not signature_valid(secret, body, request.META.get("HTTP_X_HUB_SIGNATURE_256")):
            raise exceptions.PermissionDenied(
                "X-Hub-Signature-256 is missing or is not the HMAC-SHA256 of the body "
                "with the app secret; nothing stored."
            )
        delivery, new = webhooks.receive(body)
        return Response({"id": delivery.pk, "duplicate": not new})
