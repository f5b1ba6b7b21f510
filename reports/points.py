"""A report's point on the map, and how coarse it is stored or shown.

An anonymous tip's point is stored rounded to 3 decimals of a degree (about 110 m), so that it
cannot point at the tipster's house (services.file_report, every door). Whoever may not read
a report's text (reports/visibility.py: the party office, the leaders, a hamlet head for
another's report) gets every point rounded the same way, on the map and in its API.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

COARSE = Decimal("0.001")  # a thousandth of a degree: about 110 m at Vietnam's latitudes


def coarsen(value: Any) -> Any:
    """`value` (a degree of latitude or longitude) rounded to COARSE; None stays None, and what
    is not a number is left for the model's validation to refuse."""
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value)).quantize(COARSE, rounding=ROUND_HALF_EVEN)
    except (InvalidOperation, ValueError):
        return value
