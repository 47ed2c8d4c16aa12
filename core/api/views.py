from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from core.roles import ROLES, has_role


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    roles = serializers.ListField(child=serializers.ChoiceField(choices=ROLES))


class MeView(APIView):
    """Who the caller is and which roles they hold."""

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        user = request.user
        roles = [role for role in ROLES if has_role(user, role)]
        return Response(MeSerializer({"username": user.get_username(), "roles": roles}).data)
