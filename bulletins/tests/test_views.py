"""The pages through the HTTP client: the editor and workflow buttons, the checklist, progress,
guides and the question log; scope (404), permission (403), login; query counts."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from binhyen.tests.test_private_files import assert_served_privately
from bulletins.models import Bulletin, Guide, Posting, ProcedureQuestion, Status
from bulletins.tests.factories import PNG, BulletinFactory, add_image, published, reach
from groups.models import Hamlet, ZaloGroup
from groups.tests.factories import ZaloGroupFactory

pytestmark = pytest.mark.django_db


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def url(name: str, *args: object) -> str:
    return reverse(f"bulletins:{name}", args=args)


# --- the editor and the workflow --------------------------------------------------------------


def test_the_editor_saves_a_sanitised_draft(police: User, groups) -> None:
    response = client_for(police).post(
        url("bulletin-create"),
        {
            "title": "Cảnh giác cuộc gọi mạo danh",
            "theme": "crime_tricks",
            "body": '<p>Không cung cấp mã OTP <img src=x onerror="alert(1)"></p>',
            "zalo_text": "",
            "target_mode": "all",
        },
    )
    bulletin = Bulletin.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("bulletin-detail", bulletin.pk)
    assert bulletin.body == "<p>Không cung cấp mã OTP </p>"
    assert bulletin.zalo_text == "Không cung cấp mã OTP"
    page = client_for(police).get(url("bulletin-detail", bulletin.pk))
    assert b"onerror" not in page.content
    assert b'data-copy-target="zalo-text"' in page.content


def test_the_editor_refuses_a_procedure_outside_guides(police: User, groups) -> None:
    response = client_for(police).post(
        url("bulletin-create"),
        {"title": "x", "theme": "fire_safety", "procedure": "passport", "body": "<p>x</p>",
         "target_mode": "all"},
    )  # fmt: skip
    assert response.status_code == 200
    assert not Bulletin.objects.exists()


def test_the_editor_starts_from_a_guide(police: User) -> None:
    guide = Guide.objects.get(procedure="passport")
    response = client_for(police).get(url("bulletin-create") + f"?guide={guide.pk}")
    assert response.status_code == 200
    assert guide.title in response.content.decode()
    assert response.context["form"].initial["procedure"] == "passport"


def test_buttons_move_the_bulletin(police: User, approver: User, groups) -> None:
    bulletin = BulletinFactory(author=police)
    transition = url("bulletin-transition", bulletin.pk)
    client_for(police).post(transition, {"to_status": "submitted"})
    assert Bulletin.objects.get(pk=bulletin.pk).status == Status.SUBMITTED
    # Without the security check box nothing happens, and the page says why.
    response = client_for(approver).post(transition, {"to_status": "approved"}, follow=True)
    assert Bulletin.objects.get(pk=bulletin.pk).status == Status.SUBMITTED
    assert "security check" in response.content.decode() or "kiểm tra" in response.content.decode()
    client_for(approver).post(transition, {"to_status": "approved", "security_check": "on"})
    client_for(approver).post(transition, {"to_status": "published"})
    assert Bulletin.objects.get(pk=bulletin.pk).status == Status.PUBLISHED
    assert Posting.objects.filter(bulletin=bulletin).count() == 3
    page = client_for(approver).get(url("bulletin-detail", bulletin.pk))
    assert page.context["progress"]["pending"] == 3


def test_the_author_sees_no_approve_button(police: User, groups) -> None:
    bulletin = BulletinFactory(author=police, status=Status.SUBMITTED)
    page = client_for(police).get(url("bulletin-detail", bulletin.pk)).content.decode()
    assert 'value="approved"' not in page
    response = client_for(police).post(
        url("bulletin-transition", bulletin.pk), {"to_status": "approved", "security_check": "on"}
    )
    assert response.status_code == 302
    assert Bulletin.objects.get(pk=bulletin.pk).status == Status.SUBMITTED


def who_can_text(page: str) -> str:
    found = re.search(r'data-testid="who-can">(.*?)</p>', page, re.S)
    return re.sub(r"<[^>]+>|\s+", " ", found[1]) if found else ""


def test_a_waiting_bulletin_names_who_approves_it(
    police: User, approver: User, officer_a: User, hamlet_a: Hamlet, groups
) -> None:
    """The author, an editor and the officers who may not approve are told who can: the role
    and its people, never the author or an editor themselves."""
    bulletin = reach(BulletinFactory(author=police, status=Status.SUBMITTED), hamlet_a)
    shown = who_can_text(client_for(police).get(url("bulletin-detail", bulletin.pk)).text)
    assert "Công an xã" in shown and str(approver) in shown and str(police) not in shown
    bulletin.editors.add(approver)
    shown = who_can_text(client_for(approver).get(url("bulletin-detail", bulletin.pk)).text)
    assert "Công an xã" in shown and str(approver) not in shown and str(police) not in shown
    bulletin.editors.clear()
    page = client_for(approver).get(url("bulletin-detail", bulletin.pk)).text
    assert 'data-testid="who-can"' not in page and 'value="approved"' in page  # it is them
    Bulletin.objects.filter(pk=bulletin.pk).update(
        status=Status.APPROVED, security_checked=True, approved_by=approver
    )
    shown = who_can_text(client_for(officer_a).get(url("bulletin-detail", bulletin.pk)).text)
    assert str(police) in shown and str(approver) in shown and str(officer_a) not in shown


def test_an_area_officer_cannot_approve(officer_a: User, police: User, hamlet_a, groups) -> None:
    bulletin = reach(BulletinFactory(author=police, status=Status.SUBMITTED), hamlet_a)
    response = client_for(officer_a).post(
        url("bulletin-transition", bulletin.pk), {"to_status": "approved", "security_check": "on"}
    )
    assert response.status_code == 403
    assert Bulletin.objects.get(pk=bulletin.pk).status == Status.SUBMITTED


def test_the_volume_warning_is_shown_before_publishing(
    police: User, approver: User, group_a, hamlet_a: Hamlet
) -> None:
    for _ in range(7):
        published(police, hamlet_a)
    bulletin = BulletinFactory(author=police, status=Status.APPROVED, security_checked=True)
    page = client_for(approver).get(url("bulletin-detail", bulletin.pk))
    assert b'data-testid="volume-warning"' in page.content
    client_for(approver).post(url("bulletin-transition", bulletin.pk), {"to_status": "published"})
    assert Bulletin.objects.get(pk=bulletin.pk).status == Status.APPROVED
    client_for(approver).post(
        url("bulletin-transition", bulletin.pk),
        {"to_status": "published", "confirm_over_limit": "on"},
    )
    assert Bulletin.objects.get(pk=bulletin.pk).status == Status.PUBLISHED


def test_images_are_checked_by_content(police: User, groups) -> None:
    bulletin = BulletinFactory(author=police)
    upload = url("image-upload", bulletin.pk)
    fake = SimpleUploadedFile("anh.png", b"<svg onload=alert(1)>", content_type="image/png")
    client_for(police).post(upload, {"image": fake})
    assert not bulletin.images.exists()
    client_for(police).post(upload, {"image": SimpleUploadedFile("a.png", PNG, "image/png")})
    image = bulletin.images.get()
    assert image.content_type == "image/png"
    response = client_for(police).get(url("image", image.pk))
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == PNG


def test_drafts_are_hidden_from_readers(police: User, head_b: User, leader: User, groups) -> None:
    draft = BulletinFactory(author=police)
    released = published(police, *Hamlet.objects.all())
    for reader in (head_b, leader):
        assert client_for(reader).get(url("bulletin-detail", draft.pk)).status_code == 404
        assert client_for(reader).get(url("bulletin-detail", released.pk)).status_code == 200
    listed = client_for(head_b).get(url("bulletin-list")).context["page"].object_list
    assert [b.pk for b in listed] == [released.pk]


@pytest.mark.parametrize(
    "name", ["bulletin-list", "bulletin-create", "checklist", "progress", "guide-list", "questions"]
)
def test_anonymous_users_are_sent_to_login(name: str) -> None:
    response = Client().get(url(name))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_other_hamlets_and_communes_read_as_missing(
    officer_a: User, outsider: User, police: User, hamlet_b: Hamlet, group_b
) -> None:
    bulletin = published(police, hamlet_b)
    posting = Posting.objects.get(bulletin=bulletin)
    image = add_image(bulletin)
    for user in (officer_a, outsider):
        client = client_for(user)
        assert client.get(url("bulletin-detail", bulletin.pk)).status_code == 404
        assert client.get(url("image", image.pk)).status_code == 404
        assert client.post(url("posting-posted", posting.pk)).status_code == 404
        assert client.post(url("bulletin-transition", bulletin.pk)).status_code == 404


def test_missing_permissions_are_forbidden(head_b: User, leader: User) -> None:
    assert client_for(head_b).get(url("checklist")).status_code == 403
    assert client_for(head_b).get(url("bulletin-create")).status_code == 403
    assert client_for(head_b).get(url("progress")).status_code == 403
    assert client_for(leader).get(url("checklist")).status_code == 403
    assert client_for(leader).post(url("questions"), {"count": 1}).status_code == 403


# --- the checklist --------------------------------------------------------------------------


def test_the_checklist_shows_the_groups_the_officer_administers(
    police: User, officer_a: User, officer_b: User, hamlet_a, hamlet_b, groups, group_a
) -> None:
    elsewhere = ZaloGroupFactory(hamlet=hamlet_a, code="a3")  # in scope, administered by no one
    co = ZaloGroupFactory(hamlet=hamlet_a, code="a4")
    co.co_admins.add(officer_a)
    bulletin = published(police, hamlet_a, hamlet_b)
    Posting.objects.filter(group=group_a).update(
        due_at=timezone.now() - datetime.timedelta(hours=1)
    )
    response = client_for(officer_a).get(url("checklist"))
    shown = {posting.group.code for posting in response.context["pending"]}
    assert shown == {"a1", "a2", "a4"}
    assert response.context["overdue"] == 1
    assert response.context["pending"][0].group == group_a  # overdue first
    assert elsewhere.code not in shown
    assert {
        p.group.code for p in client_for(officer_b).get(url("checklist")).context["pending"]
    } == {"b1"}
    assert bulletin.zalo_text in response.content.decode()


def test_the_checklist_kept_drawn_stays_true(
    police: User, officer_a: User, hamlet_a, hamlet_b, group_a, monkeypatch
) -> None:
    """The checklist is kept drawn (binhyen.page_cache): a posting just marked leaves it, a
    bulletin just published adds its posting, and a deadline that passes shows overdue, each
    on the next request."""
    from binhyen import page_cache
    from binhyen.tests.test_page_cache import kept
    from bulletins.services import POSTINGS_TOPIC

    first = published(police, hamlet_a, hamlet_b, title="Bản tin thứ nhất")
    client = client_for(officer_a)
    html = kept(client, url("checklist"))
    [posting] = Posting.objects.filter(group=group_a, bulletin=first)
    assert f'data-posting="{posting.pk}"' in html
    assert client.post(url("posting-posted", posting.pk)).status_code == 302
    assert f'data-posting="{posting.pk}"' not in client.get(url("checklist")).content.decode()

    second = published(police, hamlet_a, hamlet_b, title="Bản tin thứ hai")
    [posting] = Posting.objects.filter(group=group_a, bulletin=second)
    due = timezone.now() + datetime.timedelta(minutes=10)  # well within the session's life
    Posting.objects.filter(pk=posting.pk).update(due_at=due)
    page_cache.touch(POSTINGS_TOPIC)
    html = kept(client, url("checklist"))
    assert f'data-posting="{posting.pk}"' in html and "border-danger" not in html
    later = due + datetime.timedelta(minutes=1)
    monkeypatch.setattr(timezone, "now", lambda: later)
    assert "border-danger" in client.get(url("checklist")).content.decode()


def test_the_checklist_leaves_out_groups_administered_outside_the_scope(
    police: User, officer_a: User, hamlet_a, hamlet_b, group_a, group_b
) -> None:
    """Running a group of another hamlet (as its admin officer or a co-administrator) does not
    bring its postings into the checklist of an officer in charge of hamlet A only."""
    group_b.co_admins.add(officer_a)
    ZaloGroupFactory(hamlet=hamlet_b, code="b2", admin_officer=officer_a)
    published(police, hamlet_a, hamlet_b)
    response = client_for(officer_a).get(url("checklist"))
    assert {posting.group.code for posting in response.context["pending"]} == {"a1"}
    assert response.context["total"] == 1


def test_each_checklist_card_links_its_own_posting_and_pictures(
    police: User, officer_a: User, hamlet_a, group_a
) -> None:
    """Each card's links are its posting's and its pictures' own."""
    bulletin = published(police, hamlet_a)
    image = add_image(bulletin)
    page = client_for(officer_a).get(url("checklist")).content.decode()
    posting = Posting.objects.get(bulletin=bulletin, group=group_a)
    assert f'action="{url("posting-posted", posting.pk)}"' in page
    assert f'action="{url("posting-skip", posting.pk)}"' in page
    assert page.count(f'"{url("image", image.pk)}"') == 2  # the download link and the thumbnail


