"""Filters of the review documents: numbers as Vietnamese documents write them."""

from django import template

from reviews.content import vn_number

register = template.Library()


@register.filter
def vn(value: object) -> str:
    return vn_number(value)  # type: ignore[arg-type]


@register.filter
def is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
