"""About a year of illustrative incident reports for the demo commune: every category, channel,
status and hamlet, some urgent and overdue, some with a sealed synthetic informant.

Written in bulk (a few queries for hundreds of reports) but kept consistent the way the services
keep it: codes are gap-free per year and the commune's counters say so, due dates follow the
default deadlines, every status reached has its event in the timeline, closed reports have their
closing date, and identities are encrypted like report_create's. Deterministic and idempotent
(skipped when any report exists). Nobody here is a real person; phones are in the synthetic
0599 block (seeds/README.md).
"""

from __future__ import annotations

import datetime
import json
import random
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from accounts.models import User
from groups.demo import SEEDS
from groups.models import Commune, Hamlet, PeopleGroup, ZaloGroup

from . import crypto
from .models import (
    DEFAULT_DEADLINE_HOURS,
    Category,
    Channel,
    FeedbackAnswer,
    IncidentReport,
    Informant,
    ReportCounter,
    ReportEvent,
    Status,
    Urgency,
)
from .points import coarsen

REPORTS = 480
INFORMANT_PHONES = 599_900_000  # 0599 900 001…: synthetic, like the roster's block

# (title, description) per category: what hamlet heads and residents typically report.
TEXTS: dict[str, list[tuple[str, str]]] = {
    Category.NATIONAL_SECURITY: [
        ("Người lạ phát tờ rơi", "Có người lạ đi xe máy phát tờ rơi có nội dung xuyên tạc."),
        ("Tài khoản lạ đăng bài kích động", "Một tài khoản Zalo lạ vào nhóm đăng bài kích động."),
    ],
    Category.SOCIAL_ORDER: [
        ("Tụ tập gây ồn ào ban đêm", "Nhóm thanh niên tụ tập, nẹt pô xe máy sau 23 giờ."),
        ("Đua xe trái phép", "Khoảng 10 xe máy chạy tốc độ cao trên đường liên ấp."),
    ],
    Category.CRIME: [
        ("Mất trộm xe máy", "Xe máy dựng trước nhà bị lấy trộm trong đêm."),
        ("Trộm điều trong rẫy", "Rẫy điều bị hái trộm khoảng 200 kg hạt."),
        ("Lừa đảo qua điện thoại", "Người dân bị gọi điện giả danh công an yêu cầu chuyển tiền."),
    ],
    Category.SOCIAL_EVILS: [
        ("Nghi có đánh bạc", "Tụ tập đánh bài ăn tiền ở chòi cuối ấp."),
        ("Nghi sử dụng ma túy", "Nhóm người lạ tụ tập trong căn nhà bỏ hoang, có mùi lạ."),
    ],
    Category.LAW_VIOLATION: [
        ("Đổ rác thải ra đường", "Xe tải đổ trộm rác thải xây dựng bên lề đường."),
        ("Lấn chiếm hành lang đường", "Dựng lều bán hàng lấn ra mặt đường liên xã."),
    ],
    Category.ACCIDENT: [
        ("Va chạm giao thông", "Hai xe máy va chạm ở ngã ba, một người bị thương nhẹ."),
        ("Trẻ em đuối nước", "Trẻ em tắm ở hồ đào, được người dân cứu kịp thời."),
    ],
    Category.FIRE: [
        ("Cháy thực bì", "Cháy cỏ khô lan sang vườn cao su, người dân đã dập được."),
        ("Chập điện tại nhà dân", "Chập điện gây cháy mái hiên, không có thiệt hại về người."),
    ],
    Category.DISPUTE: [
        ("Tranh chấp ranh giới đất", "Hai hộ tranh chấp lối đi chung, có lời qua tiếng lại."),
        ("Mâu thuẫn gia đình", "Hàng xóm cãi nhau lớn tiếng, nhờ công an hòa giải."),
    ],
}
# Most reports are ordinary; national security is rare.
CATEGORY_WEIGHTS = {
    Category.NATIONAL_SECURITY: 1,
    Category.SOCIAL_ORDER: 5,
    Category.CRIME: 6,
    Category.SOCIAL_EVILS: 3,
    Category.LAW_VIOLATION: 3,
    Category.ACCIDENT: 3,
    Category.FIRE: 2,
    Category.DISPUTE: 4,
}
POLICE_CHANNELS = [Channel.ZALO_GROUP, Channel.ZALO_PRIVATE, Channel.IN_PERSON, Channel.PHONE]
# The paths a report takes to the end, and how often.
PATHS = [
    ([Status.VERIFYING, Status.HANDLING, Status.RESOLVED, Status.CLOSED], 6),
    ([Status.VERIFYING, Status.UNFOUNDED, Status.CLOSED], 2),
    ([Status.TRANSFERRED, Status.CLOSED], 1),
]
REPLIES = [
    "Công an xã đã nhận tin, cảm ơn trưởng ấp.",
    "CSKV đã xuống địa bàn xác minh.",
    "Đề nghị ấp tiếp tục theo dõi, báo ngay nếu tái diễn.",
]
NOTES = ["Đã liên hệ người báo tin.", "Phối hợp tổ an ninh tự quản.", "Chờ kết quả xác minh."]


