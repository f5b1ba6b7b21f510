"""REST API of bulletins and postings under /api/v1/bulletins/ and /api/v1/postings/.

Reads start from `visible_to(user)`: out of scope is a 404. Writes call bulletins/services.py,
the same services (and the same sanitising) as the web editor: PermissionDenied → 403, a
service's ValidationError → 400 with its message. The officer's checklist is
`GET /api/v1/postings/?mine=true&status=pending`, and `POST …/postings/<id>/mark-posted/`.
A bulletin's pictures: `images` in its representation (and in each posting's), each with `url`
(`GET /api/v1/bulletins/images/<id>/`, the file, scoped like the bulletin) and `page_url` (the
web page's download); `GET|POST /api/v1/bulletins/<id>/images/` lists them or adds one to a draft
(multipart field `image`) through bulletin_image_add, the web editor's service.
"""

from __future__ import annotations

from typing import Any

import django_filters
from django.db import models
from django.db.models import Prefetch
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.routers import DefaultRouter

from binhyen.api_errors import service_errors
from binhyen.files import private_file_response
from binhyen.filters import IdFilter
from binhyen.pagination import CappedCountPagination
from groups.api import InScope, RegisterPermissions
from groups.models import Hamlet, ZaloGroup

from .models import Bulletin, BulletinImage, Posting, Procedure, Status, TargetMode, Theme
from .services import (
    Content,
    bulletin_create,
    bulletin_image_add,
    bulletin_transition,
    bulletin_update,
    posting_mark_posted,
    posting_skip,
)
from .views import posting_counts

# --- Serializers ----------------------------------------------------------------------------


class BulletinImageSerializer(serializers.ModelSerializer):
    """A picture of a bulletin: `url` downloads it through the API (token or session, scoped
    like the bulletin); `page_url` is the web page's download (a signed-in browser)."""

    name = serializers.CharField(source="original_name", read_only=True)
    url = serializers.SerializerMethodField()
    page_url = serializers.SerializerMethodField()

    class Meta:
        model = BulletinImage
        fields = ["id", "name", "content_type", "size", "created_at", "url", "page_url"]
        read_only_fields = fields

    def _absolute(self, path: str) -> str:
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path

    def get_url(self, image: BulletinImage) -> str:
        return self._absolute(reverse("api:bulletin-image-file", kwargs={"image_id": image.pk}))

    def get_page_url(self, image: BulletinImage) -> str:
        return self._absolute(reverse("bulletins:image", args=[image.pk]))


class ImageUploadSerializer(serializers.Serializer):
    image = serializers.FileField(
        help_text=_("A JPEG, PNG or WebP picture (type read from the content), at most 5 MB.")
    )


class BulletinSerializer(serializers.ModelSerializer):
    author_name = serializers.CharField(source="author", read_only=True)
    approved_by_name = serializers.CharField(source="approved_by", read_only=True, allow_null=True)
    images = BulletinImageSerializer(many=True, read_only=True)
    progress = serializers.SerializerMethodField(
        help_text=_("Postings: total, on time, late, pending, skipped.")
    )

    class Meta:
        model = Bulletin
        fields = [
            "id",
            "commune",
            "title",
            "theme",
            "procedure",
            "body",
            "zalo_text",
            "directive",
            "guide",
            "author",
            "author_name",
            "status",
            "target_mode",
            "target_hamlets",
            "target_groups",
            "publish_at",
            "published_at",
            "submitted_at",
            "approved_at",
            "approved_by",
            "approved_by_name",
            "security_checked",
            "rejection_comment",
            "archived_at",
            "created_at",
            "updated_at",
            "images",
            "progress",
        ]
        read_only_fields = fields

    def get_progress(self, bulletin: Bulletin) -> dict[str, int]:
        keys = ("total", "on_time", "late", "pending", "skipped")
        return {key: getattr(bulletin, f"n_{key}", 0) for key in keys}


