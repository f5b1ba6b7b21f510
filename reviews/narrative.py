"""The narrative sections of a review, written from its figures, and how a draft's text is kept
true to the figures the documents print.

Every generated sentence records the figures it states (its "facts", e.g. `reports.received`).
A review stores the sentences it was written from (`AnnualReview.narrative_basis`). When the
documents are built, one set of figures serves the tables and the text:

- a section nobody edited (its text is still the generated sentences) is written again from
  those figures, so its numbers are the tables' numbers;
- an edited section is printed as the editor wrote it; if a figure it states has changed since,
  the section is "stale": the review's page and form show what changed (old → new) and offer to
  refresh the generated sentences (services.review_narrative_refresh), and a stale draft is
  neither built nor finalised.

The text is Vietnamese (the language of the party document) whatever the reader's language.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import asdict, dataclass, field
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from groups.models import Commune

from .content import vn_date, vn_number
from .models import NARRATIVE_FIELDS, AnnualReview

Data = dict[str, Any]


@dataclass(frozen=True)
class Sentence:
    """One generated sentence (or a fixed group of them, one message): `key` names it within
    its section, `facts` are the figures it states, by fact key."""

    key: str
    text: str
    facts: dict[str, Any] = field(default_factory=dict)


Generated = dict[str, list[Sentence]]


def join(sentences: list[Sentence] | list[Data]) -> str:
    texts = [s.text if isinstance(s, Sentence) else s["text"] for s in sentences]
    return " ".join(text for text in texts if text)


# --- the facts a sentence may state ------------------------------------------------------------

# Fact keys are "section.figure" (the commune's total of the period) or "section.figure@previous"
# (of the period before), plus the few below that are not in the figures' sections.
FACT_LABELS = {
    "groups.total": gettext_lazy("Zalo groups active at the end of the period"),
    "groups.new": gettext_lazy("New Zalo groups"),
    "members.total": gettext_lazy("Members at the end of the period"),
    "members.covered": gettext_lazy("Households covered"),
    "members.households": gettext_lazy("Households"),
    "members.coverage": gettext_lazy("Household coverage (%)"),
    "reports.received": gettext_lazy("Reports received"),
    "reports.valuable_tips": gettext_lazy("Valuable tips"),
    "reports.anonymous_tips": gettext_lazy("Anonymous tips"),
    "reports.solved_by_tip": gettext_lazy("Cases solved thanks to tips"),
    "reports.resolved": gettext_lazy("Reports resolved"),
    "reports.median_hours": gettext_lazy("Median time to resolve (hours)"),
    "reports.overdue": gettext_lazy("Reports overdue"),
    "feedback.resolved": gettext_lazy("Reports resolved"),
    "feedback.confirmed": gettext_lazy("Resolved reports confirmed by the reporter"),
    "feedback.confirmed_share": gettext_lazy("Resolved reports confirmed by the reporter (%)"),
    "feedback.answered": gettext_lazy("Reports answered by the reporter"),
    "feedback.satisfaction": gettext_lazy("Reporters' average satisfaction (1–5)"),
    "bulletins.published": gettext_lazy("Bulletins published"),
    "bulletins.due": gettext_lazy("Postings due"),
    "bulletins.on_time": gettext_lazy("Postings on time"),
    "bulletins.late": gettext_lazy("Postings late"),
    "bulletins.missed": gettext_lazy("Postings missed"),
    "bulletins.on_time_rate": gettext_lazy("Postings on time (%)"),
    "bulletins.questions": gettext_lazy("Procedure questions answered"),
    "safety.passed": gettext_lazy("Hamlets meeting the safety standard"),
    "safety.hamlets": gettext_lazy("Hamlets"),
    "hamlets.below_target": gettext_lazy("Hamlets below the coverage target"),
    "commendations.individuals": gettext_lazy("Individuals proposed for commendation"),
    "commendations.collectives": gettext_lazy("Collectives proposed for commendation"),
}


def fact_label(key: str) -> str:
    name, _sep, when = key.partition("@")
    label = str(FACT_LABELS.get(name, name))
    if when:
        return _("%(figure)s, previous period") % {"figure": label}
    return label


def fact_text(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(value) if value else "—"
    return vn_number(value)


class Writer:
    """Writes the sentences of one set of figures and answers the value of any fact."""

    def __init__(self, figures: Data, commune: Commune, commendations: list[Data]) -> None:
        self.figures = figures
        self.commune = commune
        self.extra = {
            "hamlets.below_target": _below_target(figures, commune.coverage_target),
            "commendations.individuals": sum(1 for row in commendations if row["individual"]),
            "commendations.collectives": sum(1 for row in commendations if not row["individual"]),
        }

    def value(self, key: str) -> Any:
        if key in self.extra:
            return self.extra[key]
        name, _sep, when = key.partition("@")
        section, figure = name.split(".")
        part = self.figures["sections"].get(section, {}).get(when or "current")
        return None if part is None else part["total"].get(figure)

    def say(self, key: str, message: str, facts: dict[str, str], **words: str) -> Sentence:
        """`message` (translated) with each placeholder of `facts` (placeholder → fact key)
        filled with the fact's value, and those of `words` as given."""
        values = {fact: self.value(fact) for fact in facts.values()}
        text = message % {
            **{name: fact_text(values[fact]) for name, fact in facts.items()},
            **words,
        }
        return Sentence(key, text, values)

    def sentences(self) -> Generated:
        """Every narrative section, in Vietnamese."""
        with translation.override("vi"):
            return {
                "situation": [self._situation()],
                "leadership": [
                    Sentence(
                        "leadership",
                        _(
                            "The Party Committee directed the building of the model; the commune "
                            "police and the area police officers set up and administered the Zalo "
                            "groups, received and handled the reports and posted information in "
                            "the groups, while keeping the identity of informants confidential."
                        ),
                    )
                ],
                "results": self._results(),
                "strengths": self._strengths(),
                "weaknesses": self._weaknesses(),
                "causes": [
                    Sentence(
                        "causes",
                        _(
                            "Some households have no smartphone or do not use Zalo; some "
                            "representatives are not yet used to reporting through the groups."
                        ),
                    )
                ],
                "lessons": [
                    Sentence(
                        "lessons",
                        _(
                            "The model works where the hamlet's leaders and the area police "
                            "officer take part in the group every day and answer people's "
                            "reports promptly."
                        ),
                    )
                ],
                "directions": [
                    Sentence(
                        "directions",
                        _(
                            "Keep developing the groups until every household has a "
                            "representative; keep posting security news, warnings about scams "
                            "and guides to procedures; handle every report within its deadline "
                            "and keep informants' identities confidential."
                        ),
                    )
                ],
                "proposals": [self._proposals()],
            }

    def _situation(self) -> Sentence:
        return self.say(
            "situation",
            _(
                "%(commune)s has %(hamlets)s hamlets with %(households)s households. The "
                "“Zalo kết nối bình yên” model links the commune police, through the area police "
                "officers, with the representatives of the households of every hamlet and "
                "people's group in %(period)s."
            ),
            {"hamlets": "safety.hamlets", "households": "members.households"},
            commune=self.commune.name,
            period=period_words(self.figures),
        )

    def _results(self) -> list[Sentence]:
        sentences = [
            self.say(
                "groups",
                _(
                    "At the end of the period the commune had %(groups)s active Zalo groups "
                    "(%(new)s new) with %(members)s members; %(covered)s of %(households)s "
                    "households had joined (%(coverage)s%%, against %(coverage_before)s%% in the "
                    "previous period)."
                ),
                {
                    "groups": "groups.total",
                    "new": "groups.new",
                    "members": "members.total",
                    "covered": "members.covered",
                    "households": "members.households",
                    "coverage": "members.coverage",
                    "coverage_before": "members.coverage@previous",
                },
            ),
            self.say(
                "reports",
                _(
                    "The groups and the other channels brought %(received)s reports (%(before)s "
                    "in the previous period), of which %(valuable)s were valuable tips and "
                    "%(anonymous)s anonymous tips; %(solved)s cases were solved thanks to tips."
                ),
                {
                    "received": "reports.received",
                    "before": "reports.received@previous",
                    "valuable": "reports.valuable_tips",
                    "anonymous": "reports.anonymous_tips",
                    "solved": "reports.solved_by_tip",
                },
            ),
            self.say(
                "resolved",
                _(
                    "%(resolved)s reports were resolved, in a median time of %(median)s hours; "
                    "%(overdue)s were handled after their deadline or are still overdue."
                ),
                {
                    "resolved": "reports.resolved",
                    "median": "reports.median_hours",
                    "overdue": "reports.overdue",
                },
            ),
        ]
        if "feedback" in self.figures["sections"]:
            sentences.append(self._feedback())
        if "bulletins" in self.figures["sections"]:
            sentences.append(
                self.say(
                    "bulletins",
                    _(
                        "The commune police published %(published)s bulletins in the groups "
                        "(%(before)s in the previous period); of the %(due)s postings due, "
                        "%(on_time)s were posted on time (%(rate)s%%), %(late)s late and "
                        "%(missed)s were missed."
                    ),
                    {
                        "published": "bulletins.published",
                        "before": "bulletins.published@previous",
                        "due": "bulletins.due",
                        "on_time": "bulletins.on_time",
                        "rate": "bulletins.on_time_rate",
                        "late": "bulletins.late",
                        "missed": "bulletins.missed",
                    },
                )
            )
            if self.value("bulletins.questions"):
                sentences.append(
                    self.say(
                        "questions",
                        _(
                            "The officers answered %(questions)s questions on administrative "
                            "procedures."
                        ),
                        {"questions": "bulletins.questions"},
                    )
                )
        sentences.append(
            self.say(
                "safety",
                _(
                    "%(passed)s of %(hamlets)s hamlets met the “An toàn về an ninh, trật tự” "
                    "standard."
                ),
                {"passed": "safety.passed", "hamlets": "safety.hamlets"},
            )
        )
        return sentences

    def _feedback(self) -> Sentence:
        """The reporters' word on the outcome (reports.ReportFeedback), the figures of the
        summary table's rows of the same names."""
        if not self.value("feedback.answered"):
            return self.say(
                "feedback",
                _("No reporter has yet given their word on the outcome of a report."),
                {"answered": "feedback.answered"},
            )
        return self.say(
            "feedback",
            _(
                "Of the %(resolved)s reports resolved, the reporters confirmed %(confirmed)s "
                "(%(share)s%%, against %(share_before)s%% in the previous period); their average "
                "satisfaction was %(satisfaction)s out of 5."
            ),
            {
                "resolved": "feedback.resolved",
                "confirmed": "feedback.confirmed",
                "share": "feedback.confirmed_share",
                "share_before": "feedback.confirmed_share@previous",
                "satisfaction": "feedback.satisfaction",
            },
        )

    def _strengths(self) -> list[Sentence]:
        sentences = []
        now, before = self.value("members.coverage"), self.value("members.coverage@previous")
        if now is not None and before is not None and now > before:
            sentences.append(
                self.say(
                    "coverage_rose",
                    _("Household coverage rose from %(before)s%% to %(now)s%%."),
                    {"before": "members.coverage@previous", "now": "members.coverage"},
                )
            )
        if self.value("reports.valuable_tips"):
            sentences.append(
                self.say(
                    "valuable_tips",
                    _(
                        "People report through the groups: %(valuable)s valuable tips helped the "
                        "police keep security and order."
                    ),
                    {"valuable": "reports.valuable_tips"},
                )
            )
        sentences.append(
            Sentence(
                "news",
                _(
                    "The groups carried the news on security and order, warnings about scams and "
                    "guides to administrative procedures to the households quickly."
                ),
            )
        )
        return sentences

    def _weaknesses(self) -> list[Sentence]:
        sentences = []
        if self.value("hamlets.below_target"):
            sentences.append(
                self.say(
                    "below_target",
                    _("Household coverage is still below the %(target)s%% target in: %(hamlets)s."),
                    {"hamlets": "hamlets.below_target"},
                    target=str(self.commune.coverage_target),
                )
            )
        if self.value("reports.overdue"):
            sentences.append(
                self.say(
                    "overdue",
                    _("%(overdue)s reports were not handled within their deadline."),
                    {"overdue": "reports.overdue"},
                )
            )
        if self.value("bulletins.missed"):
            sentences.append(
                self.say(
                    "missed",
                    _("%(missed)s postings of bulletins were not made in their groups."),
                    {"missed": "bulletins.missed"},
                )
            )
        if not sentences:
            sentences.append(
                Sentence("little_part", _("Some households still take little part in the groups."))
            )
        return sentences

    def _proposals(self) -> Sentence:
        """Section III proposes commending those listed in section 4 only when it lists some."""
        individuals = self.value("commendations.individuals")
        collectives = self.value("commendations.collectives")
        facts = {
            "individuals": "commendations.individuals",
            "collectives": "commendations.collectives",
        }
        if individuals and collectives:
            message = _(
                "Commend the %(collectives)s collectives and %(individuals)s individuals with "
                "outstanding results listed in section 4 of this report."
            )
        elif collectives:
            message = _(
                "Commend the %(collectives)s collectives with outstanding results listed in "
                "section 4 of this report."
            )
        elif individuals:
            message = _(
                "Commend the %(individuals)s individuals with outstanding results listed in "
                "section 4 of this report."
            )
        else:
            message = _(
                "Ask the higher levels to keep directing and supporting the model, so that it "
                "is kept up and extended."
            )
        return self.say("proposals", message, facts)


