"""Illustrative demo bulletins: a year of them across every theme, posted to the demo commune's
groups, mostly on time, some late, a few still pending (so the checklist and the progress pages
have something to show). Deterministic (fixed random seed), fast (bulk inserts) and idempotent:
nothing is added when the commune already has bulletins."""

from __future__ import annotations

import datetime
import random

from django.contrib.auth.models import Permission
from django.utils import timezone

from accounts.models import User
from groups.models import Commune, ZaloGroup

from .guide_texts import GUIDES
from .models import (
    Bulletin,
    BulletinEvent,
    BulletinHamlet,
    BulletinSettings,
    Posting,
    Procedure,
    ProcedureQuestion,
    Status,
    TargetMode,
    Theme,
)
from .sanitize import clean_html, zalo_text_from_html

# One sample text per theme: short, in the tone of a commune police post (illustrative).
SAMPLES: dict[str, tuple[str, str]] = {
    Theme.SECURITY_SITUATION: (
        "Tình hình an ninh, trật tự trong tuần",
        "<p>📢 Trong tuần, Công an xã tiếp nhận và xử lý các tin báo của bà con. Đề nghị bà con "
        "khóa cửa, cất giữ xe cẩn thận, báo ngay cho Công an xã khi thấy người lạ khả nghi.</p>",
    ),
    Theme.REFUTING_WRONG_VIEWS: (
        "Không chia sẻ thông tin sai sự thật trên mạng",
        "<p>⚠️ Bà con chỉ tin thông tin từ cơ quan chức năng; không bình luận, chia sẻ các bài "
        "viết xuyên tạc, chưa được kiểm chứng.</p>",
    ),
    Theme.CRIME_TRICKS: (
        "Cảnh giác cuộc gọi mạo danh Công an",
        "<p>☎️ Công an <strong>không làm việc qua điện thoại</strong>, không yêu cầu chuyển tiền "
        "hay cài ứng dụng lạ.</p><ul><li>Không cung cấp mã OTP.</li><li>Không bấm đường link "
        "lạ.</li></ul><p>Nghi ngờ lừa đảo, gọi ngay Công an xã.</p>",
    ),
    Theme.FIRE_SAFETY: (
        "Phòng cháy mùa khô",
        "<p>🔥 Mùa khô, bà con không đốt rác, đốt cỏ gần nhà và rẫy; tắt bếp, rút điện khi ra "
        "khỏi nhà. Có cháy, gọi <strong>114</strong>.</p>",
    ),
    Theme.TRAFFIC_SAFETY: (
        "Đội mũ bảo hiểm cho trẻ em",
        "<p>🏍️ Đội mũ bảo hiểm đạt chuẩn cho cả người lớn và trẻ em; đã uống rượu bia thì không "
        "lái xe.</p>",
    ),
    Theme.GOOD_DEEDS: (
        "Gương người tốt, việc tốt",
        "<p>👏 Cảm ơn bà con đã nhặt được của rơi và giao nộp cho Công an xã để trả lại người "
        "mất.</p>",
    ),
    Theme.OTHER: (
        "Thông báo của Ủy ban nhân dân xã",
        "<p>📌 Thực hiện chỉ đạo của cấp trên, đề nghị bà con theo dõi và thực hiện thông báo "
        "đính kèm.</p>",
    ),
}


