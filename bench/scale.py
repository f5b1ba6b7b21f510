"""A synthetic province, generated reproducibly at any size (`manage.py seed_scale`).

95 communes (Đồng Nai's count) × hamlets × Zalo groups, their members, three years of incident
reports, bulletins and their postings, and users for every role, written with PostgreSQL's COPY
(psycopg 3 `cursor.copy`) or, on SQLite, with large `bulk_create` batches. Every derived column
is filled as the services fill it (members' `name_key`/`household_key`, reports' `search_text`
and per-commune code counters, the `created` timeline event and the status changes, bulletins'
reached hamlets, the monthly member counts, hamlet heads), so the portal works normally on the
data; informants are sealed with reports.crypto, the code `report_create` seals them with.

The same seed and the same end date give the same rows (ids included, on an empty database).
Synthetic on purpose: names are composed from seeds/names.json, phones are in the 059 block
(0590 000 000 to 0598 999 999; the demo uses 0599), no row is meant to be a real person.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import itertools
import json
import random
import time
from base64 import b32decode
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.core.cache import caches
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.utils import timezone

from accounts import access
from accounts.models import User
from accounts.roles import Role
from bulletins.demo import SAMPLES
from bulletins.models import Bulletin, BulletinHamlet, Posting, TargetMode, Theme
from groups.models import Commune, Hamlet, Member, MemberCount, PeopleGroup, ZaloGroup
from groups.normalize import household_key, search_key
from reports import crypto
from reports.demo import TEXTS
from reports.models import (
    DEFAULT_DEADLINE_HOURS,
    Category,
    Channel,
    IncidentReport,
    Informant,
    ReportCounter,
    ReportEvent,
    Status,
    TipAccess,
    Urgency,
)
from reports.tips import codes as tip_codes

# Published on purpose, like the demo's: a bench database only. Police users hold a TOTP device
# with BENCH_TOTP_KEY (base 32), so benches and people can pass the second factor.
BENCH_PASSWORD = "binhyen-scale-2026"  # noqa: S105
BENCH_TOTP_KEY = "BINHYENSCALEBENCHKEYDONGNAI23456"
PHONE_BLOCK = 590_000_000  # 0590 000 000 …; 9,000,000 numbers
PHONE_SPAN = 9_000_000
NAMES = json.loads((Path(settings.BASE_DIR) / "seeds" / "names.json").read_text("utf-8"))
SYLLABLES = (  # noqa: SIM905 (one line of names reads better than a list of 30 strings)
    "Bình An Phú Tân Long Hòa Thạnh Phước Thuận Lợi Xuân Hưng Định Hiệp Vĩnh Đông Tây Trung "
    "Mỹ Lộc Thành Khánh Sơn Hải Quang Minh Đức Tiến Thịnh Nghĩa"
).split()
# Final status of an old report and the statuses it went through (the workflow's paths).
OLD_PATHS = [
    ([Status.VERIFYING, Status.HANDLING, Status.RESOLVED, Status.CLOSED], 60),
    ([Status.VERIFYING, Status.HANDLING, Status.RESOLVED], 12),
    ([Status.VERIFYING, Status.UNFOUNDED, Status.CLOSED], 10),
    ([Status.VERIFYING, Status.UNFOUNDED], 4),
    ([Status.TRANSFERRED, Status.CLOSED], 6),
    ([Status.TRANSFERRED], 2),
    ([Status.VERIFYING, Status.HANDLING], 3),
    ([Status.VERIFYING], 1),
    ([], 2),
]
NEW_PATHS = [([], 4), ([Status.VERIFYING], 3), ([Status.VERIFYING, Status.HANDLING], 3)]
ROLE_WEIGHTS = [
    (Member.Role.HOUSEHOLD, 86),
    (Member.Role.SECURITY_TEAM, 5),
    (Member.Role.CADRE, 4),
    (Member.Role.OTHER, 3),
    (Member.Role.HAMLET_HEAD, 1),
    (Member.Role.POLICE, 1),
]
SKIP_REASONS = ["Nhóm tạm khóa đăng bài.", "Đã đăng bản tin tương tự hôm trước."]


@dataclasses.dataclass(frozen=True)
class Plan:
    """What to generate. Counts are totals for the province unless named per-something."""

    communes: int = 95
    hamlets_per_commune: int = 11
    groups_per_hamlet: int = 10
    people_groups_per_hamlet: int = 5
    members: int = 1_200_000
    reports: int = 200_000
    bulletins: int = 10_000
    postings: int = 1_000_000
    years: int = 3
    seed: int = 1
    end: datetime.date = dataclasses.field(default_factory=timezone.localdate)
    sealed_share: float = 0.1  # reports with a sealed informant (not anonymous tips)
    count_months: int = 12  # months of member counts (growth history)

    @property
    def hamlets(self) -> int:
        return self.communes * self.hamlets_per_commune

    @property
    def groups(self) -> int:
        return self.hamlets * self.groups_per_hamlet


@dataclasses.dataclass
class Province:
    """What was generated, for the summary and for callers (benches, tests)."""

    counts: dict[str, int] = dataclasses.field(default_factory=dict)
    seconds: dict[str, float] = dataclasses.field(default_factory=dict)
    usernames: dict[str, str] = dataclasses.field(default_factory=dict)


# --- writing rows -------------------------------------------------------------------------


class Writer:
    """Rows as tuples of attribute values, ids given here: COPY on PostgreSQL, bulk_create on
    SQLite. Ids start after the table's largest, so that rows can refer to each other without
    reading anything back; the sequences are moved past them at the end."""

    def __init__(self) -> None:
        self.postgres = connection.vendor == "postgresql"
        self.written: list[type[models.Model]] = []

    def first_id(self, model: type[models.Model]) -> int:
        return (model.objects.aggregate(top=models.Max("pk"))["top"] or 0) + 1

    def write(
        self, model: Any, columns: tuple[str, ...], rows: Iterable[tuple], *, large: bool = False
    ) -> int:
        """`large`: a table of many rows, whose secondary indexes are dropped for the COPY and
        built again after it (far faster than updating them row by row; GIN ones above all)."""
        self.written.append(model)
        count = 0
        if self.postgres:
            indexes = self._drop_indexes(model._meta.db_table) if large else []
            # COPY sets no Django default: the columns left out get them here, as bulk_create does.
            extra = []
            for field in model._meta.concrete_fields:
                if field.attname in columns:
                    continue
                value = field.get_default()
                if value is None and not field.null:
                    value = timezone.now()  # auto_now / auto_now_add
                extra.append((field.column, value))
            columns = (*columns, *(column for column, _value in extra))
            tail = tuple(value for _column, value in extra)
            if tail:
                rows = (row + tail for row in rows)
            table = connection.ops.quote_name(model._meta.db_table)
            names = ", ".join(connection.ops.quote_name(c) for c in columns)
            with (
                connection.cursor() as cursor,
                cursor.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
                    count += 1
            with connection.cursor() as cursor:
                for definition in indexes:
                    cursor.execute(definition)
                if large:
                    cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            return count
        batch: list[models.Model] = []
        for row in rows:
            batch.append(model(**dict(zip(columns, row, strict=True))))
            if len(batch) >= 5000:
                model.objects.bulk_create(batch)
                count += len(batch)
                batch = []
        model.objects.bulk_create(batch)
        return count + len(batch)

    def _drop_indexes(self, table: str) -> list[str]:
        """Drop the indexes of `table` that back no constraint (nor the primary key) and return
        the statements that create them again."""
        with connection.cursor() as cursor:
            # Foreign keys checked as rows arrive, not at commit: an index cannot be built on a
            # table with such checks pending (the caller defers them again afterwards).
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            cursor.execute(
                "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
                "WHERE indrelid = %s::regclass AND NOT indisprimary AND indexrelid NOT IN "
                "(SELECT conindid FROM pg_constraint WHERE conrelid = %s::regclass)",
                [table, table],
            )
            found = cursor.fetchall()
            for name, _definition in found:
                cursor.execute(f"DROP INDEX {name}")
        return [definition for _name, definition in found]

    def finish(self) -> None:
        """Sequences past the ids written (PostgreSQL; SQLite follows by itself), statistics."""
        statements = connection.ops.sequence_reset_sql(
            no_style(), list(dict.fromkeys(self.written))
        )
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
            if self.postgres:
                cursor.execute("ANALYZE")


def _weighted(rng: random.Random, pairs: list[tuple[Any, int]]) -> Callable[[], Any]:
    values, weights = zip(*pairs, strict=True)
    cumulative = list(itertools.accumulate(weights))

    def pick() -> Any:
        return rng.choices(values, cum_weights=cumulative)[0]

    return pick


def _spread(total: int, parts: int, rng: random.Random) -> list[int]:
    """`total` split into `parts` uneven shares (±50 %) summing exactly to `total`."""
    if parts == 0:
        return []
    weights = [rng.uniform(0.5, 1.5) for _ in range(parts)]
    scale = total / sum(weights)
    shares = [int(w * scale) for w in weights]
    for i in range(total - sum(shares)):
        shares[i % parts] += 1
    return shares


@functools.lru_cache(maxsize=4096)
def _midnight(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(), tzinfo=timezone.get_current_timezone())


def _aware(day: datetime.date, seconds: float) -> datetime.datetime:
    return _midnight(day) + datetime.timedelta(seconds=seconds)


# --- the generator ------------------------------------------------------------------------


class Generator:
    def __init__(self, plan: Plan, log: Callable[[str], None] = lambda _: None) -> None:
        self.plan = plan
        self.log = log
        self.rng = random.Random(plan.seed)  # noqa: S311 (reproducible synthetic data)
        self.writer = Writer()
        self.province = Province()
        self.start = plan.end - datetime.timedelta(days=365 * plan.years)
        self.now = _aware(plan.end, 17 * 3600)  # the data's "now": 17:00 on the end date

    def step(self, name: str, function: Callable[[], int]) -> None:
        began = time.perf_counter()
        count = function()
        self.province.counts[name] = count
        self.province.seconds[name] = round(time.perf_counter() - began, 1)
        self.log(f"  {name:<16} {count:>10,}  {self.province.seconds[name]:>6.1f} s")

    def run(self) -> Province:
        with transaction.atomic():
            self.step("communes", self.communes)
            self.step("hamlets", self.hamlets)
            self.step("users", self.users)
            self.step("zalo groups", self.zalo_groups)
            self.step("members", self.members)
            self.step("reports", self.reports)
            self.step("report events", self.report_events)
            self.step("informants", self.informants)
            self.step("bulletins", self.bulletins)
            self.step("postings", self.postings)
            self.step("member counts", self.member_counts)
            self.writer.finish()
        return self.province

    # --- the register ---------------------------------------------------------------------

    def communes(self) -> int:
        plan, rng = self.plan, self.rng
        pairs = [(a, b) for a in SYLLABLES for b in SYLLABLES if a != b]
        names = rng.sample(pairs, min(plan.communes, len(pairs)))
        first = self.writer.first_id(Commune)
        self.commune_ids = list(range(first, first + plan.communes))
        rows = []
        for index, pk in enumerate(self.commune_ids):
            a, b = names[index % len(names)]
            kind = "Phường" if index % 4 == 3 else "Xã"
            suffix = f" {index // len(names) + 1}" if index >= len(names) else ""
            rows.append((pk, f"{kind} {a} {b}{suffix}", f"9{index + 1:04d}", "Đồng Nai", 100))
        self.commune_codes = {pk: row[2] for pk, row in zip(self.commune_ids, rows, strict=True)}
        return self.writer.write(
            Commune, ("id", "name", "code", "province", "coverage_target"), rows
        )

    def hamlets(self) -> int:
        plan, rng = self.plan, self.rng
        first = self.writer.first_id(Hamlet)
        first_pg = self.writer.first_id(PeopleGroup)
        self.hamlets_of: dict[int, list[int]] = {}
        self.hamlet_commune: dict[int, int] = {}
        self.hamlet_code: dict[int, str] = {}
        self.people_groups_of: dict[int, list[int]] = {}
        hamlets, people = [], []
        pk, pg = first, first_pg
        for commune in self.commune_ids:
            names = rng.sample(SYLLABLES, min(plan.hamlets_per_commune, len(SYLLABLES)))
            for h in range(plan.hamlets_per_commune):
                name = f"Ấp {names[h]}" if h < len(names) else f"Ấp {h + 1}"
                code = f"{self.commune_codes[commune]}-{h + 1:02d}"
                households = rng.randint(800, 1600)
                hamlets.append((pk, commune, name, code, households, households * 4, None))
                self.hamlets_of.setdefault(commune, []).append(pk)
                self.hamlet_commune[pk] = commune
                self.hamlet_code[pk] = code
                for p in range(plan.people_groups_per_hamlet):
                    share = households // plan.people_groups_per_hamlet
                    people.append((pg, pk, f"Tổ {p + 1}", share))
                    self.people_groups_of.setdefault(pk, []).append(pg)
                    pg += 1
                pk += 1
        self.hamlet_households = {row[0]: row[4] for row in hamlets}
        count = self.writer.write(
            Hamlet,
            ("id", "commune_id", "name", "code", "households", "population", "head_id"),
            hamlets,
        )
        self.writer.write(PeopleGroup, ("id", "hamlet_id", "name", "households"), people)
        return count

    def users(self) -> int:
        """Per commune: a police lead (2FA, receives escalations), an area officer for every
        three hamlets, the party office and the leader; a head for every hamlet; a superuser."""
        plan = self.plan
        password = make_password(BENCH_PASSWORD)
        first = self.writer.first_id(User)
        rows, roles, scopes = [], [], []
        self.lead_of, self.officers_of, self.head_of = {}, {}, {}
        self.officer_hamlets: dict[int, list[int]] = {}
        pk = first
        joined = self.now - datetime.timedelta(days=365 * plan.years)

        def user(username: str, full_name: str, commune: int | None, role: Role | None) -> int:
            nonlocal pk
            staff = role in (Role.COMMUNE_POLICE, Role.AREA_OFFICER) or role is None
            rows.append((
                pk, username, password, full_name, commune, staff, role is None, True, joined,
                f"{username}@scale.example", "", "", "",
            ))  # fmt: skip
            if role is not None:
                roles.append((role.value, pk))
            pk += 1
            return pk - 1

        self.superuser = user("scale-admin", "Quản trị tỉnh", None, None)
        per_commune_officers = max(1, round(plan.hamlets_per_commune / 3))
        for commune in self.commune_ids:
            code = self.commune_codes[commune]
            self.lead_of[commune] = user(
                f"congan-{code}", self._person(), commune, Role.COMMUNE_POLICE
            )
            officers = [
                user(f"cskv-{code}-{o + 1}", self._person(), commune, Role.AREA_OFFICER)
                for o in range(per_commune_officers)
            ]
            self.officers_of[commune] = officers
            for index, hamlet in enumerate(self.hamlets_of[commune]):
                officer = officers[index % len(officers)]
                self.officer_hamlets.setdefault(officer, []).append(hamlet)
                scopes.append((officer, hamlet))
                head = user(
                    f"truongap-{self.hamlet_code[hamlet]}", self._person(), commune,
                    Role.HAMLET_HEAD,
                )  # fmt: skip
                self.head_of[hamlet] = head
                scopes.append((head, hamlet))
            user(f"vanphong-{code}", self._person(), commune, Role.PARTY_OFFICE)
            user(f"lanhdao-{code}", self._person(), commune, Role.COMMUNE_LEADER)
        columns = (
            "id", "username", "password", "full_name", "commune_id", "is_staff", "is_superuser",
            "is_active", "date_joined", "email", "first_name", "last_name", "phone",
        )  # fmt: skip
        count = self.writer.write(User, columns, rows)
        group_ids = dict(Group.objects.values_list("name", "pk"))
        through = User.groups.through
        self.writer.write(
            through,
            ("id", "group_id", "user_id"),
            (
                (i, group_ids[name], user_id)
                for i, (name, user_id) in enumerate(roles, self.writer.first_id(through))
            ),
        )
        hamlets = User.hamlets.through
        self.writer.write(
            hamlets,
            ("id", "user_id", "hamlet_id"),
            ((i, u, h) for i, (u, h) in enumerate(scopes, self.writer.first_id(hamlets))),
        )
        for hamlet, head in self.head_of.items():  # few rows; the ORM is fine
            Hamlet.objects.filter(pk=hamlet).update(head_id=head)
        escalations = Permission.objects.get(codename="receive_escalations")
        User.user_permissions.through.objects.bulk_create(
            User.user_permissions.through(user_id=lead, permission_id=escalations.pk)
            for lead in self.lead_of.values()
        )
        self._second_factor([*self.lead_of.values(), self.superuser])  # both need one
        # Written around the ORM, so no signal moved the users' access versions
        # (accounts/access.py), and a reset brings back the same ids: forget what this process
        # cached of the users it replaced.
        caches[access.CACHE].clear()
        self.province.usernames = {
            "commune police (2FA)": f"congan-{self.commune_codes[self.commune_ids[0]]}",
            "area officer": f"cskv-{self.commune_codes[self.commune_ids[0]]}-1",
            "hamlet head": f"truongap-{self.hamlet_code[self.hamlets_of[self.commune_ids[0]][0]]}",
            "party office": f"vanphong-{self.commune_codes[self.commune_ids[0]]}",
            "commune leader": f"lanhdao-{self.commune_codes[self.commune_ids[0]]}",
            "superuser": "scale-admin",
        }
        return count

    def _second_factor(self, users: list[int]) -> None:
        from django_otp.plugins.otp_totp.models import TOTPDevice

        key = b32decode(BENCH_TOTP_KEY).hex()
        TOTPDevice.objects.bulk_create(
            TOTPDevice(user_id=pk, name="bench", key=key, confirmed=True) for pk in users
        )

    def _person(self, sex: str | None = None) -> str:
        rng = self.rng
        sex = sex or rng.choice(("male", "female"))
        return " ".join((
            rng.choice(NAMES["family"]), rng.choice(NAMES[f"middle_{sex}"]),
            rng.choice(NAMES[f"given_{sex}"]),
        ))  # fmt: skip

    def zalo_groups(self) -> int:
        plan, rng = self.plan, self.rng
        first = self.writer.first_id(ZaloGroup)
        self.group_ids: list[int] = []
        self.groups_of: dict[int, list[int]] = {}
        self.group_hamlet: dict[int, int] = {}
        self.group_officer: dict[int, int] = {}
        self.group_created: dict[int, datetime.date] = {}
        self.group_people: dict[int, int] = {}
        rows, co_admins = [], []
        alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
        pk = first
        officer_of_hamlet = {
            h: officer for officer, hamlets in self.officer_hamlets.items() for h in hamlets
        }
        for hamlet in self.hamlet_code:
            officers = self.officers_of[self.hamlet_commune[hamlet]]
            officer = officer_of_hamlet[hamlet]
            people = self.people_groups_of.get(hamlet, [None])
            for g in range(plan.groups_per_hamlet):
                created = self.start + datetime.timedelta(days=rng.randint(0, 200))
                link = "https://zalo.me/g/" + "".join(rng.choices(alphabet, k=10))
                status = ZaloGroup.Status.ARCHIVED if rng.random() < 0.01 else "active"
                pg = people[g % len(people)]
                code = f"{self.hamlet_code[hamlet]}-g{g + 1:02d}"
                name = f"Zalo {code} tổ {g % len(people) + 1}"
                rows.append((
                    pk, code, name, hamlet, pg, link, officer, created, status,
                    "Nhóm chỉ đăng tin về an ninh trật tự; không quảng cáo.", created, "",
                ))  # fmt: skip
                if len(officers) > 1:
                    co_admins.append((pk, officers[(officers.index(officer) + 1) % len(officers)]))
                self.group_ids.append(pk)
                self.groups_of.setdefault(hamlet, []).append(pk)
                self.group_hamlet[pk] = hamlet
                self.group_officer[pk] = officer
                self.group_created[pk] = created
                self.group_people[pk] = pg
                pk += 1
        columns = (
            "id", "code", "name", "hamlet_id", "people_group_id", "invite_link", "admin_officer_id",
            "created_on", "status", "rules", "rules_agreed_on", "notes",
        )  # fmt: skip
        count = self.writer.write(ZaloGroup, columns, rows)
        through = ZaloGroup.co_admins.through
        self.writer.write(
            through,
            ("id", "zalogroup_id", "user_id"),
            ((i, g, u) for i, (g, u) in enumerate(co_admins, self.writer.first_id(through))),
        )
        return count

    def members(self) -> int:
        plan, rng = self.plan, self.rng
        first = self.writer.first_id(Member)
        sizes = _spread(plan.members, len(self.group_ids), rng)
        pick_role = _weighted(rng, ROLE_WEIGHTS)
        keys: dict[str, str] = {}
        households_seen: dict[str, str] = {}
        multiplier = 7_368_787  # coprime with PHONE_SPAN: i → distinct numbers
        offset = rng.randrange(PHONE_SPAN)
        streets = NAMES["streets"]
        end = plan.end

        def rows() -> Iterator[tuple]:
            index = 0
            pk = first
            for group, size in zip(self.group_ids, sizes, strict=True):
                hamlet = self.group_hamlet[group]
                created = self.group_created[group]
                span = max((end - created).days, 1)
                households = max(self.hamlet_households[hamlet] // plan.groups_per_hamlet, 1)
                for _ in range(size):
                    name = self._person()
                    key = keys.get(name)
                    if key is None:
                        key = keys[name] = search_key(name)
                    national = PHONE_BLOCK + (index * multiplier + offset) % PHONE_SPAN
                    phone = f"+84{national}"
                    # Most joined in the group's first months, the rest since.
                    early = rng.random() < 0.6
                    joined = created + datetime.timedelta(
                        days=rng.randint(0, min(span, 60)) if early else rng.randint(0, span)
                    )
                    left = None
                    if rng.random() < 0.07 and (end - joined).days > 1:
                        left = joined + datetime.timedelta(days=rng.randint(1, (end - joined).days))
                    number = rng.randint(1, households)
                    household = f"Số {number}, {streets[number % len(streets)]}"
                    hkey = households_seen.get(household)
                    if hkey is None:
                        hkey = households_seen[household] = household_key(household)
                    zalo = name if rng.random() < 0.5 else ""
                    stamp = _aware(joined, 9 * 3600)
                    yield (
                        pk, group, name, key, phone, zalo, pick_role(), household,
                        hkey, self.group_people[group], joined, left,
                        joined if rng.random() < 0.9 else None, "", stamp, stamp,
                    )  # fmt: skip
                    index += 1
                    pk += 1

        columns = (
            "id", "group_id", "full_name", "name_key", "phone", "zalo_name", "role", "household",
            "household_key", "people_group_id", "joined_on", "left_on", "consent_on", "notes",
            "created_at", "updated_at",
        )  # fmt: skip
        return self.writer.write(Member, columns, rows(), large=True)

    # --- reports --------------------------------------------------------------------------

    def reports(self) -> int:
        plan, rng = self.plan, self.rng
        first = self.writer.first_id(IncidentReport)
        span = (self.now - _aware(self.start, 0)).total_seconds()
        begin = _aware(self.start, 0)
        moments = sorted(rng.random() * span for _ in range(plan.reports))
        categories = list(Category.values)
        channels = list(Channel.values)
        hamlets = list(self.hamlet_code)
        old_path = _weighted(rng, OLD_PATHS)
        new_path = _weighted(rng, NEW_PATHS)
        counters: dict[tuple[int, int], int] = {}
        self.report_plans: list[tuple] = []  # (pk, created, path, actor, closed, channel)
        rows = []
        pk = first
        for i, offset in enumerate(moments):
            created = begin + datetime.timedelta(seconds=offset)
            hamlet = rng.choice(hamlets)
            commune = self.hamlet_commune[hamlet]
            year = created.year  # local time: _aware's zone
            counters[(commune, year)] = counters.get((commune, year), 0) + 1
            code = f"TB-{year}-{counters[(commune, year)]:05d}"
            category = categories[i % len(categories)]
            title, description = rng.choice(TEXTS[category])
            title = f"{title} ({i + 1})"
            channel = channels[(i // len(categories)) % len(channels)]
            zalo_group = (
                rng.choice(self.groups_of[hamlet]) if channel == Channel.ZALO_GROUP else None
            )
            officers = self.officers_of[commune]
            officer = next(
                (o for o in officers if hamlet in self.officer_hamlets.get(o, [])), officers[0]
            )
            filed_by = {
                Channel.WEB_FORM: self.head_of[hamlet],
                Channel.ANONYMOUS_TIP: None,
            }.get(channel, officer)
            urgent = rng.random() < 0.15
            urgency = Urgency.URGENT if urgent else Urgency.NORMAL
            due = created + datetime.timedelta(hours=DEFAULT_DEADLINE_HOURS[Urgency(urgency)])
            age_days = (self.now - created).days
            if age_days <= 30:
                path = new_path()
            else:  # the oldest reports take every path once: each status occurs at any size
                path = OLD_PATHS[i][0] if i < len(OLD_PATHS) else old_path()
            status = path[-1] if path else Status.RECEIVED
            assigned = officer if path else (officer if rng.random() < 0.5 else None)
            closed = None
            if status == Status.CLOSED:
                closed = min(created + datetime.timedelta(hours=rng.randint(12, 600)), self.now)
            done = status in (Status.RESOLVED, Status.CLOSED)
            valuable = done and rng.random() < 0.25
            solved = valuable and rng.random() < 0.4
            outcome = "Đã xác minh, xử lý theo quy định." if done else ""
            text = search_key(f"{code} {title} {description}")
            rows.append((
                pk, commune, code, hamlet, category, title, description, created, "", channel,
                zalo_group, urgency, filed_by, status, assigned, due, valuable, solved, outcome,
                closed, created, closed or created, created + datetime.timedelta(seconds=30),
                text,
            ))  # fmt: skip
            self.report_plans.append((pk, created, path, filed_by, officer, closed, channel))
            pk += 1
        columns = (
            "id", "commune_id", "code", "hamlet_id", "category", "title", "description",
            "occurred_at", "location", "channel", "zalo_group_id", "urgency", "filed_by_id",
            "status", "assigned_to_id", "due_at", "valuable_tip", "solved_by_tip", "outcome",
            "closed_at", "created_at", "updated_at", "notified_at", "search_text",
        )  # fmt: skip
        count = self.writer.write(IncidentReport, columns, rows, large=True)
        del rows
        self.writer.write(
            ReportCounter,
            ("id", "commune_id", "year", "last"),
            (
                (i, commune, year, last)
                for i, ((commune, year), last) in enumerate(
                    sorted(counters.items()), self.writer.first_id(ReportCounter)
                )
            ),
        )
        return count

    def report_events(self) -> int:
        """The 'created' event (shared, as filing writes it), the assignment and each status
        change, spaced between receipt and closing."""
        rng = self.rng
        first = self.writer.first_id(ReportEvent)

        def rows() -> Iterator[tuple]:
            pk = first
            for report, created, path, filed_by, officer, closed, _channel in self.report_plans:
                yield (
                    pk,
                    report,
                    "created",
                    filed_by,
                    created,
                    "",
                    Status.RECEIVED,
                    None,
                    "",
                    True,
                )
                pk += 1
                if not path:
                    continue
                at = created + datetime.timedelta(minutes=rng.randint(5, 240))
                yield (pk, report, "assigned", officer, at, "", "", officer, "", False)
                pk += 1
                end = closed or min(created + datetime.timedelta(days=20), self.now)
                step = max((end - at).total_seconds() / (len(path) + 1), 60)
                previous = Status.RECEIVED
                for n, status in enumerate(path, 1):
                    moment = at + datetime.timedelta(seconds=step * n)
                    yield (
                        pk, report, "status_changed", officer, moment, previous, status, None,
                        "", status in (Status.RESOLVED, Status.CLOSED),
                    )  # fmt: skip
                    previous = status
                    pk += 1

        columns = (
            "id", "report_id", "kind", "actor_id", "created_at", "from_status", "to_status",
            "assignee_id", "text", "shared",
        )  # fmt: skip
        return self.writer.write(ReportEvent, columns, rows(), large=True)

    def informants(self) -> int:
        """A sealed identity for `sealed_share` of the reports filed by someone (encrypted with
        reports.crypto, as report_create seals), a tracking-code hash for every anonymous tip."""
        plan, rng = self.plan, self.rng
        first, first_tip = self.writer.first_id(Informant), self.writer.first_id(TipAccess)
        sealed, tips = [], []
        for report, created, _path, _filed, _officer, _closed, channel in self.report_plans:
            if channel == Channel.ANONYMOUS_TIP:
                symbols = "".join(rng.choices(tip_codes.ALPHABET, k=tip_codes.LENGTH))
                tips.append((first_tip + len(tips), report, tip_codes.code_hash(symbols), created))
            elif rng.random() < plan.sealed_share:
                phone = f"0{PHONE_BLOCK + rng.randrange(PHONE_SPAN)}"
                values = (
                    f"{self._person()} (tổng hợp)", f"{phone[:4]} {phone[4:7]} {phone[7:]}",
                    f"Số {rng.randint(1, 300)}, {rng.choice(NAMES['streets'])}",
                    rng.choice(["Người chứng kiến", "Hàng xóm", "Người bị hại"]),
                )  # fmt: skip
                sealed.append((
                    first + len(sealed), report, *(crypto.encrypt(v) for v in values), created,
                    None, "",
                ))  # fmt: skip
        columns = (
            "id", "report_id", "name_encrypted", "phone_encrypted", "address_encrypted",
            "relation_encrypted", "created_at", "erased_at", "erasure_note",
        )  # fmt: skip
        count = self.writer.write(Informant, columns, sealed)
        self.writer.write(
            TipAccess,
            ("id", "report_id", "code_hash", "public_reply", "created_at"),
            ((pk, report, digest, "", at) for pk, report, digest, at in tips),
        )
        del self.report_plans
        return count

    # --- bulletins ------------------------------------------------------------------------

    def bulletins(self) -> int:
        """Bulletins spread over the communes and the years, the latest few of each commune
        still in the workflow; each published one reaches whole hamlets, as many as it takes for
        the postings to add up to the plan's total."""
        plan, rng = self.plan, self.rng
        first = self.writer.first_id(Bulletin)
        per_commune = _spread(plan.bulletins, plan.communes, rng) if plan.communes else []
        themes = [t for t in Theme.values if t != Theme.PROCEDURES]
        begin = _aware(self.start, 0)
        span = (self.now - begin).total_seconds()
        rows, reached = [], []
        self.published: list[tuple[int, int, datetime.datetime, list[int]]] = []
        pk = first
        for commune, count in zip(self.commune_ids, per_commune, strict=True):
            moments = sorted(rng.random() * span for _ in range(count))
            lead = self.lead_of[commune]
            author = self.officers_of[commune][0]
            for b, offset in enumerate(moments):
                created = begin + datetime.timedelta(seconds=offset)
                remaining = count - b
                status = {1: "draft", 2: "submitted", 3: "approved"}.get(remaining, "published")
                if status == "published" and (self.now - created).days > 365 and b % 5 == 0:
                    status = "archived"
                theme = themes[(b + commune) % len(themes)]
                title, body = SAMPLES[theme]
                released = status in ("published", "archived")
                approved = status in ("approved", "published", "archived")
                rows.append((
                    pk, commune, f"{title} ({b + 1})", theme, "", body,
                    _zalo_text(body), "", author, status, TargetMode.HAMLETS,
                    None, created if released else None,
                    created - datetime.timedelta(hours=4) if status != "draft" else None,
                    created - datetime.timedelta(hours=1) if approved else None,
                    lead if approved else None, approved, "",
                    created + datetime.timedelta(days=400) if status == "archived" else None,
                    created - datetime.timedelta(hours=6), created,
                ))  # fmt: skip
                if released:
                    self.published.append((pk, commune, created, []))
                pk += 1
        # Postings per released bulletin adding up to the plan's total: whole hamlets (target
        # mode "hamlets"), or chosen groups when the share ends inside a hamlet.
        shares = _spread_even(plan.postings, len(self.published))
        modes = {}
        for (bulletin, commune, _at, chosen), share in zip(self.published, shares, strict=True):
            hamlets = self.hamlets_of[commune]
            start = rng.randrange(len(hamlets))
            ordered = [
                g
                for k in range(len(hamlets))
                for g in self.groups_of[hamlets[(start + k) % len(hamlets)]]
            ]
            chosen.extend(ordered[: max(1, share)])
            # A prefix of whole hamlets' groups: whole hamlets when it ends on a boundary.
            whole = len(chosen) % plan.groups_per_hamlet == 0
            modes[bulletin] = TargetMode.HAMLETS if whole else TargetMode.GROUPS
        rows = [(*row[:10], modes.get(row[0], TargetMode.HAMLETS), *row[11:]) for row in rows]
        columns = (
            "id", "commune_id", "title", "theme", "procedure", "body", "zalo_text", "directive",
            "author_id", "status", "target_mode", "guide_id", "published_at", "submitted_at",
            "approved_at", "approved_by_id", "security_checked", "rejection_comment",
            "archived_at", "created_at", "updated_at",
        )  # fmt: skip
        count = self.writer.write(Bulletin, columns, rows)
        reached = sorted(
            {(b, self.group_hamlet[g]) for b, _c, _at, groups in self.published for g in groups}
        )
        chosen_groups = [
            (b, g)
            for b, _c, _at, groups in self.published
            if modes[b] == TargetMode.GROUPS
            for g in groups
        ]
        target_hamlets = [pair for pair in reached if modes[pair[0]] == TargetMode.HAMLETS]
        for through, column, pairs in (
            (Bulletin.target_hamlets.through, "hamlet_id", target_hamlets),
            (Bulletin.target_groups.through, "zalogroup_id", chosen_groups),
            (BulletinHamlet, "hamlet_id", reached),
        ):
            self.writer.write(
                through,
                ("id", "bulletin_id", column),
                ((i, b, x) for i, (b, x) in enumerate(pairs, self.writer.first_id(through))),
            )
        return count

    def postings(self) -> int:
        """A posting per group the bulletin reaches: mostly posted by the group's officer (a
        tenth late), a few skipped; recent ones half pending, 1 % of older ones still pending."""
        rng = self.rng
        first = self.writer.first_id(Posting)
        due_hours = 24

        def rows() -> Iterator[tuple]:
            pk = first
            for bulletin, _commune, published, groups in self.published:
                due = published + datetime.timedelta(hours=due_hours)
                recent = (self.now - published).days < 3
                for group in groups:
                    if True:
                        roll = rng.random()
                        if (recent and roll < 0.5) or roll < 0.01:
                            yield (pk, bulletin, group, due, "pending", None, None, "", published)
                        else:
                            hours = rng.uniform(26, 60) if roll > 0.9 else rng.uniform(1, 22)
                            posted = min(published + datetime.timedelta(hours=hours), self.now)
                            if roll > 0.98:
                                reason = rng.choice(SKIP_REASONS)
                                yield (
                                    pk, bulletin, group, due, "skipped", posted,
                                    self.group_officer[group], reason, published,
                                )  # fmt: skip
                            else:
                                yield (
                                    pk, bulletin, group, due, "posted", posted,
                                    self.group_officer[group], "", published,
                                )  # fmt: skip
                        pk += 1

        columns = (
            "id", "bulletin_id", "group_id", "due_at", "status", "posted_at", "posted_by_id",
            "skip_reason", "created_at",
        )  # fmt: skip
        return self.writer.write(Posting, columns, rows(), large=True)

    def member_counts(self) -> int:
        """The growth history: the nightly task's count (member_counts_record) at the end of
        each of the last `count_months` months, the current month on the end date."""
        from groups.services import member_counts_record

        day = self.plan.end
        for _ in range(self.plan.count_months):
            member_counts_record(on=day)
            day = day.replace(day=1) - datetime.timedelta(days=1)
        return MemberCount.objects.filter(group_id__in=self.group_ids).count()