class BulletinWriteSerializer(serializers.Serializer):
    """What the editor gives; the body is sanitised by the service, as in the web editor."""

    title = serializers.CharField(max_length=200)
    theme = serializers.ChoiceField(choices=Theme.choices)
    procedure = serializers.ChoiceField(choices=Procedure.choices, required=False, allow_blank=True)
    directive = serializers.CharField(max_length=200, required=False, allow_blank=True)
    body = serializers.CharField(
        max_length=20_000,
        help_text=_(
            "Typed text (a blank line starts a paragraph, “- ” or “1. ” lines make a list) or "
            "simple HTML; sanitised either way."
        ),
    )
    zalo_text = serializers.CharField(
        max_length=Bulletin.ZALO_TEXT_MAX,
        required=False,
        allow_blank=True,
        help_text=_("Empty: made from the body."),
    )
    target_mode = serializers.ChoiceField(choices=TargetMode.choices, default=TargetMode.ALL)
    target_hamlets = InScope(queryset=Hamlet.objects.all(), many=True, required=False)
    target_groups = InScope(queryset=ZaloGroup.objects.all(), many=True, required=False)
    publish_at = serializers.DateTimeField(required=False, allow_null=True)


class BulletinTransitionSerializer(serializers.Serializer):
    to_status = serializers.ChoiceField(choices=Status.choices)
    comment = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    security_check = serializers.BooleanField(
        default=False,
        help_text=_("Approval: no State secret, no informant's identity, no personal data."),
    )
    confirm_over_limit = serializers.BooleanField(
        default=False, help_text=_("Publish although a group is over the weekly limit.")
    )


class PostingSerializer(serializers.ModelSerializer):
    bulletin_title = serializers.CharField(source="bulletin.title", read_only=True)
    zalo_text = serializers.CharField(source="bulletin.zalo_text", read_only=True)
    group_name = serializers.CharField(source="group.name", read_only=True)
    posted_by_name = serializers.CharField(source="posted_by", read_only=True, allow_null=True)
    is_overdue = serializers.BooleanField(read_only=True)
    images = BulletinImageSerializer(source="bulletin.images", many=True, read_only=True)

    class Meta:
        model = Posting
        fields = [
            "id",
            "bulletin",
            "bulletin_title",
            "zalo_text",
            "images",
            "group",
            "group_name",
            "due_at",
            "is_overdue",
            "status",
            "posted_at",
            "posted_by",
            "posted_by_name",
            "skip_reason",
            "proof_url",
            "created_at",
        ]
        read_only_fields = fields


class MarkPostedSerializer(serializers.Serializer):
    posted_at = serializers.DateTimeField(help_text=_("When it was posted in the group."))
    proof_url = serializers.URLField(required=False, allow_blank=True, max_length=500)
    backdate_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=1000,
        help_text=_("Why it is recorded more than a day after it was posted."),
    )


class SkipSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, max_length=1000)


def _validated(serializer_class: type[serializers.Serializer], request: Request, **kw) -> dict:
    serializer = serializer_class(data=request.data, context={"request": request}, **kw)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


# --- Filters --------------------------------------------------------------------------------


class BulletinFilter(django_filters.FilterSet):
    theme = django_filters.ChoiceFilter(choices=Theme.choices)
    status = django_filters.ChoiceFilter(choices=Status.choices)
    created_after = django_filters.DateFilter(field_name="created_at", lookup_expr="date__gte")
    created_before = django_filters.DateFilter(field_name="created_at", lookup_expr="date__lte")
    published_after = django_filters.DateFilter(field_name="published_at", lookup_expr="date__gte")
    published_before = django_filters.DateFilter(field_name="published_at", lookup_expr="date__lte")

    class Meta:
        model = Bulletin
        fields = ["theme", "status"]


class PostingFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Posting.Status.choices)
    bulletin = IdFilter(field_name="bulletin")
    group = IdFilter(field_name="group")
    mine = django_filters.BooleanFilter(
        method="filter_mine", label=_("Only the groups I administer")
    )

    class Meta:
        model = Posting
        fields = ["status", "bulletin", "group"]

    def filter_mine(self, queryset: models.QuerySet, name: str, value: bool) -> models.QuerySet:
        if not value:
            return queryset
        return queryset.filter(
            pk__in=Posting.objects.administered_by(self.request.user).values("pk")
        )


# --- Viewsets ---------------------------------------------------------------------------------


class BulletinViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Bulletins in the caller's scope. Reading needs `bulletins.view_bulletin`; creating,
    `add_bulletin`; changing a draft, `change_bulletin`; the workflow (`transition`) asks the
    services for the rest (approve_bulletin, author ≠ approver, the security check)."""

    serializer_class = BulletinSerializer
    permission_classes = [RegisterPermissions]
    pagination_class = CappedCountPagination
    filterset_class = BulletinFilter

    def get_queryset(self) -> models.QuerySet[Bulletin]:
        counts = posting_counts("postings__")
        return (
            Bulletin.objects.visible_to(self.request.user)
            .select_related("author", "approved_by")
            .prefetch_related(
                "target_hamlets",
                "target_groups",
                Prefetch("images", queryset=BulletinImage.objects.order_by("pk")),
            )
            .annotate(**{f"n_{key}": value for key, value in counts.items()})
            .order_by("-created_at", "-pk")
        )

    def perform_content_negotiation(self, request: Request, force: bool = False) -> Any:
        # A picture's download answers whatever the Accept header (an image viewer asks for
        # image/*); its errors are JSON.
        return super().perform_content_negotiation(request, force or self.action == "image_file")

    def _data(self, bulletin: Bulletin) -> dict[str, Any]:
        return BulletinSerializer(
            self.get_queryset().get(pk=bulletin.pk), context=self.get_serializer_context()
        ).data

    @extend_schema(request=BulletinWriteSerializer, responses={201: BulletinSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """A draft in the caller's commune; the body is sanitised."""
        values = _validated(BulletinWriteSerializer, request)
        with service_errors():
            bulletin = bulletin_create(actor=request.user, content=Content(**values))
        return Response(self._data(bulletin), status=status.HTTP_201_CREATED)

    @extend_schema(request=BulletinWriteSerializer, responses=BulletinSerializer)
    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Change a draft (PATCH: only the fields given)."""
        bulletin = self.get_object()
        partial = kwargs.get("partial", False)
        values = _validated(BulletinWriteSerializer, request, partial=partial)
        current = {
            "title": bulletin.title,
            "theme": bulletin.theme,
            "procedure": bulletin.procedure,
            "directive": bulletin.directive,
            "body": bulletin.body,
            "zalo_text": bulletin.zalo_text,
            "target_mode": bulletin.target_mode,
            "target_hamlets": list(bulletin.target_hamlets.all()),
            "target_groups": list(bulletin.target_groups.all()),
            "publish_at": bulletin.publish_at,
        }
        if "body" in values and "zalo_text" not in values:
            current["zalo_text"] = ""  # derived again from the new body
        with service_errors():
            bulletin = bulletin_update(
                actor=request.user, bulletin=bulletin, content=Content(**{**current, **values})
            )
        return Response(self._data(bulletin))

    @extend_schema(request=BulletinTransitionSerializer, responses=BulletinSerializer)
    @action(detail=True, methods=["post"])
    def transition(
        self, request: Request, pk: str | None = None, format: str | None = None
    ) -> Response:
        """submitted (author), approved (another person, with the security check), draft
        (rejection, with a comment), published/scheduled (publish; over the weekly limit only
        with confirm_over_limit), archived."""
        bulletin = self.get_object()
        values = _validated(BulletinTransitionSerializer, request)
        with service_errors():
            bulletin = bulletin_transition(actor=request.user, bulletin=bulletin, **values)
        return Response(self._data(bulletin))

    @extend_schema(methods=["GET"], request=None, responses=BulletinImageSerializer(many=True))
    @extend_schema(
        methods=["POST"],
        request={"multipart/form-data": ImageUploadSerializer},
        responses={201: BulletinImageSerializer},
    )
    @action(
        detail=True,
        methods=["get", "post"],
        parser_classes=[MultiPartParser, FormParser],
        pagination_class=None,
        filterset_class=None,
    )
    def images(
        self, request: Request, pk: str | None = None, format: str | None = None
    ) -> Response:
        """The bulletin's pictures; POST (multipart, field `image`) adds one to a draft through
        the web editor's service: the type read from the content, the size and count limits."""
        bulletin = self.get_object()
        context = self.get_serializer_context()
        if request.method == "GET":
            return Response(
                BulletinImageSerializer(bulletin.images.all(), many=True, context=context).data
            )
        values = _validated(ImageUploadSerializer, request)
        with service_errors():
            image = bulletin_image_add(
                actor=request.user, bulletin=bulletin, uploaded_file=values["image"]
            )
        return Response(
            BulletinImageSerializer(image, context=context).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(responses={(200, "application/octet-stream"): bytes})
    @action(
        detail=False,
        methods=["get"],
        url_path=r"images/(?P<image_id>[0-9]+)",
        url_name="image-file",
        pagination_class=None,
        filterset_class=None,
    )
    def image_file(
        self, request: Request, image_id: str | None = None, format: str | None = None
    ) -> FileResponse:
        """Download one picture, for whoever may read its bulletin (to save and post it in
        Zalo); a picture of a bulletin out of scope is a 404."""
        image = get_object_or_404(BulletinImage.objects.visible_to(request.user), pk=image_id)
        return private_file_response(
            image.file, content_type=image.content_type, filename=image.original_name
        )


class PostingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Postings of the groups in the caller's scope (`bulletins.view_posting`); `?mine=true`
    is the checklist of the groups the caller administers. Recording needs `add_posting` and
    being the group's administrating officer or a co-administrator."""

    serializer_class = PostingSerializer
    permission_classes = [RegisterPermissions]
    pagination_class = CappedCountPagination
    filterset_class = PostingFilter

    def get_queryset(self) -> models.QuerySet[Posting]:
        return (
            Posting.objects.visible_to(self.request.user)
            .select_related("bulletin", "group", "posted_by")
            .prefetch_related(
                Prefetch("bulletin__images", queryset=BulletinImage.objects.order_by("pk"))
            )
            .order_by("due_at", "pk")
        )

    def _data(self, posting: Posting) -> dict[str, Any]:
        return PostingSerializer(
            self.get_queryset().get(pk=posting.pk), context=self.get_serializer_context()
        ).data

    @extend_schema(request=MarkPostedSerializer, responses=PostingSerializer)
    @action(detail=True, methods=["post"], url_path="mark-posted", url_name="mark-posted")
    def mark_posted(
        self, request: Request, pk: str | None = None, format: str | None = None
    ) -> Response:
        """Record that the bulletin was posted in this group (once: a second call is a 400)."""
        posting = self.get_object()
        values = _validated(MarkPostedSerializer, request)
        with service_errors():
            posting = posting_mark_posted(actor=request.user, posting=posting, **values)
        return Response(self._data(posting))

    @extend_schema(request=SkipSerializer, responses=PostingSerializer)
    @action(detail=True, methods=["post"])
    def skip(self, request: Request, pk: str | None = None, format: str | None = None) -> Response:
        """Record that it will not be posted in this group, with a reason."""
        posting = self.get_object()
        values = _validated(SkipSerializer, request)
        with service_errors():
            posting = posting_skip(actor=request.user, posting=posting, **values)
        return Response(self._data(posting))


router = DefaultRouter(trailing_slash=True)
router.register("bulletins", BulletinViewSet, basename="bulletin")
router.register("postings", PostingViewSet, basename="posting")