def _below_target(figures: Data, target: int) -> list[str]:
    members = figures["sections"]["members"]["current"]["by_hamlet"]
    return [
        hamlet["name"]
        for hamlet in figures["hamlets"]
        if members[hamlet["id"]]["coverage"] is not None
        and members[hamlet["id"]]["coverage"] < target
    ]


def period_words(figures: Data) -> str:
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
            "period": period_words(figures)
        }


def sentences(
    figures: Data, commune: Commune, commendations: list[Data] | None = None
) -> Generated:
    return Writer(figures, commune, commendations or []).sentences()


def generate(
    figures: Data, commune: Commune, commendations: list[Data] | None = None
) -> dict[str, str]:
    """Every narrative section's text, from `figures` (reviews.figures)."""
    return {name: join(found) for name, found in sentences(figures, commune, commendations).items()}


def basis(generated: Generated) -> dict[str, list[Data]]:
    """The JSON stored as AnnualReview.narrative_basis."""
    return {name: [asdict(sentence) for sentence in found] for name, found in generated.items()}


# --- a draft's text against the figures of now ----------------------------------------------


@dataclass
class Change:
    fact: str
    label: str
    old: str
    new: str


@dataclass
class Stale:
    """An edited section that states figures that have changed since it was written."""

    field: str
    label: str
    changes: list[Change]


