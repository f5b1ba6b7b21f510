from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.request import Request
from rest_framework.response import Response

from groups.access import hamlets_for

from .models import User


class HamletRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()


class MeSerializer(serializers.ModelSerializer):
    roles = serializers.SerializerMethodField()
    hamlets = serializers.SerializerMethodField()

    class Meta:
        model = User
        fields = ["id", "username", "full_name", "commune", "roles", "hamlets"]

    def get_roles(self, user: User) -> list[str]:
        return [role.value for role in user.roles]

    @extend_schema(responses=HamletRefSerializer(many=True))
    def get_hamlets(self, user: User) -> list[dict]:
        return list(hamlets_for(user).values("id", "code", "name"))


@extend_schema(responses=MeSerializer)
@api_view(["GET"])
def me(request: Request) -> Response:
    """The caller: roles and the hamlets in scope."""
    return Response(MeSerializer(request.user).data)
