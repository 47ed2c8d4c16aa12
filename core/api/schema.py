"""OpenAPI: every operation documents the problem details errors it can return."""

from __future__ import annotations

from drf_spectacular import openapi
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.permissions import AllowAny


class FieldErrorSerializer(serializers.Serializer):
    field = serializers.CharField(help_text="Dotted path into the request, e.g. items.3.sku")
    message = serializers.CharField()
    code = serializers.CharField()


class ProblemSerializer(serializers.Serializer):
    """RFC 9457 problem details."""

    type = serializers.CharField(help_text="A URI naming the problem, or about:blank")
    title = serializers.CharField()
    status = serializers.IntegerField()
    detail = serializers.CharField()
    instance = serializers.CharField(required=False)
    errors = FieldErrorSerializer(many=True, required=False)

    class Meta:
        ref_name = "Problem"


def problem_response(description: str) -> OpenApiResponse:
    return OpenApiResponse(response=ProblemSerializer, description=description)


class AutoSchema(openapi.AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        extra = {"400": "Invalid request", "500": "Internal server error"}
        if not self._is_public():
            extra.update({"401": "Authentication required", "403": "Permission denied"})
        if self.method in ("GET", "PUT", "PATCH", "DELETE") and "{" in self.path:
            extra["404"] = "Not found"
        for code, description in extra.items():
            if code not in responses:
                responses[code] = self._get_response_for_code(problem_response(description), code)
        return responses

    def _get_response_for_code(
        self, serializer, status_code, media_types=None, direction="response"
    ):
        if status_code[0] in "45":
            media_types = ["application/problem+json"]
        return super()._get_response_for_code(serializer, status_code, media_types, direction)

    def _is_public(self) -> bool:
        return any(isinstance(p, AllowAny) for p in self.view.get_permissions())