def test_archived_bulletins_leave_the_checklist(police: User, officer_a: User, hamlet_a, group_a):
    bulletin = published(police, hamlet_a)
    Bulletin.objects.filter(pk=bulletin.pk).update(status=Status.ARCHIVED)
    assert client_for(officer_a).get(url("checklist")).context["pending"] == []


def test_one_tap_posted(police: User, officer_a: User, hamlet_a, group_a) -> None:
    posting = Posting.objects.get(bulletin=published(police, hamlet_a))
    response = client_for(officer_a).post(url("posting-posted", posting.pk))
    assert response.status_code == 302 and response["Location"] == url("checklist")
    posting.refresh_from_db()
    assert posting.status == Posting.Status.POSTED
    assert posting.posted_by == officer_a and posting.posted_at
    # A second tap records nothing new.
    client_for(officer_a).post(url("posting-posted", posting.pk))
    assert Posting.objects.get(pk=posting.pk).posted_at == posting.posted_at


def test_posted_with_a_proof_screenshot(police: User, officer_a: User, hamlet_a, group_a) -> None:
    posting = Posting.objects.get(bulletin=published(police, hamlet_a))
    bad = SimpleUploadedFile("shot.png", b"GIF89a....", content_type="image/png")
    client_for(officer_a).post(url("posting-posted", posting.pk), {"proof_image": bad})
    assert Posting.objects.get(pk=posting.pk).status == Posting.Status.PENDING
    good = SimpleUploadedFile("shot.png", PNG, content_type="image/png")
    client_for(officer_a).post(
        url("posting-posted", posting.pk),
        {"proof_image": good, "proof_url": "https://zalo.me/g/abcd1234"},
    )
    posting.refresh_from_db()
    assert posting.status == Posting.Status.POSTED and posting.proof_image
    assert posting.proof_url == "https://zalo.me/g/abcd1234"
    proof = client_for(police).get(url("posting-proof", posting.pk))
    assert_served_privately(proof)
    assert b"".join(proof.streaming_content) == PNG


