"""Horizontal bar charts drawn on the server: SVG for the PDF (vector, no JavaScript) and PNG for
the DOCX (python-docx embeds raster images only). Both draw the same bars from a content.Chart."""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape

from .content import Chart, vn_number

LABEL_WIDTH = 150
BAR_WIDTH = 300
ROW = 22
BAR = 14
FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf",
    "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
)


def _scale(chart: Chart) -> float:
    return chart.maximum or max(chart.values, default=0.0) or 1.0


def svg(chart: Chart) -> str:
    """The chart as an inline SVG element (its text escaped)."""
    scale = _scale(chart)
    width = LABEL_WIDTH + BAR_WIDTH + 60
    height = ROW * len(chart.values) + 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(chart.title)}" '
        'font-family="Liberation Serif, DejaVu Serif, serif" font-size="11">'
    ]
    for index, (label, value) in enumerate(zip(chart.labels, chart.values, strict=True)):
        top = 5 + index * ROW
        length = BAR_WIDTH * min(value, scale) / scale
        parts += [
            f'<text x="{LABEL_WIDTH - 6}" y="{top + BAR - 3}" text-anchor="end">'
            f"{escape(label)}</text>",
            f'<rect x="{LABEL_WIDTH}" y="{top}" width="{length:.1f}" height="{BAR}" '
            'fill="#1f4e79"/>',
            f'<text x="{LABEL_WIDTH + length + 4:.1f}" y="{top + BAR - 3}">'
            f"{escape(vn_number(value) + chart.unit)}</text>",
        ]
    parts.append(
        f'<line x1="{LABEL_WIDTH}" y1="0" x2="{LABEL_WIDTH}" y2="{height}" stroke="#000"/>'
    )
    parts.append("</svg>")
    return "".join(parts)


@cache
def _font_path() -> str | None:
    return next((path for path in FONT_CANDIDATES if Path(path).exists()), None)


def png(chart: Chart, zoom: int = 3) -> bytes:
    """The chart as PNG bytes, drawn `zoom` times larger than the SVG for a sharp print."""
    from PIL import Image, ImageDraw, ImageFont

    path = _font_path()
    font = ImageFont.truetype(path, 11 * zoom) if path else ImageFont.load_default()
    scale = _scale(chart)
    width = (LABEL_WIDTH + BAR_WIDTH + 60) * zoom
    height = (ROW * len(chart.values) + 10) * zoom
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    for index, (label, value) in enumerate(zip(chart.labels, chart.values, strict=True)):
        top = (5 + index * ROW) * zoom
        length = BAR_WIDTH * min(value, scale) / scale * zoom
        left = LABEL_WIDTH * zoom
        draw.text(
            (left - 6 * zoom, top + BAR * zoom / 2), label, fill="black", font=font, anchor="rm"
        )
        if length:
            draw.rectangle([left, top, left + length, top + BAR * zoom], fill="#1f4e79")
        value_text = vn_number(value) + chart.unit
        draw.text(
            (left + length + 4 * zoom, top + BAR * zoom / 2),
            value_text,
            fill="black",
            font=font,
            anchor="lm",
        )
    draw.line([LABEL_WIDTH * zoom, 0, LABEL_WIDTH * zoom, height], fill="black", width=zoom)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
