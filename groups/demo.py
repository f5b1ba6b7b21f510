"""Builds the illustrative demo register from seeds/: hamlets, people's groups, Zalo groups and
about 5,000 synthetic members. Deterministic (fixed random seed) and idempotent."""

from __future__ import annotations

import csv
import datetime
import json
import random
from decimal import Decimal
from pathlib import Path

from django.conf import settings

from .models import Commune, Hamlet, Member, PeopleGroup, ZaloGroup

SEEDS: Path = settings.BASE_DIR / "seeds"
PHONE_BLOCK = 599_000_000  # synthetic numbers 0599 000 001…, see seeds/README.md
EXTRA_ROLES = [Member.Role.SECURITY_TEAM, Member.Role.CADRE, Member.Role.OTHER]


def read_csv(name: str) -> list[dict[str, str]]:
    with (SEEDS / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def seed_commune() -> Commune:
    data = json.loads((SEEDS / "commune.json").read_text(encoding="utf-8"))
    commune, _ = Commune.objects.update_or_create(
        code=data["code"],
        defaults={
            "name": data["name"],
            "province": data["province"],
            "coverage_target": data["coverage_target"],
        },
    )
    for index, row in enumerate(read_csv("hamlets.csv")):
        Hamlet.objects.update_or_create(
            code=row["code"],
            defaults={
                "commune": commune,
                "name": row["name"],
                "households": int(row["households"]),
                "population": int(row["population"]),
                "latitude": Decimal(row["latitude"]),
                "longitude": Decimal(row["longitude"]),
                "boundary": demo_outline(index),
            },
        )
    return commune


# The demo hamlets lie on a grid of 4 columns (seeds/hamlets.csv puts each centre near the
# middle of its cell): an illustrative outline, not the real hamlets' borders.
GRID_NORTH, GRID_WEST, GRID_CELL, GRID_COLUMNS = 11.532, 106.768, 0.016, 4


def demo_outline(index: int) -> dict:
    """The GeoJSON Polygon of the index-th demo hamlet's grid cell."""
    row, column = divmod(index, GRID_COLUMNS)
    north = round(GRID_NORTH - row * GRID_CELL, 6)
    south = round(north - GRID_CELL, 6)
    west = round(GRID_WEST + column * GRID_CELL, 6)
    east = round(west + GRID_CELL, 6)
    ring = [[west, north], [east, north], [east, south], [west, south], [west, north]]
    return {"type": "Polygon", "coordinates": [ring]}


def seed_groups() -> None:
    hamlets = {h.code: h for h in Hamlet.objects.all()}
    for row in read_csv("people_groups.csv"):
        PeopleGroup.objects.update_or_create(
            hamlet=hamlets[row["hamlet"]],
            name=row["name"],
            defaults={"households": int(row["households"])},
        )
    for row in read_csv("zalo_groups.csv"):
        hamlet = hamlets[row["hamlet"]]
        people_group = (
            PeopleGroup.objects.get(hamlet=hamlet, name=row["people_group"])
            if row["people_group"]
            else None
        )
        ZaloGroup.objects.update_or_create(
            code=row["code"],
            defaults={
                "name": row["name"],
                "hamlet": hamlet,
                "people_group": people_group,
                "invite_link": f"https://zalo.me/g/demo{row['code'].replace('-', '')}",
                "created_on": datetime.date(2025, 9, 1),
                "rules": DEMO_RULES,
                "rules_agreed_on": datetime.date(2025, 9, 5),
            },
        )


DEMO_RULES = (
    "1. Nhóm dùng để trao đổi thông tin về an ninh, trật tự, phòng cháy chữa cháy, an toàn giao "
    "thông và hướng dẫn thủ tục hành chính.\n"
    "2. Không đăng nội dung quảng cáo, chính trị sai trái, tin chưa kiểm chứng.\n"
    "3. Tin báo về tội phạm, tệ nạn xin nhắn riêng cho Cảnh sát khu vực; danh tính người cung "
    "cấp thông tin được giữ bí mật.\n"
    "4. Tôn trọng, lịch sự khi trao đổi."
)


class NameMaker:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.parts = json.loads((SEEDS / "names.json").read_text(encoding="utf-8"))

    def person(self) -> str:
        sex = self.rng.choice(["male", "female"])
        return " ".join(
            [
                self.rng.choice(self.parts["family"]),
                self.rng.choice(self.parts[f"middle_{sex}"]),
                self.rng.choice(self.parts[f"given_{sex}"]),
            ]
        )

    def address(self, number: int) -> str:
        return f"Số {number}, {self.rng.choice(self.parts['streets'])}"


def demo_members(rng: random.Random) -> list[Member]:
    """Household representatives for 60–100 % of each people's group's households, a few second
    members of a household, security team members and cadres, and some who left."""
    names = NameMaker(rng)
    groups_by_hamlet: dict[int, list[ZaloGroup]] = {}
    for group in ZaloGroup.objects.order_by("code"):
        groups_by_hamlet.setdefault(group.hamlet_id, []).append(group)
    members: list[Member] = []
    phone = PHONE_BLOCK
    for people_group in PeopleGroup.objects.select_related("hamlet").order_by(
        "hamlet__code", "name"
    ):
        groups = groups_by_hamlet[people_group.hamlet_id]
        reached = round(people_group.households * rng.uniform(0.6, 1.0))
        for house in range(1, reached + 1):
            household = f"{names.address(house)}, {people_group.name}"
            for _ in range(2 if rng.random() < 0.3 else 1):
                phone += 1
                joined = datetime.date(2025, 9, 1) + datetime.timedelta(days=rng.randint(0, 420))
                member = Member(
                    group=rng.choice(groups),
                    full_name=names.person(),
                    phone=f"+84{phone}",
                    role=Member.Role.HOUSEHOLD,
                    household=household,
                    people_group=people_group,
                    joined_on=joined,
                    consent_on=joined,
                )
                if rng.random() < 0.04:
                    member.left_on = joined + datetime.timedelta(days=rng.randint(10, 60))
                if rng.random() < 0.08:
                    member.role = rng.choice(EXTRA_ROLES)
                member.normalize()
                members.append(member)
    return members


def seed_members() -> int:
    """Adds the synthetic roster once: skipped when any member exists."""
    if Member.objects.exists():
        return 0
    members = demo_members(random.Random(25387))  # noqa: S311 (reproducible demo data)
    Member.objects.bulk_create(members, batch_size=1000)
    return len(members)
