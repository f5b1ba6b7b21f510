"""The charts of the review documents: a font chosen by what it can draw, labels never cut."""

from __future__ import annotations

import unicodedata
from pathlib import Path
from unittest import mock

import pytest
from fontTools import subset

from reviews import charts
from reviews.content import Chart

TONES = ("", "\u0300", "\u0301", "\u0309", "\u0303", "\u0323")
LETTERS = (
    "".join(unicodedata.normalize("NFC", base + tone) for base in "aăâeêioôơuưy" for tone in TONES)
    + "đ"
)
VIETNAMESE = LETTERS + LETTERS.upper()


def test_the_vietnamese_letters_are_all_there() -> None:
    assert len(set(VIETNAMESE)) == 2 * (12 * 6 + 1)  # 146 letters: 134 with tones, and đ/Đ


@pytest.fixture
def latin_only(tmp_path: Path) -> str:
    """A copy of the first candidate font with ASCII letters only, like Liberation 1.07 that
    lacks Ấ, ậ, ế, ư, ơ."""
    source = charts.candidate_fonts()[0]
    options = subset.Options()
    font = subset.load_font(source, options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=range(0x20, 0x7F))
    subsetter.subset(font)
    path = tmp_path / "latin-only.ttf"
    subset.save_font(font, str(path), options)
    return str(path)


def test_a_font_that_cannot_draw_vietnamese_is_passed_over(latin_only: str) -> None:
    full = charts.candidate_fonts()[0]
    assert charts.font_for(["Ap Thuan Tien"], [latin_only, full]) == latin_only
    assert charts.font_for(["Ấp Thuận Tiến"], [latin_only, full]) == full


def test_with_no_complete_font_the_most_complete_is_used(latin_only: str) -> None:
    # The module's logger itself: the suite's logging set-up may have cut it off from caplog.
    with mock.patch.object(charts.logger, "warning") as warning:
        assert charts.font_for(["Ấp", "x"], [latin_only]) == latin_only
    assert "Ấ" in warning.call_args.args[-1]


def test_every_string_a_chart_draws_is_covered_by_its_font() -> None:
    labels = [VIETNAMESE[start : start + 20] for start in range(0, len(VIETNAMESE), 20)]
    values = [12.5 * number for number in range(len(labels))]
    chart = Chart(title="Tỷ lệ đăng bài đúng hạn", labels=labels, values=values, unit=" %")
    plan = charts.layout(chart)
    drawn = {ord(c) for text in charts.chart_texts(chart) for c in text if not c.isspace()}
    assert plan.font_path and drawn <= charts.characters_of(plan.font_path)
    assert charts.png(chart).startswith(b"\x89PNG")


def test_a_long_label_is_wrapped_never_cut() -> None:
    label = "Ấp Bàu Sen và các tổ dân cư liên kết thuộc khu vực phía bắc của xã Thuận Lợi"
    chart = Chart(title="Báo cáo", labels=[label, "Ấp Phước Ấn"], values=[40.0, 12.0])
    plan = charts.layout(chart)
    font = charts.font_at(plan.font_path, charts.FONT_SIZE)
    assert len(plan.lines[0]) > 1 and plan.lines[1] == ["Ấp Phước Ấn"]
    assert " ".join(plan.lines[0]) == label  # every word, in order
    assert all(font.getlength(line) <= charts.LABEL_WIDTH - 10 for line in plan.lines[0])
    assert plan.tops[1] - plan.tops[0] > charts.ROW  # the long row grows
    drawn = charts.svg(chart)
    assert all(f">{line}</tspan>" in drawn for line in plan.lines[0])