def test_only_the_groups_officer_marks_posted(
    police: User, officer_a: User, approver: User, hamlet_a, group_a
) -> None:
    posting = Posting.objects.get(bulletin=published(police, hamlet_a))
    second = make_area_officer(hamlet_a)
    for user in (police, approver, second):  # in scope, but not administering the group
        assert client_for(user).post(url("posting-posted", posting.pk)).status_code == 403
    assert Posting.objects.get(pk=posting.pk).status == Posting.Status.PENDING
    group_a.co_admins.add(second)
    client_for(second).post(url("posting-posted", posting.pk))
    assert Posting.objects.get(pk=posting.pk).posted_by == second


def make_area_officer(hamlet: Hamlet) -> User:
    from accounts.roles import Role
    from conftest import make_user

    return make_user("officer_a2", Role.AREA_OFFICER, hamlet.commune, [hamlet])


def test_skip_needs_a_reason(police: User, officer_a: User, hamlet_a, group_a) -> None:
    posting = Posting.objects.get(bulletin=published(police, hamlet_a))
    client_for(officer_a).post(url("posting-skip", posting.pk), {"reason": " "})
    assert Posting.objects.get(pk=posting.pk).status == Posting.Status.PENDING
    client_for(officer_a).post(url("posting-skip", posting.pk), {"reason": "Nhóm đang sáp nhập"})
    posting.refresh_from_db()
    assert posting.status == Posting.Status.SKIPPED and posting.skip_reason == "Nhóm đang sáp nhập"


