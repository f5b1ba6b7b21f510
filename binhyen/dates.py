"""Days of the portal's time zone (Asia/Ho_Chi_Minh) as people type them in filters.

A period is asked for as days ("from 01/02 to 28/02", both included) and counted as the moments
[midnight of the first day, midnight after the last). Only days in DAYS are accepted: the
moments of 0001-01-01 or 9999-12-31 in local time do not exist in UTC (an OverflowError, a 500
the API fuzzing found), and no record of the portal is from outside these years anyway.
"""

from __future__ import annotations

import datetime

import django_filters
from django import forms
from django.core.validators import MaxValueValidator, MinValueValidator
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

FIRST_DAY = datetime.date(1900, 1, 1)
LAST_DAY = datetime.date(2100, 12, 31)


def local_midnight(day: datetime.date) -> datetime.datetime:
    """The first moment of `day` in the portal's time zone (settings.TIME_ZONE)."""
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def parse_day(value: str | None) -> datetime.date | None:
    """A day from a query string (YYYY-MM-DD), or None when absent, malformed or out of range."""
    try:
        day = datetime.date.fromisoformat(value) if value else None
    except ValueError:
        return None
    return day if day is None or FIRST_DAY <= day <= LAST_DAY else None


_RANGE_VALIDATORS = [
    MinValueValidator(FIRST_DAY, message=_("Choose a day from 1900 to 2100.")),
    MaxValueValidator(LAST_DAY, message=_("Choose a day from 1900 to 2100.")),
]


class DayField(forms.DateField):
    """A form's day within FIRST_DAY…LAST_DAY, with a Vietnamese message otherwise."""

    default_validators = _RANGE_VALIDATORS


class DayFilter(django_filters.DateFilter):
    """The API's day filter: out of range is a structured 400, not a server error."""

    field_class = DayField
