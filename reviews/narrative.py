"""The narrative sections of a new review, pre-filled with sentences made from its figures.

The police edit them before finalising; these are a first draft, in Vietnamese (the language of
the party document), written so that every number in them comes from the figures.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _

from groups.models import Commune

from .content import vn_date, vn_number

Data = dict[str, Any]


def _period_words(figures: Data) -> str:
    period = figures["period"]
    if period["kind"] == "calendar":
        return _("the year %(year)d") % {"year": period["year"]}
    start = datetime.date.fromisoformat(period["start"])
    end = datetime.date.fromisoformat(period["end"])
    return _("the period from %(start)s to %(end)s") % {
        "start": vn_date(start),
        "end": vn_date(end),
    }


def subject(figures: Data) -> str:
    with translation.override("vi"):
        return _("Results of the “Zalo kết nối bình yên” model in %(period)s") % {
            "period": _period_words(figures)
        }


def _results(figures: Data) -> str:
    now = {key: value["current"]["total"] for key, value in figures["sections"].items()}
    before = {key: value["previous"]["total"] for key, value in figures["sections"].items()}
    sentences = [
        _(
            "At the end of the period the commune had %(groups)s active Zalo groups "
            "(%(new)s new) with %(members)s members; %(covered)s of %(households)s households "
            "had joined (%(coverage)s%%, against %(coverage_before)s%% in the previous period)."
        )
        % {
            "groups": vn_number(now["groups"]["total"]),
            "new": vn_number(now["groups"]["new"]),
            "members": vn_number(now["members"]["total"]),
            "covered": vn_number(now["members"]["covered"]),
            "households": vn_number(now["members"]["households"]),
            "coverage": vn_number(now["members"]["coverage"]),
            "coverage_before": vn_number(before["members"]["coverage"]),
        },
        _(
            "The groups and the other channels brought %(received)s reports (%(before)s in the "
            "previous period), of which %(valuable)s were valuable tips and %(anonymous)s "
            "anonymous tips; %(solved)s cases were solved thanks to tips."
        )
        % {
            "received": vn_number(now["reports"]["received"]),
            "before": vn_number(before["reports"]["received"]),
            "valuable": vn_number(now["reports"]["valuable_tips"]),
            "anonymous": vn_number(now["reports"]["anonymous_tips"]),
            "solved": vn_number(now["reports"]["solved_by_tip"]),
        },
        _(
            "%(resolved)s reports were resolved, in a median time of %(median)s hours; "
            "%(overdue)s were handled after their deadline or are still overdue."
        )
        % {
            "resolved": vn_number(now["reports"]["resolved"]),
            "median": vn_number(now["reports"]["median_hours"]),
            "overdue": vn_number(now["reports"]["overdue"]),
        },
        *_bulletin_sentences(now, before),
        _("%(passed)s of %(hamlets)s hamlets met the “An toàn về an ninh, trật tự” standard.")
        % {
            "passed": vn_number(now["safety"]["passed"]),
            "hamlets": vn_number(now["safety"]["hamlets"]),
        },
    ]
    return " ".join(sentences)


def _bulletin_sentences(now: Data, before: Data) -> list[str]:
    """The bulletins and postings of the period (none if the figures predate the section)."""
    if "bulletins" not in now:
        return []
    bulletins, previous = now["bulletins"], before["bulletins"]
    sentences = [
        _(
            "The commune police published %(published)s bulletins in the groups (%(before)s in "
            "the previous period); of the %(due)s postings due, %(on_time)s were posted on time "
            "(%(rate)s%%), %(late)s late and %(missed)s were missed."
        )
        % {
            "published": vn_number(bulletins["published"]),
            "before": vn_number(previous["published"]),
            "due": vn_number(bulletins["due"]),
            "on_time": vn_number(bulletins["on_time"]),
            "rate": vn_number(bulletins["on_time_rate"]),
            "late": vn_number(bulletins["late"]),
            "missed": vn_number(bulletins["missed"]),
        }
    ]
    if bulletins["questions"]:
        sentences.append(
            _("The officers answered %(questions)s questions on administrative procedures.")
            % {"questions": vn_number(bulletins["questions"])}
        )
    return sentences


def _below_target(figures: Data, target: int) -> list[str]:
    members = figures["sections"]["members"]["current"]["by_hamlet"]
    return [
        hamlet["name"]
        for hamlet in figures["hamlets"]
        if members[hamlet["id"]]["coverage"] is not None
        and members[hamlet["id"]]["coverage"] < target
    ]


def _strengths(figures: Data) -> str:
    now = {key: value["current"]["total"] for key, value in figures["sections"].items()}
    before = {key: value["previous"]["total"] for key, value in figures["sections"].items()}
    parts = []
    coverage, coverage_before = now["members"]["coverage"], before["members"]["coverage"]
    if coverage is not None and coverage_before is not None and coverage > coverage_before:
        parts.append(
            _("Household coverage rose from %(before)s%% to %(now)s%%.")
            % {"before": vn_number(coverage_before), "now": vn_number(coverage)}
        )
    if now["reports"]["valuable_tips"]:
        parts.append(
            _(
                "People report through the groups: %(valuable)s valuable tips helped the police "
                "keep security and order."
            )
            % {"valuable": vn_number(now["reports"]["valuable_tips"])}
        )
    parts.append(
        _(
            "The groups carried the news on security and order, warnings about scams and guides "
            "to administrative procedures to the households quickly."
        )
    )
    return " ".join(parts)


def _weaknesses(figures: Data, target: int) -> str:
    now = figures["sections"]["reports"]["current"]["total"]
    parts = []
    below = _below_target(figures, target)
    if below:
        parts.append(
            _("Household coverage is still below the %(target)s%% target in: %(hamlets)s.")
            % {"target": target, "hamlets": ", ".join(below)}
        )
    if now["overdue"]:
        parts.append(
            _("%(overdue)s reports were not handled within their deadline.")
            % {"overdue": vn_number(now["overdue"])}
        )
    postings = figures["sections"].get("bulletins", {}).get("current", {}).get("total", {})
    if postings.get("missed"):
        parts.append(
            _("%(missed)s postings of bulletins were not made in their groups.")
            % {"missed": vn_number(postings["missed"])}
        )
    if not parts:
        parts.append(_("Some households still take little part in the groups."))
    return " ".join(parts)


def generate(figures: Data, commune: Commune) -> dict[str, str]:
    """Every narrative section, in Vietnamese, from `figures` (reviews.figures)."""
    with translation.override("vi"):
        hamlets = figures["sections"]["safety"]["current"]["total"]["hamlets"]
        households = figures["sections"]["members"]["current"]["total"]["households"]
        return {
            "situation": _(
                "%(commune)s has %(hamlets)s hamlets with %(households)s households. The "
                "“Zalo kết nối bình yên” model links the commune police, through the area police "
                "officers, with the representatives of the households of every hamlet and "
                "people's group in %(period)s."
            )
            % {
                "commune": commune.name,
                "hamlets": vn_number(hamlets),
                "households": vn_number(households),
                "period": _period_words(figures),
            },
            "leadership": _(
                "The Party Committee directed the building of the model; the commune police and "
                "the area police officers set up and administered the Zalo groups, received and "
                "handled the reports and posted information in the groups, while keeping the "
                "identity of informants confidential."
            ),
            "results": _results(figures),
            "strengths": _strengths(figures),
            "weaknesses": _weaknesses(figures, commune.coverage_target),
            "causes": _(
                "Some households have no smartphone or do not use Zalo; some representatives are "
                "not yet used to reporting through the groups."
            ),
            "lessons": _(
                "The model works where the hamlet's leaders and the area police officer take part "
                "in the group every day and answer people's reports promptly."
            ),
            "directions": _(
                "Keep developing the groups until every household has a representative; keep "
                "posting security news, warnings about scams and guides to procedures; handle "
                "every report within its deadline and keep informants' identities confidential."
            ),
            "proposals": _(
                "Commend the collectives and individuals with outstanding results listed in this "
                "report."
            ),
        }
