"""Paging that never counts a whole table: an exact COUNT(*) over a province's million members
(or every match of a broad search) costs more than the page itself. The total stops counting at
a cap (SELECT COUNT(*) FROM (… LIMIT cap + 1)); past it the page says "more than". For the
pages (CappedCountPaginator, also the admin's), the API (CappedCountPagination) and the audit
log (capped_total)."""

from __future__ import annotations

from typing import Any

from django.core.paginator import Page, Paginator
from django.db import models
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import NotFound
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param


def capped_total(
    queryset: models.QuerySet, *, cap: int, start: int, on_page: int, has_next: bool
) -> tuple[int, bool]:
    """The total of a list read from row `start`, `on_page` rows on this page, and whether it is
    exact. A page read with one row more than shown knows `has_next`: a list that ends on this
    page is counted for free, and otherwise the count reads at most `cap` + 1 rows."""
    if not has_next:
        return start + on_page, True  # the list ends on this page
    if start + on_page + 1 > cap:
        return cap, False  # more rows already seen than the cap
    counted = queryset.order_by()[: cap + 1].count()
    if counted > cap:
        return cap, False
    return counted, True


class CappedCountPaginator(Paginator):
    """Django's Paginator counting at most CAP + 1 rows, or told its count when the caller has
    it already (the checklist's aggregate), saving the COUNT query. Past the cap, narrow the list
    with a filter or a search instead of paging that far."""

    CAP = 10_000

    def __init__(
        self,
        object_list: Any,
        per_page: int,
        orphans: int = 0,
        allow_empty_first_page: bool = True,
        *,
        count: int | None = None,
    ) -> None:
        super().__init__(object_list, per_page, orphans, allow_empty_first_page)
        self.known_count = count

    @cached_property
    def count(self) -> int:
        if self.known_count is not None:
            return self.known_count
        return self.object_list.order_by()[: self.CAP + 1].count()

    def get_page(self, number: Any) -> Page:
        """Django's get_page, except that the first page is read with one row more than it
        shows, as the API's capped_total does: a list that ends there (most searches) is
        counted from its rows and needs no COUNT query."""
        if self.known_count is not None or number not in (None, "", "1", 1):
            return super().get_page(number)
        limit = self.per_page + self.orphans
        rows = list(self.object_list[: limit + 1])
        if not rows and not self.allow_empty_first_page:
            return super().get_page(number)  # Django's EmptyPage
        if len(rows) <= limit:
            self.count = len(rows)  # the list ends on this page: what COUNT would find
            return Page(rows, 1, self)
        return Page(rows[: self.per_page], 1, self)  # counted only if the page asks

    @property
    def capped(self) -> bool:
        """True when there are more rows than CAP, and count is CAP + 1."""
        return self.count > self.CAP


class CappedCountPagination(PageNumberPagination):
    """The API's page numbers, with a `count` that stops counting at `count_cap`.

    DRF's PageNumberPagination runs an exact COUNT(*) on every page. CursorPagination needs one
    unique, non-null ordering, but members are also ordered by a nullable joining date, and
    people paging through a roster want page numbers and a total. So a page is read with one
    row more than asked for, which tells whether a next page exists, and the total is
    capped_total's. Every page stays reachable; a deep page costs an OFFSET, so narrow the list
    with filters rather than paging far.
    """

    page_size_query_param = "page_size"
    max_page_size = 200
    count_cap = 1000
    max_page = 1_000_000  # an absurd page number is a 404, not an integer overflow in SQL

    def paginate_queryset(
        self, queryset: models.QuerySet, request: Request, view: Any = None
    ) -> list[models.Model]:
        self.request = request
        size = self.get_page_size(request)
        self.number = self._page_number(request)
        start = (self.number - 1) * size
        rows = list(queryset[start : start + size + 1])
        self.has_next = len(rows) > size
        del rows[size:]
        if not rows and self.number > 1:
            raise NotFound(self.invalid_page_message)
        self.count, self.count_exact = capped_total(
            queryset, cap=self.count_cap, start=start, on_page=len(rows), has_next=self.has_next
        )
        return rows

    def _page_number(self, request: Request) -> int:
        raw = request.query_params.get(self.page_query_param) or "1"
        if not raw.isdecimal() or not 1 <= int(raw) <= self.max_page:
            raise NotFound(self.invalid_page_message)
        return int(raw)

    def get_paginated_response(self, data: list) -> Response:
        return Response(
            {
                "count": self.count,
                "count_exact": self.count_exact,
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "results": data,
            }
        )

    def get_next_link(self) -> str | None:
        if not self.has_next:
            return None
        url = self.request.build_absolute_uri()
        return replace_query_param(url, self.page_query_param, self.number + 1)

    def get_previous_link(self) -> str | None:
        if self.number == 1:
            return None
        url = self.request.build_absolute_uri()
        if self.number == 2:  # page 1 is the URL without a page number
            return remove_query_param(url, self.page_query_param)
        return replace_query_param(url, self.page_query_param, self.number - 1)

    def get_paginated_response_schema(self, schema: dict) -> dict:
        response = super().get_paginated_response_schema(schema)
        response["required"] = ["count", "count_exact", "results"]
        response["properties"]["count"] = {
            "type": "integer",
            "example": 123,
            "description": _(
                "Number of results when count_exact is true; otherwise there are more "
                "than this many (counting stops at %(cap)d)."
            )
            % {"cap": self.count_cap},
        }
        response["properties"]["count_exact"] = {
            "type": "boolean",
            "description": _("False when there are more results than count."),
        }
        return response