def is_generated(text: str, sentences: list[Data] | None) -> bool:
    """Whether the section's text is still the generated sentences, as they were generated."""
    return sentences is not None and _squash(text) == _squash(join(sentences))


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def texts(review: AnnualReview, generated: Generated) -> dict[str, str]:
    """What the documents print: a section still as generated, written again from the figures
    of now; an edited one as the editor wrote it."""
    found = review.narrative_basis or {}
    printed = {}
    for name in NARRATIVE_FIELDS:
        text = getattr(review, name)
        printed[name] = join(generated[name]) if is_generated(text, found.get(name)) else text
    return printed


def stale(review: AnnualReview, writer: Writer) -> list[Stale]:
    """The edited sections stating a figure whose value is no longer the one they were written
    (or last confirmed) with."""
    found = review.narrative_basis or {}
    result = []
    for name in NARRATIVE_FIELDS:
        sentences = found.get(name)
        if sentences is None or is_generated(getattr(review, name), sentences):
            continue
        changes: dict[str, Change] = {}
        for sentence in sentences:
            for fact, old in sentence["facts"].items():
                new = writer.value(fact)
                if new != old and fact not in changes:
                    changes[fact] = Change(fact, fact_label(fact), fact_text(old), fact_text(new))
        if changes:
            label = str(AnnualReview._meta.get_field(name).verbose_name)
            result.append(Stale(name, label, list(changes.values())))
    return result


