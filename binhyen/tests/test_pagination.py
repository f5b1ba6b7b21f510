"""The capped count shared by the pages, the admin, the API and the audit log."""

from __future__ import annotations

import pytest

from binhyen.pagination import CappedCountPaginator, capped_total
from groups.models import Hamlet

pytestmark = pytest.mark.django_db


def test_the_count_stops_at_the_cap(
    hamlet_a: Hamlet, hamlet_b: Hamlet, monkeypatch: pytest.MonkeyPatch
) -> None:
    hamlets = Hamlet.objects.order_by("pk")
    assert CappedCountPaginator(hamlets, 1).count == 2
    monkeypatch.setattr(CappedCountPaginator, "CAP", 1)
    paginator = CappedCountPaginator(hamlets, 1)
    assert paginator.count == 2 and paginator.capped  # CAP + 1: "more than 1"


def test_a_known_count_runs_no_count_query(hamlet_a: Hamlet, django_assert_num_queries) -> None:
    with django_assert_num_queries(1):  # the page's rows, no COUNT
        page = CappedCountPaginator(Hamlet.objects.order_by("pk"), 10, count=1).page(1)
        assert list(page.object_list) == [hamlet_a]
    assert not page.paginator.capped


def test_capped_total(hamlet_a: Hamlet, hamlet_b: Hamlet, django_assert_num_queries) -> None:
    hamlets = Hamlet.objects.all()
    with django_assert_num_queries(0):
        assert capped_total(hamlets, cap=5, start=10, on_page=2, has_next=False) == (12, True)
        assert capped_total(hamlets, cap=5, start=10, on_page=2, has_next=True) == (5, False)
    assert capped_total(hamlets, cap=5, start=0, on_page=1, has_next=True) == (2, True)
    assert capped_total(hamlets, cap=1, start=0, on_page=0, has_next=True) == (1, False)


def test_a_first_page_that_ends_the_list_is_counted_from_its_rows(
    hamlet_a: Hamlet, hamlet_b: Hamlet, django_assert_num_queries
) -> None:
    for number in (None, "1"):
        with django_assert_num_queries(1):  # the rows only
            page = CappedCountPaginator(Hamlet.objects.order_by("pk"), 2).get_page(number)
            assert list(page.object_list) == [hamlet_a, hamlet_b]
            assert page.paginator.count == 2 and not page.has_next()


def test_a_longer_list_reads_its_first_page_once_and_counts_it(
    hamlet_a: Hamlet, hamlet_b: Hamlet, django_assert_num_queries
) -> None:
    with django_assert_num_queries(2):  # the rows (one more than shown), then the COUNT
        page = CappedCountPaginator(Hamlet.objects.order_by("pk"), 1).get_page(None)
        assert list(page.object_list) == [hamlet_a]
        assert page.paginator.count == 2 and page.has_next()
    later = CappedCountPaginator(Hamlet.objects.order_by("pk"), 1).get_page("2")
    assert list(later.object_list) == [hamlet_b] and later.number == 2


def test_an_empty_list_has_an_empty_first_page(db, django_assert_num_queries) -> None:
    with django_assert_num_queries(1):
        page = CappedCountPaginator(Hamlet.objects.filter(pk=-1).order_by("pk"), 5).get_page(None)
        assert list(page.object_list) == [] and page.paginator.count == 0


def test_the_page_links_keep_every_other_parameter(
    rf, hamlet_a: Hamlet, hamlet_b: Hamlet, commune
) -> None:
    from django.template.loader import render_to_string

    Hamlet.objects.create(commune=commune, name="Ấp Ba", code="C")
    request = rf.get("/reports/", {"status": "new", "q": "cháy nổ", "page": "2"})
    page = CappedCountPaginator(Hamlet.objects.order_by("pk"), 1).get_page("2")
    html = render_to_string("includes/pagination.html", {"page": page}, request=request)
    assert 'href="?status=new&amp;q=ch%C3%A1y+n%E1%BB%95&amp;page=1" rel="prev"' in html
    assert 'href="?status=new&amp;q=ch%C3%A1y+n%E1%BB%95&amp;page=3" rel="next"' in html
    assert "Trang 2 / 3" in html