@dataclass
class _Plan:
    report: IncidentReport
    events: list[ReportEvent] = field(default_factory=list)
    informant: dict[str, str] | None = None


def seed_reports(now: datetime.datetime | None = None) -> int:
    """Adds the demo reports once: skipped when any report exists. Returns how many."""
    if IncidentReport.objects.exists():
        return 0
    commune = Commune.objects.get(code="25387")
    rng = random.Random(629)  # noqa: S311 (reproducible demo data)
    now = now or timezone.now()
    plans = _plans(commune, rng, now)
    _save(commune, plans)
    seed_feedback(commune, rng, now)
    return len(plans) + seed_tips(commune)


# Anonymous tips as a resident would send them from the public page (synthetic).
TIPS = [
    (Category.SOCIAL_EVILS, "Tối nào cũng có nhóm thanh niên lạ tụ tập hút chích ở bãi đất trống."),
    (Category.CRIME, "Có người gọi điện giả danh công an yêu cầu chuyển tiền, nhiều nhà đã nhận."),
    (Category.DISPUTE, "Hai hộ cãi nhau về ranh giới đất, sợ xảy ra xô xát."),
    (Category.FIRE, "Kho phế liệu đốt rác gần đường dây điện, rất dễ cháy."),
]


def seed_tips(commune: Commune) -> int:
    """A few anonymous tips through the same service as the public page (tracking codes are
    random and not kept), the first one answered publicly by the police, the second resolved
    and confirmed by its tipster with the code (the tip page's door)."""
    from .services import report_transition
    from .tips.services import tip_feedback_give, tip_reply, tip_submit

    hamlets = list(Hamlet.objects.filter(commune=commune).order_by("code"))
    police = _people(commune)[2]
    for index, (category, text) in enumerate(TIPS):
        hamlet = hamlets[index % len(hamlets)]
        near = {}  # the first tips were sent with the phone's location (coarsened when stored)
        if index < 2 and hamlet.latitude is not None:
            near = {
                "latitude": hamlet.latitude + Decimal("0.0023"),
                "longitude": hamlet.longitude - Decimal("0.0017"),
            }
        filed = tip_submit(hamlet=hamlet, category=category, description=text, **near)
        if index == 0:
            tip_reply(
                actor=police,
                access=filed.report.tip_access,
                text="Công an xã đã tiếp nhận và đang xác minh. Cảm ơn bạn đã báo tin.",
            )
        if index == 1:
            for status in (Status.VERIFYING, Status.HANDLING, Status.RESOLVED):
                report_transition(actor=police, report=filed.report, to_status=status)
            tip_feedback_give(
                code=filed.code,
                resolved=FeedbackAnswer.YES,
                satisfaction=5,
                comment="Không còn cuộc gọi nào nữa, cảm ơn công an xã.",
            )
    return len(TIPS)


# The hamlet heads' word on the outcome of their resolved reports (synthetic): answer, the
# satisfaction it goes with, a comment.
FEEDBACK = [
    (FeedbackAnswer.YES, [4, 5, 5], ["Bà con rất an tâm.", "Xử lý nhanh, cảm ơn công an xã.", ""]),
    (FeedbackAnswer.PARTLY, [2, 3, 3, 4], ["Đã đỡ nhưng thỉnh thoảng vẫn còn.", ""]),
    (FeedbackAnswer.NO, [1, 2], ["Sự việc vẫn tái diễn mấy đêm nay."]),
]
FEEDBACK_WEIGHTS = [7, 2, 1]


def seed_feedback(commune: Commune, rng: random.Random, now: datetime.datetime) -> int:
    """Most hamlet heads answer on their resolved reports, a day or so after the resolution,
    through the services' shared steps (services.record_feedback): a "no" reopens the report.
    Only recent resolutions get a "no", so the demo has a few reopened reports, not a year of
    them. Returns how many answers."""
    from django.db import transaction

    from .services import record_feedback

    resolutions = dict(
        ReportEvent.objects.filter(
            report__commune=commune, report__channel=Channel.WEB_FORM, to_status=Status.RESOLVED
        ).values_list("report_id", "created_at")
    )
    reports = IncidentReport.objects.filter(
        pk__in=resolutions, status__in=[Status.RESOLVED, Status.CLOSED]
    ).select_related("filed_by")
    given = 0
    for report in reports.order_by("created_at", "pk"):
        if rng.random() > 0.75:
            continue
        at = min(resolutions[report.pk] + datetime.timedelta(hours=rng.randint(2, 72)), now)
        answer, satisfactions, comments = rng.choices(FEEDBACK, FEEDBACK_WEIGHTS)[0]
        if answer == FeedbackAnswer.NO and now - at > datetime.timedelta(days=30):
            answer, satisfactions, comments = FEEDBACK[1]
        with transaction.atomic():
            record_feedback(
                report=report,
                author=report.filed_by,
                resolved=answer,
                satisfaction=rng.choice(satisfactions),
                comment=rng.choice(comments),
                at=at,
            )
        given += 1
    return given