def refreshed(text: str, old: list[Data], new: list[Sentence]) -> tuple[str, list[Data]]:
    """An edited section with its generated sentences brought up to date: each old sentence
    still in the text as generated is replaced by the new sentence of the same key (or dropped
    when there is none now); sentences the editor reworded stay, with their old facts, so that
    they are still flagged; sentences new to the generation are appended. Returns the text and
    its basis."""
    by_key = {sentence.key: sentence for sentence in new}
    kept: list[Data] = []
    for sentence in old:
        replacement = by_key.get(sentence["key"])
        if sentence["text"] and sentence["text"] in text:
            text = text.replace(sentence["text"], replacement.text if replacement else "", 1)
            if replacement:
                kept.append(asdict(replacement))
        else:
            kept.append(sentence)
    known = {sentence["key"] for sentence in old}
    added = [sentence for sentence in new if sentence.key not in known]
    if added:
        text = f"{text.rstrip()} {join(added)}"
        kept += [asdict(sentence) for sentence in added]
    lines = [re.sub(r" {2,}", " ", line).strip() for line in text.splitlines()]
    return "\n".join(line for line in lines if line), kept


def confirmed(sentences: list[Data], writer: Writer) -> list[Data]:
    """The basis of a section the editor saved against the figures of now: its facts are taken
    to be the current values."""
    return [
        {**sentence, "facts": {fact: writer.value(fact) for fact in sentence["facts"]}}
        for sentence in sentences
    ]
