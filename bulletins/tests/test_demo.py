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


def test_a_newcomer_takes_a_demo_bulletin_through_its_whole_life() -> None:
    """The demo has two commune police officers: one writes and submits, the other approves
    and publishes (nobody approves their own bulletin)."""
    from accounts.models import User
    from bulletins.services import (
        Content,
        bulletin_approve,
        bulletin_create,
        bulletin_publish,
        bulletin_submit,
    )

    call_command("seed_demo", verbosity=0)
    writer, approver = User.objects.get(username="congan"), User.objects.get(username="congan2")
    bulletin = bulletin_create(
        actor=writer, content=Content(title="Cảnh giác lừa đảo", theme=Theme.values[0], body="x")
    )
    bulletin_submit(actor=writer, bulletin=bulletin)
    bulletin_approve(actor=approver, bulletin=bulletin, security_check=True)
    bulletin = bulletin_publish(actor=approver, bulletin=bulletin, confirm_over_limit=True)
    assert bulletin.status == "published" and bulletin.postings.exists()
