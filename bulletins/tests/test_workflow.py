"""The workflow, targeting and the volume guard, through the services."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from accounts.models import User
from bulletins.models import Bulletin, BulletinEvent, BulletinSettings, Posting, Status, TargetMode
from bulletins.services import (
    Content,
    bulletin_approve,
    bulletin_archive,
    bulletin_create,
    bulletin_publish,
    bulletin_reject,
    bulletin_submit,
    bulletin_update,
    bulletins_publish_due,
    volume_warnings,
)
from bulletins.tests.factories import PostingFactory, published
from groups.models import Hamlet, ZaloGroup
from groups.tests.factories import ZaloGroupFactory

pytestmark = pytest.mark.django_db


def content(**fields: object) -> Content:
    values = {"title": "Phòng cháy mùa khô", "theme": "fire_safety", "body": "<p>Tắt bếp 🔥</p>"}
    return Content(**{**values, **fields})


def approved(author: User, approver: User, **fields: object) -> Bulletin:
    bulletin = bulletin_create(actor=author, content=content(**fields))
    bulletin_submit(actor=author, bulletin=bulletin)
    return bulletin_approve(actor=approver, bulletin=bulletin, security_check=True)


def test_create_sanitises_and_derives_the_zalo_text(police: User, groups) -> None:
    bulletin = bulletin_create(
        actor=police, content=content(body="<p onclick=x>Tắt bếp 🔥</p><script>x()</script>")
    )
    assert bulletin.body == "<p>Tắt bếp 🔥</p>"
    assert bulletin.zalo_text == "Tắt bếp 🔥"
    assert bulletin.status == Status.DRAFT and bulletin.author == police
    assert set(bulletin.hamlets.values_list("code", flat=True)) == {"A", "B"}


def test_an_edited_zalo_text_is_kept(police: User, groups) -> None:
    bulletin = bulletin_create(actor=police, content=content(zalo_text="Bà con lưu ý 🔥\nHết"))
    assert bulletin.zalo_text == "Bà con lưu ý 🔥\nHết"


def test_the_whole_workflow(police: User, approver: User, groups) -> None:
    bulletin = approved(police, approver)
    assert bulletin.approved_by == approver and bulletin.security_checked
    bulletin_publish(actor=approver, bulletin=bulletin)
    bulletin.refresh_from_db()
    assert bulletin.status == Status.PUBLISHED and bulletin.published_at
    bulletin_archive(actor=approver, bulletin=bulletin)
    assert bulletin.status == Status.ARCHIVED
    steps = list(
        BulletinEvent.objects.filter(bulletin=bulletin).values_list("to_status", flat=True)
    )
    assert steps == ["submitted", "approved", "published", "archived"]


def test_the_author_cannot_approve(police: User, groups) -> None:
    bulletin = bulletin_create(actor=police, content=content())
    bulletin_submit(actor=police, bulletin=bulletin)
    with pytest.raises(ValidationError) as exc:
        bulletin_approve(actor=police, bulletin=bulletin, security_check=True)
    assert exc.value.code == "author_approves"
    assert Bulletin.objects.get(pk=bulletin.pk).status == Status.SUBMITTED


def test_approval_needs_the_permission_and_the_security_check(
    police: User, approver: User, officer_a: User, groups
) -> None:
    bulletin = bulletin_create(actor=police, content=content())
    bulletin_submit(actor=police, bulletin=bulletin)
    with pytest.raises(PermissionDenied):
        bulletin_approve(actor=officer_a, bulletin=bulletin, security_check=True)
    with pytest.raises(ValidationError):
        bulletin_approve(actor=approver, bulletin=bulletin, security_check=False)
    assert Bulletin.objects.get(pk=bulletin.pk).status == Status.SUBMITTED


def test_rejection_returns_to_draft_with_a_comment(police: User, approver: User, groups) -> None:
    bulletin = bulletin_create(actor=police, content=content())
    bulletin_submit(actor=police, bulletin=bulletin)
    with pytest.raises(ValidationError):
        bulletin_reject(actor=approver, bulletin=bulletin, comment="  ")
    bulletin_reject(actor=approver, bulletin=bulletin, comment="Bỏ số điện thoại cá nhân.")
    bulletin.refresh_from_db()
    assert bulletin.status == Status.DRAFT
    assert bulletin.rejection_comment == "Bỏ số điện thoại cá nhân."
    bulletin_update(actor=police, bulletin=bulletin, content=content(title="Đã sửa"))
    bulletin_submit(actor=police, bulletin=bulletin)
    assert Bulletin.objects.get(pk=bulletin.pk).rejection_comment == ""


@pytest.mark.parametrize(
    ("status", "step"),
    [
        ("draft", "approve"),
        ("draft", "publish"),
        ("submitted", "publish"),
        ("submitted", "submit"),
        ("published", "submit"),
        ("archived", "archive"),
    ],
)
def test_steps_out_of_order_are_refused(
    police: User, approver: User, groups, status: str, step: str
) -> None:
    bulletin = bulletin_create(actor=police, content=content())
    Bulletin.objects.filter(pk=bulletin.pk).update(status=status, security_checked=True)
    bulletin.refresh_from_db()
    calls = {
        "approve": lambda: bulletin_approve(actor=approver, bulletin=bulletin, security_check=True),
        "publish": lambda: bulletin_publish(actor=approver, bulletin=bulletin),
        "submit": lambda: bulletin_submit(actor=police, bulletin=bulletin),
        "archive": lambda: bulletin_archive(actor=approver, bulletin=bulletin),
    }
    with pytest.raises(ValidationError):
        calls[step]()
    assert Bulletin.objects.get(pk=bulletin.pk).status == status
    assert not Posting.objects.exists()


def test_only_a_draft_changes(police: User, approver: User, groups) -> None:
    bulletin = approved(police, approver)
    with pytest.raises(ValidationError):
        bulletin_update(actor=police, bulletin=bulletin, content=content(title="Lén sửa"))
    assert Bulletin.objects.get(pk=bulletin.pk).title == "Phòng cháy mùa khô"


# --- targeting ------------------------------------------------------------------------------


def _posted_groups(bulletin: Bulletin) -> set[str]:
    return set(Posting.objects.filter(bulletin=bulletin).values_list("group__code", flat=True))


def test_all_groups_of_the_commune(police: User, approver: User, groups, hamlet_elsewhere) -> None:
    ZaloGroupFactory(hamlet=hamlet_elsewhere, code="x1")
    ZaloGroupFactory(hamlet=groups[0].hamlet, code="old", status=ZaloGroup.Status.ARCHIVED)
    bulletin = approved(police, approver)
    bulletin_publish(actor=approver, bulletin=bulletin)
    assert _posted_groups(bulletin) == {"a1", "a2", "b1"}
    posting = Posting.objects.filter(bulletin=bulletin).first()
    hours = BulletinSettings.DEFAULT_POSTING_DUE_HOURS
    assert posting.due_at == bulletin.published_at + datetime.timedelta(hours=hours)
    assert posting.status == Posting.Status.PENDING


def test_some_hamlets(police: User, approver: User, groups, hamlet_b: Hamlet) -> None:
    bulletin = approved(police, approver, target_mode=TargetMode.HAMLETS, target_hamlets=[hamlet_b])
    bulletin_publish(actor=approver, bulletin=bulletin)
    assert _posted_groups(bulletin) == {"b1"}
    assert list(bulletin.hamlets.values_list("code", flat=True)) == ["B"]


def test_chosen_groups(police: User, approver: User, groups, group_a2, group_b) -> None:
    bulletin = approved(
        police, approver, target_mode=TargetMode.GROUPS, target_groups=[group_a2, group_b]
    )
    bulletin_publish(actor=approver, bulletin=bulletin)
    assert _posted_groups(bulletin) == {"a2", "b1"}


def test_an_area_officer_targets_only_their_hamlets(
    officer_a: User, hamlet_a: Hamlet, hamlet_b: Hamlet, groups, group_b
) -> None:
    with pytest.raises(ValidationError):
        bulletin_create(actor=officer_a, content=content(target_mode=TargetMode.ALL))
    with pytest.raises(ValidationError):
        bulletin_create(
            actor=officer_a,
            content=content(target_mode=TargetMode.HAMLETS, target_hamlets=[hamlet_b]),
        )
    with pytest.raises(ValidationError):
        bulletin_create(
            actor=officer_a,
            content=content(target_mode=TargetMode.GROUPS, target_groups=[group_b]),
        )
    bulletin = bulletin_create(
        actor=officer_a, content=content(target_mode=TargetMode.HAMLETS, target_hamlets=[hamlet_a])
    )
    assert bulletin.author == officer_a


def test_publishing_twice_adds_no_posting(police: User, approver: User, groups) -> None:
    bulletin = approved(police, approver)
    bulletin_publish(actor=approver, bulletin=bulletin)
    with pytest.raises(ValidationError):
        bulletin_publish(actor=approver, bulletin=bulletin)
    assert Posting.objects.filter(bulletin=bulletin).count() == 3


def test_scheduled_publishing_runs_once(police: User, approver: User, groups) -> None:
    at = timezone.now() + datetime.timedelta(hours=2)
    bulletin = approved(police, approver, publish_at=at)
    bulletin_publish(actor=approver, bulletin=bulletin)
    assert Bulletin.objects.get(pk=bulletin.pk).status == Status.SCHEDULED
    assert bulletins_publish_due() == 0
    assert not Posting.objects.exists()
    later = at + datetime.timedelta(minutes=1)
    assert bulletins_publish_due(now=later) == 1
    assert bulletins_publish_due(now=later) == 0  # beat firing twice
    bulletin.refresh_from_db()
    assert bulletin.status == Status.PUBLISHED and bulletin.published_at == later
    assert Posting.objects.filter(bulletin=bulletin).count() == 3


# --- the volume guard -----------------------------------------------------------------------


def test_the_weekly_limit_warns_before_publishing(
    police: User, approver: User, groups, group_a, hamlet_a: Hamlet, commune
) -> None:
    BulletinSettings.objects.create(commune=commune, weekly_limit=2)
    earlier = published(police, hamlet_a)  # one posting in each of A's groups, today
    old = published(police, hamlet_a)
    Posting.objects.filter(bulletin=old).update(
        created_at=timezone.now() - datetime.timedelta(days=8)
    )
    bulletin = approved(police, approver)
    assert volume_warnings(bulletin) == []  # a1, a2: 1 + this one = 2, not over
    PostingFactory(bulletin=published(police), group=group_a)  # a third for a1 only
    warnings = volume_warnings(bulletin)
    assert [(w.group.code, w.count, w.limit) for w in warnings] == [("a1", 3, 2)]
    with pytest.raises(ValidationError) as exc:
        bulletin_publish(actor=approver, bulletin=bulletin)
    assert exc.value.code == "over_weekly_limit"
    assert "Nhóm A1" in exc.value.messages[0]
    assert not Posting.objects.filter(bulletin=bulletin).exists()
    bulletin_publish(actor=approver, bulletin=bulletin, confirm_over_limit=True)
    assert Posting.objects.filter(bulletin=bulletin).count() == 3
    assert earlier.pk != bulletin.pk


def test_the_default_weekly_limit_is_seven(police: User, approver: User, group_a, hamlet_a) -> None:
    for _ in range(6):
        published(police, hamlet_a)
    bulletin = approved(police, approver)
    assert volume_warnings(bulletin) == []
    published(police, hamlet_a)
    assert [w.count for w in volume_warnings(bulletin)] == [8]


def test_scheduled_bulletins_count_towards_the_limit(
    police: User, approver: User, group_a, commune
) -> None:
    BulletinSettings.objects.create(commune=commune, weekly_limit=1)
    at = timezone.now() + datetime.timedelta(hours=3)
    first = approved(police, approver, publish_at=at)
    bulletin_publish(actor=approver, bulletin=first)
    second = approved(police, approver)
    assert [w.group.code for w in volume_warnings(second)] == ["a1"]
