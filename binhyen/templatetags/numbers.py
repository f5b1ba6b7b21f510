"""`{% load numbers %}`: the template side of binhyen.numbers."""

from django import template

from binhyen.numbers import number_text, percent_text

register = template.Library()


@register.filter
def percent(value: int | float | None) -> str:
    """{{ row.percent_shown|percent }} → "85,6%" (or "—")."""
    return percent_text(value)


@register.filter
def number(value: int | float | None) -> str:
    """{{ figure|number }} → "4.578" / "13,3" (or "—")."""
    return number_text(value)
