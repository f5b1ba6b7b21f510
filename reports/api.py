"""REST API of incident reports under /api/v1/reports/: the triage queue, filing, transitions,
the timeline, and the one endpoint that reveals an informant.

Every read starts from `IncidentReport.objects.visible_to(user)`, so another hamlet's report is
a 404, like one that does not exist. Every write calls the service in reports/services.py, which
checks the permission and scope (PermissionDenied → 403) and validates (ValidationError → 400,
with the service's Vietnamese message). The informant's identity is in no serializer but
RevealSerializer: the others say only whether one was recorded (`has_informant`).
"""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerExtension
from drf_spectacular.plumbing import force_instance
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from binhyen.api_errors import service_errors
from binhyen.pagination import CappedCountPagination
from groups.api import InScope, RegisterPermissions
from groups.models import Hamlet, PeopleGroup, ZaloGroup

from . import maps, visibility
from .filters import REPORT_DEFAULT_ORDERING, IncidentReportFilter
from .models import (
    Category,
    FeedbackAnswer,
    IncidentReport,
    Informant,
    ReportEvent,
    ReportFeedback,
    Status,
)
from .services import (
    informant_reveal,
    report_comment,
    report_feedback_give,
    report_file_once,
    report_transition,
)

# --- Serializers ----------------------------------------------------------------------------


class PointSerializer(serializers.Serializer):
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6)
    hamlet_centre = serializers.BooleanField(
        help_text=_("No point was given: the hamlet's centre stands for it.")
    )


class IncidentReportSerializer(serializers.ModelSerializer):
    """A report as the API shows it: read only, and never the informant (only whether one was
    recorded). Each caller gets the fields reports/visibility.py lets them read of each report
    (the others are left out): the figures for everyone, the text for whoever triages or filed
    it, the handling for whoever triages, the review's marks also for who reads the review."""

    hamlet_name = serializers.CharField(source="hamlet.name", read_only=True)
    filed_by_name = serializers.CharField(source="filed_by", read_only=True, allow_null=True)
    assigned_to_name = serializers.CharField(source="assigned_to", read_only=True, allow_null=True)
    is_overdue = serializers.BooleanField(read_only=True)
    has_informant = serializers.SerializerMethodField(
        help_text=_("Whether an informant's identity was recorded (never who).")
    )
    point = serializers.SerializerMethodField(
        help_text=_(
            "Where the map draws the report: as filed for who reads its coordinates, otherwise "
            "(and always for an anonymous tip) rounded to about 110 m; the hamlet's centre when "
            "no point was given."
        )
    )

    class Meta:
        model = IncidentReport
        fields = [
            "id",
            "code",
            "commune",
            "hamlet",
            "hamlet_name",
            "people_group",
            "category",
            "title",
            "description",
            "occurred_at",
            "location",
            "latitude",
            "longitude",
            "channel",
            "zalo_group",
            "urgency",
            "filed_by",
            "filed_by_name",
            "status",
            "assigned_to",
            "assigned_to_name",
            "due_at",
            "is_overdue",
            "valuable_tip",
            "solved_by_tip",
            "outcome",
            "closed_at",
            "created_at",
            "updated_at",
            "has_informant",
            "point",
        ]
        read_only_fields = fields

    @extend_schema_field(PointSerializer(allow_null=True))
    def get_point(self, report: IncidentReport) -> dict[str, Any] | None:
        user = self.context["request"].user
        point = maps.point_of(report, report.hamlet, exact=maps.exact_points(user, report))
        return None if point is None else PointSerializer(point).data

    def get_has_informant(self, report: IncidentReport) -> bool:
        annotated = getattr(report, "informant_recorded", None)  # see ReportViewSet.get_queryset
        return report.has_informant if annotated is None else annotated

    def to_representation(self, report: IncidentReport) -> dict[str, Any]:
        readable = visibility.readable_fields(self.context["request"].user, report)
        fields = self.fields
        data = super().to_representation(report)
        return {
            name: value for name, value in data.items() if policy_name(fields[name]) in readable
        }