def _many(police: User, hamlet: Hamlet, officer: User, groups: int, bulletins: int) -> None:
    for n in range(groups):
        ZaloGroupFactory(
            hamlet=hamlet, code=f"q{n}-{ZaloGroup.objects.count()}", admin_officer=officer
        )
    for _ in range(bulletins):
        add_image(published(police, hamlet))


def test_the_checklist_query_count_is_flat(
    police: User, officer_a: User, hamlet_a, django_assert_max_num_queries
) -> None:
    client = client_for(officer_a)
    _many(police, hamlet_a, officer_a, groups=1, bulletins=1)
    # The first page's rows carry its totals (window aggregates): one query fewer than a page
    # that reads an aggregate first.
    client.get(url("checklist"))  # steady state: the user's access is cached after a first request
    with django_assert_max_num_queries(9) as small:
        client.get(url("checklist"))
    _many(police, hamlet_a, officer_a, groups=5, bulletins=6)
    with django_assert_max_num_queries(len(small)) as large:
        response = client.get(url("checklist"))
    assert response.context["total"] > 30
    assert len(response.context["pending"]) == 30  # a page of cards
    assert len(large) == len(small)


def test_a_long_checklist_pages_overdue_first_and_counts_everything(
    police: User, officer_a: User, hamlet_a
) -> None:
    _many(police, hamlet_a, officer_a, groups=5, bulletins=7)  # 35 postings
    latest = Posting.objects.order_by("-pk").first()
    Posting.objects.filter(pk=latest.pk).update(due_at=timezone.now() - datetime.timedelta(days=1))
    client = client_for(officer_a)
    first = client.get(url("checklist"))
    assert first.context["total"] == 35 and first.context["overdue"] == 1
    assert len(first.context["pending"]) == 30
    assert first.context["pending"][0].pk == latest.pk  # the overdue one leads page 1
    assert "page=2" in first.content.decode()
    second = client.get(url("checklist") + "?page=2")
    assert second.context["total"] == 35 and second.context["overdue"] == 1
    shown = [p.pk for p in first.context["pending"] + second.context["pending"]]
    assert len(shown) == len(set(shown)) == 35
    assert client.get(url("checklist") + "?page=x").context["pending"] == first.context["pending"]


