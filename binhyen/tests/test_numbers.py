"""One way to round a share and to write a figure, for every page, chart and document."""

import pathlib
import re

import pytest
from django.conf import settings
from django.template import Context, Template
from django.utils import translation

from binhyen.numbers import number_text, percent_text, share


@pytest.mark.parametrize(
    ("part", "whole", "expected"),
    [
        (77, 90, 85.6),  # 85,555… was shown as 85,5
        (202, 251, 80.5),  # 80,478… was shown as 80,4
        (2, 3, 66.7),
        (1, 8, 12.5),
        (1, 16, 6.3),  # 6,25: a half rounds up
        (1, 3, 33.3),
        (0, 5, 0.0),
        (5, 5, 100.0),
    ],
)
def test_share_rounds_half_up_to_one_decimal(part, whole, expected) -> None:
    assert share(part, whole) == expected


def test_share_caps_at_100_unless_asked_and_has_no_base_for_zero() -> None:
    assert share(11, 10) == 100.0
    assert share(11, 10, cap=False) == 110.0
    assert share(3, 0) is None


def test_vietnamese_separators() -> None:
    with translation.override("vi"):
        assert number_text(4578) == "4.578"
        assert number_text(1234567) == "1.234.567"
        assert number_text(85.55) == "85,6"  # stored as 85.5499…, read as written
        assert number_text(12.0) == "12,0"
        assert percent_text(share(77, 90)) == "85,6%"
        assert percent_text(None) == "—"
    with translation.override("en"):
        assert number_text(4578) == "4,578"
        assert percent_text(85.6) == "85.6%"


def test_template_filters_write_the_same() -> None:
    template = Template("{% load numbers %}{{ a|percent }} {{ b|number }} {{ c|percent }}")
    with translation.override("vi"):
        assert template.render(Context({"a": 85.6, "b": 4578, "c": None})) == "85,6% 4.578 —"


def test_documents_write_figures_the_same_way() -> None:
    from reviews.content import vn_number

    with translation.override("en"):  # the documents are Vietnamese whatever the reader's
        assert vn_number(share(77, 90)) == "85,6"
        assert vn_number(4578) == "4.578"


def test_no_template_formats_a_figure_by_hand() -> None:
    """Percentages go through `|percent`: floatformat (which rounds to even and knows no
    percent sign) would bring back a second way to write them."""
    offenders = [
        str(path)
        for folder in settings.TEMPLATES[0]["DIRS"]
        for path in pathlib.Path(folder).rglob("*.html")
        if re.search(r"floatformat", path.read_text())
    ]
    assert offenders == []
