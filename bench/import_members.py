"""Member import of a 10,000-row XLSX: reading, preview and commit, then the same file again.

Usage (from the project folder):

    .venv/bin/python bench/import_members.py [--rows 10000]

Uses DATABASE_URL when set, else a throw-away SQLite file under var/bench/ (migrated on first
use). It creates its own commune (4 hamlets, one Zalo group per 250 rows) and a commune police
user, writes an XLSX of synthetic members (Vietnamese names with diacritics, phones 0915 55x xxx)
and times, in process, what the admin does: read + preview (which keeps the checked rows next to
the upload), then the confirmation (which saves them, the register being unchanged), then the
same for a re-import of the same file (all rows unchanged). The throw-away
commune, its members and their audit entries are removed afterwards. Prints a table of seconds;
results go to bench/results/.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import secrets
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
if "DATABASE_URL" not in os.environ:
    (ROOT / "var" / "bench").mkdir(parents=True, exist_ok=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{ROOT / 'var' / 'bench' / 'import_members.sqlite3'}"
os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(50))
os.environ["DEBUG"] = "0"
os.environ.setdefault("ENV_FILE", "")
os.environ.setdefault("DATA_DIR", "var/bench")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "binhyen.settings")
os.environ["LOG_LEVEL"] = "ERROR"

COMMUNE_CODE = "BENCH-IMPORT"
HAMLETS = 4
ROWS_PER_GROUP = 250
FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi"]
MIDDLE = ["Văn", "Thị", "Hữu", "Đức", "Ngọc", "Minh", "Thanh", "Quốc", "Thuỳ", "Xuân"]
GIVEN = ["An", "Bình", "Châu", "Dũng", "Đạt", "Hoà", "Hương", "Khánh", "Lộc", "Mỹ", "Nhung",
         "Phúc", "Quyên", "Sơn", "Tâm", "Thảo", "Trí", "Uyên", "Việt", "Yến"]  # fmt: skip


def setup_register(rows: int):
    from django.contrib.auth.models import Group
    from django.core.management import call_command

    from accounts.models import User
    from groups.models import Commune, Hamlet, PeopleGroup, ZaloGroup

    call_command("migrate", verbosity=0)
    cleanup()
    commune = Commune.objects.create(code=COMMUNE_CODE, name="Xã Thử Nhập")
    hamlets = [
        Hamlet.objects.create(commune=commune, code=f"BENCH-IMP-{h}", name=f"Ấp Thử {h}")
        for h in range(HAMLETS)
    ]
    for hamlet in hamlets:
        PeopleGroup.objects.create(hamlet=hamlet, name="Tổ 1")
    groups = [
        ZaloGroup.objects.create(
            code=f"bench-imp-{g}", name=f"Nhóm thử {g}", hamlet=hamlets[g % HAMLETS]
        )
        for g in range(-(-rows // ROWS_PER_GROUP))
    ]
    actor = User.objects.create_user(username="bench-import", commune=commune, is_staff=True)
    actor.groups.add(Group.objects.get(name="commune_police"))
    return User.objects.get(pk=actor.pk), groups


def cleanup() -> None:
    from auditlog.models import LogEntry

    from accounts.models import User
    from groups.models import Commune, Hamlet, Member, PeopleGroup, ZaloGroup

    members = Member.objects.filter(group__hamlet__commune__code=COMMUNE_CODE)
    LogEntry.objects.get_for_model(Member).filter(object_id__in=members.values("pk")).delete()
    members.delete()
    ZaloGroup.objects.filter(hamlet__commune__code=COMMUNE_CODE).delete()
    PeopleGroup.objects.filter(hamlet__commune__code=COMMUNE_CODE).delete()
    User.objects.filter(username="bench-import").delete()
    Hamlet.objects.filter(commune__code=COMMUNE_CODE).delete()
    Commune.objects.filter(code=COMMUNE_CODE).delete()


def workbook(rows: int, groups: list) -> bytes:
    import datetime

    import openpyxl

    from groups.importing import COLUMNS, ROLE_LABELS

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("Thành viên")
    sheet.append(list(COLUMNS.values()))
    role = ROLE_LABELS["household"]
    for n in range(rows):
        name = f"{FAMILY[n % 11]} {MIDDLE[n // 11 % 10]} {GIVEN[n // 110 % 20]}"
        joined = datetime.date(2025, 9, 1) + datetime.timedelta(days=n % 90)
        sheet.append([
            groups[n // ROWS_PER_GROUP].code, name, f"0915 55{n // 1000 % 10} {n % 1000:03d}",
            name.split()[-1], role, f"Số {n % 400 + 1}, tổ {n % 12 + 1}", "Tổ 1", joined, None,
            joined, "",
        ])  # fmt: skip
    output = io.BytesIO()
    book.save(output)
    return output.getvalue()


def timed(step: Callable[[], object]) -> tuple[float, float, object]:
    """(wall seconds, CPU seconds of this process, result): CPU shows what a busy machine hides."""
    wall, cpu = time.perf_counter(), time.process_time()
    result = step()
    return time.perf_counter() - wall, time.process_time() - cpu, result


def preview(content: bytes, actor) -> tuple[float, float, float, object, dict]:
    """What the admin does on upload: read the file, check its rows, keep the checked rows next
    to the upload (groups/admin_import.py). Returns (read s, check and keep s, CPU s, report,
    what the session keeps)."""
    from groups.admin_import import ImportChoices, _store_checked, _upload_dir
    from groups.importing import member_import, read_rows

    _upload_dir().mkdir(parents=True, exist_ok=True)  # where the admin keeps the upload
    read, read_cpu, rows = timed(lambda: read_rows(io.BytesIO(content), "bench.xlsx"))
    pending = {"token": secrets.token_hex(16)}

    def check():
        report = member_import(actor=actor, rows=rows, commit=False, source="bench")
        _store_checked(pending, report, ImportChoices())
        return report

    check_s, check_cpu, report = timed(check)
    return read, check_s, read_cpu + check_cpu, report, pending


def confirm(pending: dict, actor) -> tuple[float, float, bool]:
    """What the admin does on confirmation: load the checked rows and save them, the register
    being unchanged. Returns (seconds, CPU seconds, saved)."""
    from groups.admin_import import ImportChoices, _checked_path, _load_checked
    from groups.importing import member_import_checked

    def save():
        checked = _load_checked(pending, ImportChoices())
        assert checked is not None, "the preview kept nothing to save"
        return member_import_checked(actor=actor, checked=checked)

    seconds, cpu, saved = timed(save)
    _checked_path(pending["token"]).unlink(missing_ok=True)
    return seconds, cpu, saved


def run(content: bytes, actor, *, commit: bool) -> tuple[float, float, float, object]:
    """One submit in one go, as `manage.py import_members [--commit]` does: read, then check
    (and save) every row."""
    from groups.importing import member_import, read_rows

    read, read_cpu, rows = timed(lambda: read_rows(io.BytesIO(content), "bench.xlsx"))
    check, check_cpu, report = timed(
        lambda: member_import(actor=actor, rows=rows, commit=commit, source="bench")
    )
    return read, check, read_cpu + check_cpu, report


def preview_and_confirm(content: bytes, actor) -> list[tuple]:
    """The admin's two steps: [(step, read s, check/save s, CPU s, counts, saved)]."""
    read, check, cpu, report, pending = preview(content, actor)
    seconds, confirm_cpu, saved = confirm(pending, actor)
    return [
        ("preview", read, check, cpu, report.counts, False),
        ("confirm", 0.0, seconds, confirm_cpu, report.counts, saved),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    rows = parser.parse_args().rows

    import django

    django.setup()
    from django.db import connection

    actor, groups = setup_register(rows)
    load = os.getloadavg()[0]
    try:
        content = workbook(rows, groups)
        figures = []
        for kind in ("fresh", "re-import"):
            for step, read, check, cpu, counts, saved in preview_and_confirm(content, actor):
                figures.append((f"{step} ({kind})", read, check, cpu, counts, saved))
    finally:
        cleanup()
    print(f"{rows:,} rows, {len(groups)} groups, {len(content) / 1e6:.1f} MB XLSX, "
          f"{connection.vendor}")  # fmt: skip
    print(f"load average before: {load:.1f} on {os.cpu_count()} CPUs")
    print(f"{'step':<20} {'read s':>7} {'check/save s':>13} {'total s':>8} {'CPU s':>6}  result")
    for label, read, check, cpu, counts, saved in figures:
        result = ", ".join(f"{k} {v}" for k, v in counts.items() if v) + (" saved" if saved else "")
        print(f"{label:<20} {read:7.2f} {check:13.2f} {read + check:8.2f} {cpu:6.2f}  {result}")
    preview_and_commit = sum(r + c for _l, r, c, _cpu, _n, _s in figures[:2])
    cpu_total = sum(cpu for _l, _r, _c, cpu, _n, _s in figures[:2])
    print(
        f"preview + confirmation of a fresh file, as in the admin: {preview_and_commit:.2f} s "
        f"(CPU {cpu_total:.2f} s)"
    )
    results = ROOT / "bench" / "results"
    results.mkdir(parents=True, exist_ok=True)
    out = results / f"import_members-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(
        json.dumps(
            {
                "rows": rows,
                "database": connection.vendor,
                "load_average": load,
                "steps": [
                    {"step": label, "read_s": r, "check_s": c, "cpu_s": cpu, "counts": counts}
                    for label, r, c, cpu, counts, _saved in figures
                ],
                "preview_and_commit_s": preview_and_commit,
                "preview_and_commit_cpu_s": cpu_total,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