def test_list_and_progress_query_counts_are_flat(
    police: User, officer_a: User, hamlet_a, django_assert_max_num_queries
) -> None:
    client = client_for(police)
    _many(police, hamlet_a, officer_a, groups=1, bulletins=1)
    counts = []
    client.get(
        url("bulletin-list")
    )  # steady state: the user's access is cached after a first request
    for size in (1, 8):
        _many(police, hamlet_a, officer_a, groups=size, bulletins=size)
        with django_assert_max_num_queries(20) as queries:
            client.get(url("bulletin-list"))
            client.get(url("progress"))
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_progress_per_group(police: User, officer_a: User, hamlet_a, group_a, group_a2) -> None:
    bulletin = published(police, hamlet_a)
    late = Posting.objects.get(bulletin=bulletin, group=group_a)
    Posting.objects.filter(pk=late.pk).update(
        status="posted", posted_at=late.due_at + datetime.timedelta(hours=1), posted_by=officer_a
    )
    rows = {g.code: g for g in client_for(police).get(url("progress")).context["page"]}
    assert (rows["a1"].n_late, rows["a1"].n_pending) == (1, 0)
    assert (rows["a2"].n_on_time, rows["a2"].n_pending) == (0, 1)
    page = client_for(police).get(url("bulletin-detail", bulletin.pk))
    assert page.context["progress"] == {
        "total": 2,
        "on_time": 0,
        "late": 1,
        "pending": 1,
        "skipped": 0,
    }


