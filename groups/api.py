"""REST API of the register under /api/v1/: communes, hamlets (with coverage), groups, members.

Every list starts from the caller's scope (`visible_to`, i.e. `hamlets_for`), so another
hamlet's or commune's object is a 404, exactly like one that does not exist; in scope, a missing
model permission is a 403. Reading needs `view_*` (see RegisterPermissions): hamlet heads, the
party office and leaders have no `view_member`, so they never see a member or a phone number.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, models
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.fields import empty
from rest_framework.permissions import DjangoModelPermissions
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter
from rest_framework.settings import api_settings

from binhyen.api_errors import service_errors
from binhyen.numbers import share
from binhyen.pagination import CappedCountPagination

from .coverage import Coverage, hamlet_coverage, people_group_coverage
from .filters import MemberFilter, ZaloGroupFilter
from .models import Commune, Hamlet, Member, PeopleGroup, ZaloGroup, within_one_commune
from .normalize import InvalidPhone, normalize_phone
from .services import register_save

# --- Permissions and pagination -------------------------------------------------------------


class RegisterPermissions(DjangoModelPermissions):
    """Model permissions for every method. DRF's DjangoModelPermissions lets any signed-in user
    read; the register is personal data, so reading asks for `view_<model>` too."""

    perms_map = {
        **DjangoModelPermissions.perms_map,
        "GET": ["%(app_label)s.view_%(model_name)s"],
        "HEAD": ["%(app_label)s.view_%(model_name)s"],
        "OPTIONS": ["%(app_label)s.view_%(model_name)s"],
    }

    def has_permission(self, request: Request, view: Any) -> bool:
        if request.user.is_authenticated and request.method not in view.allowed_methods:
            return True  # the view answers 405: DELETE is offered to no one, whatever the role
        return super().has_permission(request, view)


# --- Serializers ----------------------------------------------------------------------------


class InScope(serializers.PrimaryKeyRelatedField):
    """A foreign key whose choices are the caller's scope (`visible_to`): an id from another
    hamlet or commune is refused exactly like one that does not exist."""

    def get_queryset(self) -> models.QuerySet:
        return super().get_queryset().visible_to(self.context["request"].user)


class PhoneField(serializers.CharField):
    """A Vietnamese mobile number typed in any usual way; stored and returned in E.164."""

    def run_validation(self, data: Any = empty) -> Any:
        if isinstance(data, str) and not data.strip():  # InvalidPhone's text, not DRF's "blank"
            raise ValidationError(str(InvalidPhone(data)), code="invalid_phone")
        return super().run_validation(data)

    def to_internal_value(self, data: Any) -> str:
        try:
            return normalize_phone(super().to_internal_value(data))
        except InvalidPhone as exc:
            raise ValidationError(str(exc), code="invalid_phone") from exc


class CommuneSerializer(serializers.ModelSerializer):
    class Meta:
        model = Commune
        fields = ["id", "code", "name", "province", "coverage_target"]


class HamletSerializer(serializers.ModelSerializer):
    class Meta:
        model = Hamlet
        fields = ["id", "commune", "code", "name", "households", "population", "latitude",
                  "longitude", "boundary"]  # fmt: skip
        # The place is drawn in the admin (a point, a GeoJSON outline), read here for maps.
        read_only_fields = ["commune", "code", "name", "latitude", "longitude", "boundary"]


class PeopleGroupCoverageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    households = serializers.IntegerField()
    households_reached = serializers.IntegerField()
    coverage_percent = serializers.FloatField(allow_null=True)
    active_members = serializers.IntegerField()


class HamletCoverageSerializer(serializers.Serializer):
    hamlet = serializers.IntegerField()
    name = serializers.CharField()
    households = serializers.IntegerField(help_text=_("Households recorded for the hamlet."))
    households_reached = serializers.IntegerField(
        help_text=_("Households with an active representative in an active group.")
    )
    coverage_percent = serializers.FloatField(
        allow_null=True,
        help_text=_("Households reached as a percentage of households; null when that is 0."),
    )
    coverage_target = serializers.IntegerField(help_text=_("The commune's target, in percent."))
    active_members = serializers.IntegerField()
    active_groups = serializers.IntegerField()
    people_groups = PeopleGroupCoverageSerializer(many=True)


class ZaloGroupSerializer(serializers.ModelSerializer):
    hamlet = InScope(
        queryset=Hamlet.objects.all(), error_messages={"does_not_exist": _("Unknown hamlet.")}
    )
    people_group = InScope(
        queryset=PeopleGroup.objects.all(),
        allow_null=True,
        required=False,
        error_messages={"does_not_exist": _("Unknown people's group.")},
    )

    class Meta:
        model = ZaloGroup
        fields = [
            "id",
            "code",
            "name",
            "hamlet",
            "people_group",
            "invite_link",
            "created_on",
            "status",
            "rules",
            "rules_agreed_on",
            "notes",
        ]


class MemberSerializer(serializers.ModelSerializer):
    group = InScope(
        queryset=ZaloGroup.objects.all(), error_messages={"does_not_exist": _("Unknown group.")}
    )
    group_name = serializers.CharField(source="group.name", read_only=True)
    hamlet = serializers.IntegerField(source="group.hamlet_id", read_only=True)
    people_group = InScope(
        queryset=PeopleGroup.objects.all(),
        allow_null=True,
        required=False,
        error_messages={"does_not_exist": _("Unknown people's group.")},
    )
    phone = PhoneField(
        help_text=_(
            "Vietnamese mobile number in any usual format (0912 345 678, +84912345678); "
            "returned in E.164."
        )
    )
    phone_display = serializers.CharField(
        read_only=True, help_text=_("The number as people write it: 0912 345 678.")
    )
    active = serializers.BooleanField(source="is_active", read_only=True)

    class Meta:
        model = Member
        fields = [
            "id",
            "group",
            "group_name",
            "hamlet",
            "full_name",
            "phone",
            "phone_display",
            "zalo_name",
            "role",
            "household",
            "people_group",
            "joined_on",
            "left_on",
            "consent_on",
            "active",
            "notes",
            "created_at",
            "updated_at",
        ]
        # One active membership per phone and group is checked by the model's constraint when
        # saving (_save_checked). DRF's generated validator for it would give `left_on` a default
        # of None, so that a PUT without left_on would bring back a member who has left.
        validators: list = []


# --- Writes and reads -------------------------------------------------------------------------


def _save_checked(serializer: serializers.ModelSerializer) -> None:
    """Save what the serializer validated, after the model's own validation in the same
    transaction: full_clean() normalises the phone and keys, checks that a people's group
    belongs to the group's hamlet, and checks the constraints (one active membership per phone
    and group). Model errors become 400 responses, never 500s.

    Scope needs no check here: the object itself came from the scoped queryset, and every
    foreign key accepts only objects in the caller's scope (InScope)."""
    instance = serializer.instance or serializer.Meta.model()
    for field, value in serializer.validated_data.items():
        setattr(instance, field, value)
    try:
        with service_errors():
            register_save(actor=serializer.context["request"].user, instance=instance)
    except IntegrityError as exc:
        # full_clean() and the INSERT are two statements: a concurrent save can come between.
        raise ValidationError(
            {
                api_settings.NON_FIELD_ERRORS_KEY: [
                    _("This conflicts with a change saved at the same moment. Please try again.")
                ]
            },
            code="conflict",
        ) from exc
    serializer.instance = instance


