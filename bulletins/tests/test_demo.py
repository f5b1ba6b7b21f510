"""The demo year of bulletins: every theme, postings mostly on time, some late, a few pending."""

import pytest
from django.core.management import call_command

from bulletins.models import Bulletin, Posting, ProcedureQuestion, Theme

pytestmark = pytest.mark.django_db


def test_seed_demo_adds_a_year_of_bulletins_once() -> None:
    call_command("seed_demo", verbosity=0)
    assert set(Bulletin.objects.values_list("theme", flat=True)) == set(Theme.values)
    assert 90 <= Bulletin.objects.count() <= 110
    assert all(b.author != b.approved_by for b in Bulletin.objects.select_related("author"))
    total = Posting.objects.count()
    posted = Posting.objects.filter(status="posted")
    late = sum(1 for p in posted.only("posted_at", "due_at", "status") if p.is_late)
    pending = Posting.objects.filter(status="pending").count()
    assert posted.count() > 0.8 * total
    assert 0.03 * total < late < 0.2 * total
    assert 0 < pending < 0.1 * total
    assert ProcedureQuestion.objects.exists()
    call_command("seed_demo", verbosity=0)
    assert Posting.objects.count() == total