# --- guides and questions -------------------------------------------------------------------


def test_the_guide_library_is_seeded_and_marked_for_checking(officer_a: User) -> None:
    assert set(Guide.objects.values_list("procedure", flat=True)) == {
        "id_card", "passport", "security_certificate", "residence", "vehicle"
    }  # fmt: skip
    guide = Guide.objects.get(procedure="residence")
    assert guide.needs_verification and "VNeID" in guide.zalo_text
    page = client_for(officer_a).get(url("guide-detail", guide.pk))
    assert b'data-testid="needs-verification"' in page.content


def test_questions_are_logged_in_scope(officer_a: User, group_a, group_b) -> None:
    client = client_for(officer_a)
    data = {"procedure": "id_card", "group": group_a.pk, "date": timezone.localdate(), "count": 3}
    assert client.post(url("questions"), data).status_code == 302
    assert client.post(url("questions"), {**data, "group": group_b.pk}).status_code == 200
    question = ProcedureQuestion.objects.get()
    assert (question.count, question.recorded_by, question.group) == (3, officer_a, group_a)
    totals = client.get(url("questions")).context["totals"]
    assert totals[0][1] == 3  # the first procedure: the identity card


def test_the_first_page_counts_everything_with_its_rows(
    police: User, officer_a: User, hamlet_a
) -> None:
    """The totals of page 1 come with its rows: also for a filter, and when nothing is left."""
    _many(police, hamlet_a, officer_a, groups=5, bulletins=7)  # 35 postings, 7 due today
    client = client_for(officer_a)
    Posting.objects.filter(pk__in=Posting.objects.order_by("pk")[:3].values("pk")).update(
        due_at=timezone.now() - datetime.timedelta(hours=1)
    )
    first = client.get(url("checklist"), {"due": "overdue"})
    assert (first.context["total"], first.context["overdue"]) == (3, 3)
    assert len(first.context["pending"]) == 3
    Posting.objects.update(status=Posting.Status.SKIPPED, posted_at=timezone.now(), skip_reason="x")
    empty = client.get(url("checklist"))
    assert (empty.context["total"], empty.context["overdue"], empty.context["pending"]) == (
        0,
        0,
        [],
    )
    assert 'data-testid="nothing-to-do"' in empty.content.decode()


def test_the_checklist_forms_carry_a_token_the_csrf_check_accepts(
    police: User, officer_a: User, hamlet_a, group_a
) -> None:
    """The token the page's forms carry passes the check: a browser's post of a card works."""
    published(police, hamlet_a)
    posting = Posting.objects.get(group=group_a)
    client = Client(enforce_csrf_checks=True)
    client.force_login(officer_a)
    page = client.get(url("checklist")).content.decode()
    tokens = set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', page))
    assert tokens
    assert client.post(url("posting-posted", posting.pk)).status_code == 403
    for token in tokens:
        posted = client.post(url("posting-posted", posting.pk), {"csrfmiddlewaretoken": token})
        assert posted.status_code == 302
    posting.refresh_from_db()
    assert posting.status == Posting.Status.POSTED