def _spread_even(total: int, parts: int) -> list[int]:
    if parts == 0:
        return []
    share, extra = divmod(total, parts)
    return [share + (1 if i < extra else 0) for i in range(parts)]


_ZALO_TEXTS: dict[str, str] = {}


def _zalo_text(body: str) -> str:
    from bulletins.sanitize import zalo_text_from_html

    text = _ZALO_TEXTS.get(body)
    if text is None:
        text = _ZALO_TEXTS[body] = zalo_text_from_html(body)
    return text


# --- entry points -------------------------------------------------------------------------

# Tables that a province replaces: TRUNCATE … CASCADE of these empties every row that refers to
# them (reports, postings, reviews, notifications…); roles, guides and settings stay.
RESET_TABLES = ("groups_commune", "accounts_user")


def _forget_cached_users() -> None:
    """The bulk writes here send no signals, and TRUNCATE … RESTART IDENTITY gives the new
    users the old ones' keys: the caches of who is who must not outlive them."""
    from reports.officers import forget_queue_choices

    forget_queue_choices()


def is_empty() -> bool:
    return not Commune.objects.exists()


def reset() -> None:
    _forget_cached_users()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # none pending, or TRUNCATE refuses
            cursor.execute(f"TRUNCATE {', '.join(RESET_TABLES)} RESTART IDENTITY CASCADE")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        return
    # SQLite (tests): delete in dependency order.
    from django.apps import apps

    with transaction.atomic():
        for through in (
            Bulletin.target_groups.through, Bulletin.target_hamlets.through,
            ZaloGroup.co_admins.through,
        ):  # fmt: skip
            through.objects.all()._raw_delete(through.objects.db)
        for label in (
            "reviews.ReviewBuild", "reviews.Commendation", "reviews.SafetyAssessment",
            "reviews.AnnualReview", "accounts.Notification", "bulletins.ReminderDigest",
            "bulletins.Posting", "bulletins.BulletinEvent", "bulletins.BulletinImage",
            "bulletins.BulletinHamlet", "bulletins.Bulletin", "reports.TipAccess",
            "reports.InformantReveal", "reports.Informant", "reports.Attachment",
            "reports.ReportEvent", "reports.IncidentReport", "reports.ReportCounter",
            "groups.MemberCount", "groups.Member", "groups.ZaloGroup", "groups.PeopleGroup",
        ):  # fmt: skip
            try:
                model = apps.get_model(label)
            except LookupError:
                continue
            model._base_manager.all()._raw_delete(model._base_manager.db)
        Hamlet.objects.update(head=None)
        User.objects.all().delete()
        Hamlet.objects.all().delete()
        Commune.objects.all().delete()


def generate(plan: Plan, log: Callable[[str], None] = lambda _: None) -> Province:
    """Generate the province into the current database (which should hold no commune)."""
    began = time.perf_counter()
    province = Generator(plan, log).run()
    _forget_cached_users()
    province.seconds["total"] = round(time.perf_counter() - began, 1)
    return province
