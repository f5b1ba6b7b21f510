"""Generate a synthetic province for benchmarks: `manage.py seed_scale --communes 95 --seed 1`.

See bench/scale.py for what is generated and how. On PostgreSQL the whole province (about
1,000 hamlets, 10,000 groups, 1,200,000 members, 200,000 reports, 10,000 bulletins and
1,000,000 postings) takes a few minutes; on SQLite use small counts (the tests do).
"""

from __future__ import annotations

import datetime

from django.core.management.base import BaseCommand, CommandError, CommandParser

from bench import scale


class Command(BaseCommand):
    help = "Generate a reproducible synthetic province (benchmarks): register, reports, bulletins."

    def add_arguments(self, parser: CommandParser) -> None:
        defaults = scale.Plan()
        counts = {
            "communes": "communes and wards",
            "hamlets_per_commune": "hamlets in each commune",
            "groups_per_hamlet": "Zalo groups in each hamlet",
            "people_groups_per_hamlet": "people's groups in each hamlet",
            "members": "members in all",
            "reports": "incident reports in all",
            "bulletins": "bulletins in all",
            "postings": "postings in all",
            "years": "years of history",
            "seed": "random seed",
            "count_months": "months of member counts",
        }
        for name, text in counts.items():
            parser.add_argument(
                f"--{name.replace('_', '-')}", type=int, default=getattr(defaults, name),
                help=f"{text} (default {getattr(defaults, name):,})",
            )  # fmt: skip
        parser.add_argument(
            "--sealed-share", type=float, default=defaults.sealed_share,
            help="share of reports with a sealed informant",
        )  # fmt: skip
        parser.add_argument(
            "--end", type=datetime.date.fromisoformat, default=None,
            help="the data's last day, YYYY-MM-DD (default today): same seed + end = same data",
        )  # fmt: skip
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument(
            "--reset", action="store_true",
            help="first delete every commune and user, and all that refers to them",
        )  # fmt: skip
        mode.add_argument(
            "--if-empty", action="store_true", help="do nothing when a commune already exists"
        )

    def handle(self, *args: object, **options: object) -> None:
        fields = {f.name for f in scale.Plan.__dataclass_fields__.values()}
        values = {k: v for k, v in options.items() if k in fields and v is not None}
        if options["end"] is None:
            values.pop("end", None)
        plan = scale.Plan(**values)
        for name in ("communes", "hamlets_per_commune", "groups_per_hamlet"):
            if getattr(plan, name) < 1:
                raise CommandError(f"--{name.replace('_', '-')} must be at least 1.")
        if plan.postings and plan.postings > plan.bulletins * plan.hamlets_per_commune * (
            plan.groups_per_hamlet
        ):
            raise CommandError("More postings than the bulletins can reach: raise --bulletins.")
        if options["if_empty"] and not scale.is_empty():
            self.stdout.write("The database already holds communes: nothing generated.")
            return
        if options["reset"]:
            scale.reset()
        elif not scale.is_empty():
            raise CommandError("The database already holds communes: use --reset or --if-empty.")
        verbose = int(options["verbosity"]) > 0
        if verbose:
            self.stdout.write(
                f"Generating a province of {plan.communes} communes (seed {plan.seed}, "
                f"up to {plan.end}) …"
            )
        province = scale.generate(plan, log=self.stdout.write if verbose else lambda _: None)
        if not verbose:
            return
        self.stdout.write(self.style.SUCCESS(f"Done in {province.seconds['total']:.0f} s."))
        self.stdout.write(f"Logins (password for all: {scale.BENCH_PASSWORD}), for example:")
        for role, username in province.usernames.items():
            self.stdout.write(f"  {username:<24} {role}")
        self.stdout.write(
            f"  commune police need a second factor: TOTP key {scale.BENCH_TOTP_KEY}. "
            "Synthetic data for benchmarks only: never on a production server."
        )