def _people(commune: Commune) -> tuple[dict[int, User], dict[int, User], User]:
    """Per hamlet: its head and its area officer; and the commune police officer."""
    heads, officers = {}, {}
    for user in User.objects.filter(commune=commune).prefetch_related("hamlets", "groups"):
        roles = {group.name for group in user.groups.all()}
        for hamlet in user.hamlets.all():
            if "hamlet_head" in roles:
                heads[hamlet.pk] = user
            if "area_officer" in roles:
                officers[hamlet.pk] = user
    police = User.objects.get(username="congan")
    return heads, officers, police


def _plans(commune: Commune, rng: random.Random, now: datetime.datetime) -> list[_Plan]:
    hamlets = list(Hamlet.objects.filter(commune=commune).order_by("code"))
    people_groups: dict[int, list[PeopleGroup]] = {}
    for group in PeopleGroup.objects.filter(hamlet__commune=commune):
        people_groups.setdefault(group.hamlet_id, []).append(group)
    zalo_groups: dict[int, list[ZaloGroup]] = {}
    for group in ZaloGroup.objects.filter(hamlet__commune=commune):
        zalo_groups.setdefault(group.hamlet_id, []).append(group)
    heads, officers, police = _people(commune)
    names = json.loads((SEEDS / "names.json").read_text(encoding="utf-8"))
    categories = list(CATEGORY_WEIGHTS)
    weights = list(CATEGORY_WEIGHTS.values())
    plans = []
    for index in range(REPORTS):
        hamlet = hamlets[index % len(hamlets)]  # every hamlet, evenly
        category = (
            categories[index] if index < len(categories) else rng.choices(categories, weights)[0]
        )
        age = datetime.timedelta(minutes=rng.randint(30, 365 * 24 * 60))
        created = now - age
        urgency = Urgency.URGENT if rng.random() < 0.15 else Urgency.NORMAL
        by_head = rng.random() < 0.45 and hamlet.pk in heads
        channel = Channel.WEB_FORM if by_head else rng.choice(POLICE_CHANNELS)
        officer = officers.get(hamlet.pk, police)
        title, description = rng.choice(TEXTS[category])
        report = IncidentReport(
            commune=commune,
            hamlet=hamlet,
            people_group=rng.choice(people_groups.get(hamlet.pk) or [None]),
            category=category,
            title=title,
            description=description,
            occurred_at=created - datetime.timedelta(hours=rng.randint(0, 48)),
            location=f"{hamlet.name}, gần {rng.choice(names['streets'])}",
            channel=channel,
            zalo_group=(
                rng.choice(zalo_groups.get(hamlet.pk) or [None])
                if channel == Channel.ZALO_GROUP
                else None
            ),
            urgency=urgency,
            filed_by=heads[hamlet.pk] if by_head else rng.choice([officer, police]),
            created_at=created,
            due_at=created + datetime.timedelta(hours=DEFAULT_DEADLINE_HOURS[urgency]),
        )
        if report.channel == Channel.ZALO_GROUP and report.zalo_group is None:
            report.channel = Channel.PHONE
        plan = _Plan(report)
        plan.events.append(_event(report, ReportEvent.Kind.CREATED, report.filed_by, created))
        plan.events[0].to_status, plan.events[0].shared = Status.RECEIVED, True
        _progress(plan, rng, now, officer, police)
        if not by_head and rng.random() < 0.2:
            plan.informant = _informant(rng, names, index)
        plans.append(plan)
    # One channel each at least: the anonymous web tip arrives through the tips page, but the
    # demo shows what one looks like in the queue.
    plans[-1].report.channel, plans[-1].report.filed_by = Channel.ANONYMOUS_TIP, None
    plans[-1].report.zalo_group = None
    _place(plans)
    return plans


def _place(plans: list[_Plan]) -> None:
    """Most reports get a point near their hamlet's centre (the others are drawn at the
    centre itself); an anonymous tip's is coarsened as services.file_report would. A random
    stream of its own, so that the rest of the demo stays as it was before the map."""
    rng = random.Random(1105)  # noqa: S311 (reproducible demo data)
    for plan in plans:
        report, hamlet = plan.report, plan.report.hamlet
        if hamlet.latitude is None or rng.random() < 0.25:
            continue
        report.latitude = round(hamlet.latitude + Decimal(rng.uniform(-0.005, 0.005)), 6)
        report.longitude = round(hamlet.longitude + Decimal(rng.uniform(-0.005, 0.005)), 6)
        if report.channel == Channel.ANONYMOUS_TIP:
            report.latitude, report.longitude = coarsen(report.latitude), coarsen(report.longitude)