def seed_bulletins(commune: Commune, *, today: datetime.date | None = None) -> int:
    """About two bulletins a week over the last year; returns how many were added."""
    if Bulletin.objects.filter(commune=commune).exists():
        return 0
    # Area officers write for their hamlets; the commune police officer approves (never the
    # author), as the workflow requires.
    approver = User.objects.filter(username="congan").first()
    authors = list(
        User.objects.filter(commune=commune, username__startswith="cskv")
        .prefetch_related("hamlets")
        .order_by("username")
    )
    if approver is None or not authors:
        return 0
    rng = random.Random(629)  # noqa: S311 - demo data, not secrets
    BulletinSettings.objects.get_or_create(commune=commune)
    all_groups = list(ZaloGroup.objects.active().filter(hamlet__commune=commune))
    officers = {g.pk: g.admin_officer_id for g in all_groups}
    scopes = {a.pk: sorted(h.pk for h in a.hamlets.all()) for a in authors}
    themes = [*SAMPLES, Theme.PROCEDURES]
    now = timezone.now()
    today = today or timezone.localdate()
    bulletins, plans = [], []
    for week in range(52, -1, -1):
        for slot in range(2):
            day = today - datetime.timedelta(days=7 * week + (3 if slot else 0))
            published_at = timezone.make_aware(
                datetime.datetime.combine(day, datetime.time(8 + 6 * slot, 15))
            )
            if published_at > now:
                continue
            theme = themes[(week * 2 + slot) % len(themes)]
            author = authors[(week * 2 + slot) % len(authors)]
            if theme == Theme.PROCEDURES:
                guide = GUIDES[week % len(GUIDES)]
                title, body, procedure = guide["title"], guide["body"], guide["procedure"]
            else:
                (title, body), procedure = SAMPLES[theme], ""
            body = clean_html(body)
            bulletins.append(
                Bulletin(
                    commune=commune,
                    title=title,
                    theme=theme,
                    procedure=procedure,
                    body=body,
                    zalo_text=zalo_text_from_html(body),
                    author=author,
                    approved_by=approver,
                    status=Status.PUBLISHED,
                    security_checked=True,
                    target_mode=TargetMode.HAMLETS,
                    submitted_at=published_at - datetime.timedelta(hours=2),
                    approved_at=published_at - datetime.timedelta(hours=1),
                    published_at=published_at,
                    created_at=published_at - datetime.timedelta(hours=3),
                )
            )
            plans.append(published_at)
    Bulletin.objects.bulk_create(bulletins)
    reached, targets, postings, events = [], [], [], []
    through = Bulletin.target_hamlets.through
    for bulletin, published_at in zip(bulletins, plans, strict=True):
        hamlets = scopes[bulletin.author_id]
        reached += [BulletinHamlet(bulletin=bulletin, hamlet_id=pk) for pk in hamlets]
        targets += [through(bulletin_id=bulletin.pk, hamlet_id=pk) for pk in hamlets]
        groups = [g for g in all_groups if g.hamlet_id in hamlets]
        events.append(
            BulletinEvent(
                bulletin=bulletin,
                actor=approver,
                from_status=Status.APPROVED,
                to_status=Status.PUBLISHED,
                created_at=published_at,
            )
        )
        due = published_at + datetime.timedelta(hours=BulletinSettings.DEFAULT_POSTING_DUE_HOURS)
        recent = now - published_at < datetime.timedelta(days=3)
        for group in groups:
            posting = Posting(bulletin=bulletin, group=group, due_at=due, created_at=published_at)
            chance = rng.random()
            if (recent and chance < 0.5) or chance < 0.02:
                pass  # still pending: a few, mostly the latest
            elif chance < 0.05:
                posting.status = Posting.Status.SKIPPED
                posting.posted_at = published_at + datetime.timedelta(hours=2)
                posting.skip_reason = "Nhóm đang sáp nhập với nhóm khác"
            else:
                late = chance > 0.88
                delay = rng.uniform(26, 60) if late else rng.uniform(0.3, 20)
                posting.status = Posting.Status.POSTED
                posting.posted_at = min(published_at + datetime.timedelta(hours=delay), now)
                posting.posted_by_id = officers.get(group.pk) or bulletin.author_id
            postings.append(posting)
    BulletinHamlet.objects.bulk_create(reached, batch_size=2000)
    through.objects.bulk_create(targets, batch_size=2000)
    BulletinEvent.objects.bulk_create(events)
    Posting.objects.bulk_create(postings, batch_size=2000)
    _seed_questions(all_groups, officers, approver, rng, today)
    _grant_escalations(approver)
    return len(bulletins)


def _seed_questions(groups, officers, author, rng: random.Random, today) -> None:
    procedures = [p for p in Procedure.values if p != Procedure.OTHER]
    questions = [
        ProcedureQuestion(
            procedure=rng.choice(procedures),
            group=group,
            date=today - datetime.timedelta(days=rng.randrange(365)),
            count=rng.randint(1, 4),
            recorded_by_id=officers.get(group.pk) or author.pk,
        )
        for group in groups
        for _ in range(6)
    ]
    ProcedureQuestion.objects.bulk_create(questions)


def _grant_escalations(user: User) -> None:
    """The demo's commune police lead receives the escalation digests."""
    user.user_permissions.add(
        Permission.objects.get(content_type__app_label="bulletins", codename="receive_escalations")
    )
