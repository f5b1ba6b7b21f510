"""Horizontal bar charts drawn on the server: SVG for the PDF (vector, no JavaScript) and PNG for
the DOCX (python-docx embeds raster images only). Both draw the same bars from a content.Chart,
with the same font and the same label lines.

The font is chosen by what it can draw, never by a fixed path: a machine with an old font
package (Liberation 1.07 has no Ấ, ậ, ế, ư, ơ…) would print "□p Thu□n Ti□n" in the DOCX. The
candidates are the serif fonts fontconfig ranks for Vietnamese, then a fixed list; the first
whose character map holds every character of the chart is used. A label longer than its
column is wrapped onto more lines (the row grows), never cut."""

from __future__ import annotations

import io
import logging
import shutil
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape

from .content import Chart, vn_number

logger = logging.getLogger(__name__)

LABEL_WIDTH = 150  # the label column, in points; a longer label wraps
BAR_WIDTH = 300
ROW = 22  # a one-line row
LINE = 13  # each further line of a wrapped label
BAR = 14
FONT_SIZE = 11
FONT_FAMILY = "Liberation Serif, DejaVu Serif, serif"  # the SVG's; the PDF's renderer falls back
UPRIGHT = {"regular", "book", "roman", "normal"}  # fontconfig's names of a plain style
FALLBACK_FONTS = (
    "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
)


@cache
def candidate_fonts() -> tuple[str, ...]:
    """Font files that may draw a chart, best first: the upright serif fonts fontconfig ranks
    for Vietnamese (`fc-match -s 'serif:lang=vi'`), then FALLBACK_FONTS; TrueType/OpenType
    files only."""
    ranked: list[str] = []
    fc_match = shutil.which("fc-match")
    if fc_match:
        result = subprocess.run(  # noqa: S603  fixed arguments
            [fc_match, "-s", "--format=%{file}\t%{style}\n", "Liberation Serif,serif:lang=vi"],
            capture_output=True, text=True, timeout=10, check=False,
        )  # fmt: skip
        for line in result.stdout.splitlines():
            path, _tab, styles = line.partition("\t")
            if UPRIGHT & {style.strip().lower() for style in styles.split(",")}:
                ranked.append(path)
    paths = [*ranked, *FALLBACK_FONTS]
    usable = (path for path in paths if path.lower().endswith((".ttf", ".otf")))
    return tuple(dict.fromkeys(path for path in usable if Path(path).exists()))


@cache
def characters_of(path: str) -> frozenset[int]:
    """The code points a font file has glyphs for (its best character map)."""
    from fontTools.ttLib import TTFont

    with TTFont(path, lazy=True) as font:
        return frozenset(font.getBestCmap() or {})


def font_for(texts: Iterable[str], candidates: Iterable[str] | None = None) -> str | None:
    """The first candidate font that can draw every character of `texts`; if none can, the
    one that draws the most (and a warning in the log); None when there is no font at all."""
    needed = {ord(char) for text in texts for char in text if not char.isspace()}
    fonts = list(candidate_fonts() if candidates is None else candidates)
    for path in fonts:
        if needed <= characters_of(path):
            return path
    if not fonts:
        return None
    best = max(fonts, key=lambda path: len(needed & characters_of(path)))
    missing = "".join(sorted(chr(code) for code in needed - characters_of(best)))
    logger.warning("No font draws every character of a chart; %s lacks %r", best, missing)
    return best


def chart_texts(chart: Chart) -> list[str]:
    """Every string a chart draws: its labels and its values."""
    return [*chart.labels, *(vn_number(value) + chart.unit for value in chart.values)]


@dataclass
class Layout:
    """Where a chart's rows go: each label's lines, and the top of each row (in points)."""

    font_path: str | None
    lines: list[list[str]]
    tops: list[float]
    height: float


def _wrap(text: str, width: float, measure) -> list[str]:
    """`text` in lines no wider than `width` (a word longer than that gets a line of its own)."""
    lines: list[str] = []
    for word in text.split():
        if lines and measure(f"{lines[-1]} {word}") <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines or [""]


@cache
def font_at(path: str | None, size: int):
    from PIL import ImageFont

    return ImageFont.truetype(path, size) if path else ImageFont.load_default(size)


def layout(chart: Chart) -> Layout:
    path = font_for(chart_texts(chart))
    font = font_at(path, FONT_SIZE)
    lines = [_wrap(label, LABEL_WIDTH - 10, font.getlength) for label in chart.labels]
    tops, top = [], 5.0
    for label_lines in lines:
        tops.append(top)
        top += ROW + LINE * (len(label_lines) - 1)
    return Layout(path, lines, tops, top + 5)


def _scale(chart: Chart) -> float:
    return chart.maximum or max(chart.values, default=0.0) or 1.0


def svg(chart: Chart) -> str:
    """The chart as an inline SVG element (its text escaped)."""
    scale, plan = _scale(chart), layout(chart)
    width = LABEL_WIDTH + BAR_WIDTH + 60
    height = round(plan.height)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(chart.title)}" '
        f'font-family="{FONT_FAMILY}" font-size="{FONT_SIZE}">'
    ]
    for label_lines, top, value in zip(plan.lines, plan.tops, chart.values, strict=True):
        length = BAR_WIDTH * min(value, scale) / scale
        lines = "".join(
            f'<tspan x="{LABEL_WIDTH - 6}" y="{top + BAR - 3 + LINE * number:g}">'
            f"{escape(line)}</tspan>"
            for number, line in enumerate(label_lines)
        )
        parts += [
            f'<text text-anchor="end">{lines}</text>',
            f'<rect x="{LABEL_WIDTH}" y="{top:g}" width="{length:.1f}" height="{BAR}" '
            'fill="#1f4e79"/>',
            f'<text x="{LABEL_WIDTH + length + 4:.1f}" y="{top + BAR - 3:g}">'
            f"{escape(vn_number(value) + chart.unit)}</text>",
        ]
    parts.append(
        f'<line x1="{LABEL_WIDTH}" y1="0" x2="{LABEL_WIDTH}" y2="{height}" stroke="#000"/>'
    )
    parts.append("</svg>")
    return "".join(parts)


def png(chart: Chart, zoom: int = 3) -> bytes:
    """The chart as PNG bytes, drawn `zoom` times larger than the SVG for a sharp print."""
    from PIL import Image, ImageDraw

    scale, plan = _scale(chart), layout(chart)
    font = font_at(plan.font_path, FONT_SIZE * zoom)
    width = (LABEL_WIDTH + BAR_WIDTH + 60) * zoom
    height = round(plan.height * zoom)
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    left = LABEL_WIDTH * zoom
    for label_lines, top, value in zip(plan.lines, plan.tops, chart.values, strict=True):
        length = BAR_WIDTH * min(value, scale) / scale * zoom
        middle = (top + BAR / 2) * zoom
        for number, line in enumerate(label_lines):
            at = (left - 6 * zoom, middle + LINE * number * zoom)
            draw.text(at, line, fill="black", font=font, anchor="rm")
        if length:
            draw.rectangle([left, top * zoom, left + length, (top + BAR) * zoom], fill="#1f4e79")
        value_text = vn_number(value) + chart.unit
        at = (left + length + 4 * zoom, middle)
        draw.text(at, value_text, fill="black", font=font, anchor="lm")
    draw.line([left, 0, left, height], fill="black", width=zoom)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
