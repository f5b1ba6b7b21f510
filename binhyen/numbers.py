"""Figures as officials read them: one way to round a share and one way to write a number.

Every page, chart and document writes its numbers through these functions, so that 77 of 90
reads "85,6%" in the dashboard, in the chart's data table and in the review's PDF, DOCX and XLSX.
Shares are rounded half up (the rule readers expect: 85,55 → 85,6), computed with integers so
that no float error can tip a figure across a half. Separators follow the active language
(Vietnamese: 4.578 and 85,6); the party documents are written with Vietnamese active.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.utils import formats

Number = int | float | None

# Attached, as the party documents and their sentences ("%(percent)s%%") write it.
PERCENT_SIGN = "%"


def share(part: int, whole: int, *, cap: bool = True) -> float | None:
    """`part` of `whole` in %, rounded half up to one decimal; None when `whole` is 0.

    Capped at 100 by default: a register whose household count is stale can count more
    households covered than recorded, and the pages say so beside the figure instead."""
    if not whole:
        return None
    tenths = (2 * 1000 * part + whole) // (2 * whole)  # round half up, in integers
    value = tenths / 10
    return min(100.0, value) if cap else value


def number_text(value: Number) -> str:
    """4578 → "4.578"; 13.25 → "13,3" (one decimal, half up); None → "—"."""
    if value is None:
        return "—"
    if isinstance(value, float):
        return formats.number_format(
            _half_up(value), decimal_pos=1, use_l10n=True, force_grouping=True
        )
    return formats.number_format(value, use_l10n=True, force_grouping=True)


def percent_text(value: Number) -> str:
    """85.6 → "85,6%"; None → "—" (no base to divide by)."""
    if value is None:
        return "—"
    return number_text(float(value)) + PERCENT_SIGN


def _half_up(value: float) -> float:
    """A float rounded half up to one decimal, reading its shortest decimal form (so that
    85.55 — stored as 85.5499… — still rounds to 85.6, as it reads)."""
    return float(Decimal(repr(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))