def policy_name(field: serializers.Field) -> str:
    """The report field a serializer field shows, as reports/visibility.py names it:
    `hamlet_name` (source hamlet.name) is the hamlet, `has_informant` itself."""
    return field.field_name if field.source == "*" else field.source.split(".")[0]


class IncidentReportSchema(OpenApiSerializerExtension):
    """In the schema, only the figures are required: the other fields are left out of a report
    whose field the caller may not read (IncidentReportSerializer.to_representation)."""

    target_class = IncidentReportSerializer

    def map_serializer(self, auto_schema: Any, direction: str) -> dict[str, Any]:
        schema = auto_schema._map_serializer(self.target, direction, bypass_extensions=True)
        fields = force_instance(self.target).fields
        schema["required"] = [
            name for name in schema.get("required", [])
            if policy_name(fields[name]) in visibility.FIGURES
        ]  # fmt: skip
        return schema


class ReportCreateSerializer(serializers.ModelSerializer):
    """What whoever files a report gives. Internal fields (status, assignee, outcome, deadline)
    are not here: a field the caller sends for them is ignored."""

    hamlet = InScope(
        queryset=Hamlet.objects.all(), error_messages={"does_not_exist": _("Unknown hamlet.")}
    )
    people_group = InScope(
        queryset=PeopleGroup.objects.all(),
        allow_null=True,
        required=False,
        error_messages={"does_not_exist": _("Unknown people's group.")},
    )
    zalo_group = InScope(
        queryset=ZaloGroup.objects.all(),
        allow_null=True,
        required=False,
        error_messages={"does_not_exist": _("Unknown group.")},
    )
    submission_key = serializers.UUIDField(
        required=False,
        allow_null=True,
        help_text=_(
            "An idempotency key: a report sent again with the same key is not filed twice; "
            "the answer is the report filed the first time (200 instead of 201)."
        ),
    )

    class Meta:
        model = IncidentReport
        fields = [
            "hamlet",
            "people_group",
            "category",
            "title",
            "description",
            "occurred_at",
            "location",
            "latitude",
            "longitude",
            "channel",
            "zalo_group",
            "urgency",
            "submission_key",
        ]
        extra_kwargs = {"urgency": {"required": True}}


class TransitionSerializer(serializers.Serializer):
    to_status = serializers.ChoiceField(choices=Status.choices)
    note = serializers.CharField(
        required=False, allow_blank=True, max_length=5000, help_text=_("Internal: police only.")
    )


class ReportEventSerializer(serializers.ModelSerializer):
    actor_name = serializers.CharField(source="actor", read_only=True, allow_null=True)

    class Meta:
        model = ReportEvent
        fields = [
            "id",
            "kind",
            "actor",
            "actor_name",
            "created_at",
            "from_status",
            "to_status",
            "assignee",
            "text",
            "shared",
        ]
        read_only_fields = fields


class CommentSerializer(serializers.Serializer):
    # Blank is let through so that the service answers with its own message.
    text = serializers.CharField(allow_blank=True, trim_whitespace=False, max_length=5000)
    shared = serializers.BooleanField(
        default=False,
        help_text=_(
            "Shared with the hamlet head, otherwise internal. Whoever cannot triage always shares."
        ),
    )


class ReportFeedbackSerializer(serializers.ModelSerializer):
    """The reporter's word on one resolution of the report. `author` is empty for an anonymous
    tip's tipster (nothing says who they are)."""

    author_name = serializers.CharField(source="author", read_only=True, allow_null=True)

    class Meta:
        model = ReportFeedback
        fields = [
            "id",
            "round",
            "author",
            "author_name",
            "resolved",
            "satisfaction",
            "comment",
            "reopened",
            "created_at",
        ]
        read_only_fields = fields


class FeedbackRequestSerializer(serializers.Serializer):
    resolved = serializers.ChoiceField(choices=FeedbackAnswer.choices)
    satisfaction = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=2000,
        help_text=_("Shared on the report's timeline with the police."),
    )