def _event(
    report: IncidentReport, kind: str, actor: User | None, at: datetime.datetime, **fields: object
) -> ReportEvent:
    return ReportEvent(report=report, kind=kind, actor=actor, created_at=at, **fields)


def _progress(
    plan: _Plan, rng: random.Random, now: datetime.datetime, officer: User, police: User
) -> None:
    """Moves the report along one path, as far as its age allows: old reports are mostly
    closed, recent ones still open, and some open ones are past their deadline."""
    report = plan.report
    age_days = (now - report.created_at).days
    path = rng.choices([p for p, _w in PATHS], [w for _p, w in PATHS])[0]
    if age_days < 3:
        steps = rng.randint(0, 1)
    elif age_days < 30:
        steps = rng.randint(0, len(path) - 1)
    else:
        steps = len(path) if rng.random() < 0.9 else rng.randint(1, len(path) - 1)
    at = report.created_at
    if steps or rng.random() < 0.5:
        at += datetime.timedelta(hours=rng.randint(1, 12))
        report.assigned_to = officer
        plan.events.append(
            _event(report, ReportEvent.Kind.ASSIGNED, police, min(at, now), assignee=officer)
        )
    status = Status.RECEIVED
    for to_status in path[:steps]:
        at += datetime.timedelta(hours=rng.randint(2, 72))
        at = min(at, now)
        plan.events.append(
            _event(
                report,
                ReportEvent.Kind.STATUS_CHANGED,
                officer,
                at,
                from_status=status,
                to_status=to_status,
                text=rng.choice(NOTES) if rng.random() < 0.5 else "",
            )
        )
        status = to_status
        if to_status == Status.RESOLVED and rng.random() < 0.4:
            report.valuable_tip = True
            report.solved_by_tip = rng.random() < 0.5
            report.outcome = "Đã xác minh, xử lý theo quy định; tin báo giúp làm rõ vụ việc."
            plan.events.append(
                _event(report, ReportEvent.Kind.OUTCOME_RECORDED, officer, at, text=report.outcome)
            )
        if to_status == Status.CLOSED:
            report.closed_at = at
    report.status = status
    if report.filed_by_id and rng.random() < 0.5:
        reply_at = min(report.created_at + datetime.timedelta(hours=rng.randint(1, 24)), now)
        plan.events.append(
            _event(
                report,
                ReportEvent.Kind.COMMENT,
                officer,
                reply_at,
                text=rng.choice(REPLIES),
                shared=True,
            )
        )
    plan.events.sort(key=lambda event: event.created_at)


def _informant(rng: random.Random, names: dict, index: int) -> dict[str, str]:
    sex = rng.choice(["male", "female"])
    name = " ".join(
        [
            rng.choice(names["family"]),
            rng.choice(names[f"middle_{sex}"]),
            rng.choice(names[f"given_{sex}"]),
        ]
    )
    phone = f"0{INFORMANT_PHONES + index + 1}"
    return {
        "name": f"{name} (minh họa)",
        "phone": f"{phone[:4]} {phone[4:7]} {phone[7:]}",
        "address": f"Số {rng.randint(1, 300)}, {rng.choice(names['streets'])}",
        "relation_to_case": rng.choice(["Người chứng kiến", "Hàng xóm", "Người bị hại"]),
    }


def _save(commune: Commune, plans: list[_Plan]) -> None:
    """Codes in order of receipt, gap-free per year; then the rows, in bulk."""
    plans.sort(key=lambda plan: plan.report.created_at)
    last: dict[int, int] = {}
    for plan in plans:
        report = plan.report
        year = timezone.localtime(report.created_at).year
        last[year] = last.get(year, 0) + 1
        report.code = f"TB-{year}-{last[year]:05d}"
        report.search_text = report.searchable_text()  # bulk_create skips save()
    IncidentReport.objects.bulk_create([plan.report for plan in plans], batch_size=500)
    ReportCounter.objects.bulk_create(
        [ReportCounter(commune=commune, year=year, last=count) for year, count in last.items()]
    )
    events = []
    for plan in plans:
        for event in plan.events:
            event.report = plan.report  # now with its primary key
            events.append(event)
    ReportEvent.objects.bulk_create(events, batch_size=1000)
    Informant.objects.bulk_create(
        Informant(
            report=plan.report,
            **{
                column: crypto.encrypt(plan.informant[key])
                for key, column in Informant.FIELDS.items()
            },
        )
        for plan in plans
        if plan.informant
    )