def _percent(coverage: Coverage) -> float | None:
    """The raw share, rounded to 0.1: an API client gets the figure as computed (above 100 when
    the recorded household count is stale); the pages cap what they display."""
    return share(coverage.covered_households, coverage.households, cap=False)


def _coverage_for(hamlet: Hamlet) -> dict[str, Any]:
    """Coverage of a hamlet and of each of its people's groups, as groups.coverage counts it."""
    (row,) = hamlet_coverage(Hamlet.objects.filter(pk=hamlet.pk))
    return {
        "hamlet": hamlet.pk,
        "name": hamlet.name,
        "households": row.households,
        "households_reached": row.covered_households,
        "coverage_percent": _percent(row),
        "coverage_target": row.target,
        "active_members": row.active_members,
        "active_groups": row.active_groups,
        "people_groups": [
            {
                "id": group.people_group.pk,
                "name": group.people_group.name,
                "households": group.households,
                "households_reached": group.covered_households,
                "coverage_percent": _percent(group),
                "active_members": group.active_members,
            }
            for group in people_group_coverage(hamlet)
        ],
    }


# --- Viewsets -------------------------------------------------------------------------------


class RegisterViewSet(viewsets.GenericViewSet):
    permission_classes = [RegisterPermissions]
    pagination_class = CappedCountPagination


class CommuneViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RegisterViewSet):
    """Communes: the caller's own (a superuser sees every commune). Read only."""

    serializer_class = CommuneSerializer

    def get_queryset(self) -> models.QuerySet[Commune]:
        return Commune.objects.visible_to(self.request.user).order_by("name", "id")


class HamletViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin, RegisterViewSet
):
    """Hamlets in the caller's scope, with their place (centre and GeoJSON outline, set in the
    admin). Only `households` and `population` can be changed."""

    serializer_class = HamletSerializer

    def get_queryset(self) -> models.QuerySet[Hamlet]:
        return (
            Hamlet.objects.visible_to(self.request.user)
            .select_related("commune")
            .order_by("commune_id", "code")
        )

    def perform_update(self, serializer: HamletSerializer) -> None:
        _save_checked(serializer)

    @extend_schema(responses=HamletCoverageSerializer)
    @action(detail=True, methods=["get"])
    def coverage(
        self, request: Request, pk: str | None = None, format: str | None = None
    ) -> Response:
        """Household coverage of the hamlet by its active groups, and per people's group."""
        return Response(HamletCoverageSerializer(_coverage_for(self.get_object())).data)


class ZaloGroupViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    RegisterViewSet,
):
    """Zalo groups of the hamlets in the caller's scope. A group is never deleted: archive it by
    setting `status` to "archived"."""

    serializer_class = ZaloGroupSerializer
    filterset_class = ZaloGroupFilter

    def get_queryset(self) -> models.QuerySet[ZaloGroup]:
        return ZaloGroup.objects.visible_to(self.request.user).order_by("hamlet_id", "name", "id")

    def perform_create(self, serializer: ZaloGroupSerializer) -> None:
        _save_checked(serializer)

    def perform_update(self, serializer: ZaloGroupSerializer) -> None:
        _save_checked(serializer)


class MemberViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    RegisterViewSet,
):
    """Members of the groups in the caller's scope; needs `groups.view_member` to read at all.
    A member is never deleted: record `left_on` when they leave (history matters)."""

    serializer_class = MemberSerializer
    filterset_class = MemberFilter

    def get_queryset(self) -> models.QuerySet[Member]:
        return (
            Member.objects.visible_to(self.request.user)
            .select_related("group")
            .in_name_order(scope_first=within_one_commune(self.request.user))
        )

    def perform_create(self, serializer: MemberSerializer) -> None:
        _save_checked(serializer)

    def perform_update(self, serializer: MemberSerializer) -> None:
        _save_checked(serializer)


router = DefaultRouter(trailing_slash=True)
router.register("communes", CommuneViewSet, basename="commune")
router.register("hamlets", HamletViewSet, basename="hamlet")
router.register("groups", ZaloGroupViewSet, basename="zalogroup")
router.register("members", MemberViewSet, basename="member")