class RevealRequestSerializer(serializers.Serializer):
    # Blank is let through so that the service answers with its own message.
    reason = serializers.CharField(allow_blank=True, trim_whitespace=False, max_length=2000)


class RevealSerializer(serializers.Serializer):
    """The informant's identity: the only serializer that has it (see informant_reveal)."""

    name = serializers.CharField()
    phone = serializers.CharField()
    address = serializers.CharField()
    relation_to_case = serializers.CharField()
    erased = serializers.BooleanField()
    erased_at = serializers.DateTimeField(allow_null=True)
    erasure_note = serializers.CharField()


class MapHamletSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    name = serializers.CharField()
    count = serializers.IntegerField(help_text=_("Reports of the selection in the hamlet."))
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6, allow_null=True)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6, allow_null=True)
    boundary = serializers.JSONField(
        allow_null=True, help_text=_("The hamlet's outline: a GeoJSON Polygon or MultiPolygon.")
    )
    list_url = serializers.CharField(help_text=_("The list of these reports."))


class MapMarkerSerializer(serializers.Serializer):
    """A report on the map: never a word of its text, never its informant."""

    id = serializers.IntegerField()
    code = serializers.CharField()
    hamlet = serializers.IntegerField()
    category = serializers.ChoiceField(choices=Category.choices)
    category_label = serializers.CharField()
    status = serializers.ChoiceField(choices=Status.choices)
    status_label = serializers.CharField()
    created_at = serializers.DateTimeField()
    day = serializers.CharField(help_text=_("The day it was received, dd/mm/yyyy."))
    latitude = serializers.DecimalField(max_digits=9, decimal_places=6)
    longitude = serializers.DecimalField(max_digits=9, decimal_places=6)
    hamlet_centre = serializers.BooleanField()
    url = serializers.CharField()


class ReportMapSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text=_("Reports of the selection."))
    markers_capped = serializers.BooleanField(
        help_text=_("Only the newest reports are drawn; the counts count them all.")
    )
    list_url = serializers.CharField(help_text=_("The list of these reports."))
    hamlets = MapHamletSerializer(many=True)
    reports = MapMarkerSerializer(many=True)


# --- Service calls ----------------------------------------------------------------------------


def _validated(serializer_class: type[serializers.Serializer], request: Request) -> dict:
    serializer = serializer_class(data=request.data, context={"request": request})
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


# --- The viewset ------------------------------------------------------------------------------


class ReportViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    viewsets.GenericViewSet,
):
    """Incident reports of the hamlets in the caller's scope. Reading needs
    `reports.view_incidentreport`, filing `reports.add_incidentreport` (for a hamlet in scope);
    the actions ask the services for the rest (triage_report, view_informant)."""

    serializer_class = IncidentReportSerializer
    permission_classes = [RegisterPermissions]
    pagination_class = CappedCountPagination
    filterset_class = IncidentReportFilter

    def get_queryset(self) -> models.QuerySet[IncidentReport]:
        return (
            IncidentReport.objects.visible_to(self.request.user)
            .select_related("hamlet", "assigned_to", "filed_by")
            .annotate(informant_recorded=Exists(Informant.objects.filter(report=OuterRef("pk"))))
            .order_by(*REPORT_DEFAULT_ORDERING)
        )

    @extend_schema(responses=ReportMapSerializer, filters=True)
    @action(detail=False, methods=["get"], url_path="map", filterset_class=IncidentReportFilter)
    def map(self, request: Request, format: str | None = None) -> Response:
        """The reports of the selection on a map (the list's filters): every hamlet in scope
        with its count, and the newest reports as markers (code, category, status, day, point;
        never the text nor the informant). For the police, area officers, the party office and
        leaders."""
        if not maps.may_see_map(request.user):
            raise PermissionDenied
        found = self.filterset_class(
            request.query_params,
            queryset=IncidentReport.objects.visible_to(request.user),
            request=request,
        )
        if not found.is_valid():
            raise ValidationError(found.errors)
        data = maps.map_data(request.user, found.qs, maps.map_query(found))
        return Response(ReportMapSerializer(data).data)

    def _report_data(self, report: IncidentReport) -> dict[str, Any]:
        return IncidentReportSerializer(report, context=self.get_serializer_context()).data

    @extend_schema(request=ReportCreateSerializer, responses={201: IncidentReportSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """File a report for a hamlet in the caller's scope; it starts received, unassigned."""
        values = _validated(ReportCreateSerializer, request)
        with service_errors():
            report, created = report_file_once(actor=request.user, **values)
        # Sent again (same submission_key): the report filed the first time, with 200.
        return Response(
            self._report_data(report),
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )

    @extend_schema(request=TransitionSerializer, responses=IncidentReportSerializer)
    @action(detail=True, methods=["post"])
    def transition(
        self, request: Request, pk: str | None = None, format: str | None = None
    ) -> Response:
        """Move the report to another status (needs reports.triage_report); the note stays
        internal."""
        report = self.get_object()
        values = _validated(TransitionSerializer, request)
        with service_errors():
            report = report_transition(actor=request.user, report=report, **values)
        return Response(self._report_data(report))

    @extend_schema(methods=["GET"], responses=ReportEventSerializer(many=True))
    @extend_schema(
        methods=["POST"], request=CommentSerializer, responses={201: ReportEventSerializer}
    )
    @action(detail=True, methods=["get", "post"])
    def comments(
        self, request: Request, pk: str | None = None, format: str | None = None
    ) -> Response:
        """The report's timeline as the caller may see it (who cannot triage: shared events
        only), or a new comment."""
        report = self.get_object()
        if request.method == "POST":
            values = _validated(CommentSerializer, request)
            with service_errors():
                event = report_comment(actor=request.user, report=report, **values)
            return Response(ReportEventSerializer(event).data, status=status.HTTP_201_CREATED)
        events = (
            ReportEvent.objects.visible_to(request.user)
            .filter(report=report)
            .select_related("actor")
            .order_by("created_at", "pk")
        )
        return Response(ReportEventSerializer(events, many=True).data)

    @extend_schema(methods=["GET"], responses=ReportFeedbackSerializer(many=True))
    @extend_schema(
        methods=["POST"],
        request=FeedbackRequestSerializer,
        responses={201: ReportFeedbackSerializer},
    )
    @action(detail=True, methods=["get", "post"])
    def feedback(
        self, request: Request, pk: str | None = None, format: str | None = None
    ) -> Response:
        """The reporter's word on the outcome, one answer per resolution (for whoever triages
        or filed the report; the others get an empty list), or the filer's answer once the
        report is resolved or closed. A first "no" reopens the report for the police."""
        report = self.get_object()
        if request.method == "POST":
            values = _validated(FeedbackRequestSerializer, request)
            with service_errors():
                feedback = report_feedback_give(actor=request.user, report=report, **values)
            data = ReportFeedbackSerializer(feedback).data
            return Response(data, status=status.HTTP_201_CREATED)
        answers = (
            ReportFeedback.objects.visible_to(request.user)
            .filter(report=report)
            .select_related("author")
            .order_by("round")
        )
        return Response(ReportFeedbackSerializer(answers, many=True).data)

    @extend_schema(request=RevealRequestSerializer, responses=RevealSerializer)
    @action(detail=True, methods=["post"])
    def reveal(
        self, request: Request, pk: str | None = None, format: str | None = None
    ) -> Response:
        """The informant's identity (needs reports.view_informant and a reason); every reveal is
        logged."""
        report = self.get_object()
        values = _validated(RevealRequestSerializer, request)
        with service_errors():
            identity = informant_reveal(actor=request.user, report=report, **values)
        response = Response(RevealSerializer(identity).data)
        response["Cache-Control"] = "no-store"  # no copy of the identity in any cache
        return response


router = DefaultRouter(trailing_slash=True)
router.register("reports", ReportViewSet, basename="report")
