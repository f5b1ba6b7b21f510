"""factory_boy factories for reports, and `file_report`, which files through the service."""

from __future__ import annotations

import datetime
from typing import Any

import factory
from django.utils import timezone

from accounts.models import User
from groups.models import Hamlet
from groups.tests.factories import HamletFactory
from reports.models import (
    Category,
    Channel,
    DeadlineRule,
    IncidentReport,
    ReportSettings,
    Urgency,
)
from reports.services import report_create

# A unique string planted as the informant's identity: no page, log or str() may show it.
MARKER = "Zyxwv-Informant-Marker-4417"
INFORMANT = {
    "name": f"{MARKER} name",
    "phone": "0912555417",
    "address": f"{MARKER} address",
    "relation_to_case": f"{MARKER} relation",
}


class IncidentReportFactory(factory.django.DjangoModelFactory):
    """A report row written directly (no event, no counter): for list and query tests."""

    class Meta:
        model = IncidentReport

    hamlet = factory.SubFactory(HamletFactory)
    commune = factory.LazyAttribute(lambda o: o.hamlet.commune)
    code = factory.Sequence(lambda n: f"TB-2000-{n:05d}")
    category = Category.CRIME
    title = factory.Sequence(lambda n: f"Mất trộm xe máy {n}")
    description = "Một xe máy bị lấy trộm trước nhà văn hóa ấp."
    channel = Channel.PHONE
    urgency = Urgency.NORMAL
    due_at = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=7))


class DeadlineRuleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = DeadlineRule

    urgency = Urgency.NORMAL
    category = ""
    hours = 72


class ReportSettingsFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReportSettings

    retention_months = 12


def file_report(actor: User, hamlet: Hamlet, **fields: Any) -> IncidentReport:
    """report_create with plausible defaults for whatever the test does not care about."""
    values: dict[str, Any] = {
        "category": Category.SOCIAL_EVILS,
        "title": "Nghi có đánh bạc",
        "description": "Tụ tập đánh bạc ban đêm ở cuối ấp.",
        "channel": Channel.WEB_FORM,
        "urgency": Urgency.NORMAL,
    }
    values.update(fields)
    return report_create(actor=actor, hamlet=hamlet, **values)
