"""The three documents of a review, from one content.Document: a PDF (WeasyPrint) and a DOCX
(python-docx) laid out as a party report (Hướng dẫn 36-HD/VPTW), and an XLSX (openpyxl) with one
sheet per table. Drafts say "DỰ THẢO" on every page (a fixed element in the PDF, the page header
in the DOCX and XLSX).

WeasyPrint is imported only when a PDF is rendered, so that the web process starts on a machine
without Pango.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from . import charts
from .content import Document, Table, all_tables, vn_number

DRAFT_MARK = "DỰ THẢO"
Section = tuple[str, str, Any]  # (heading, kind, value): kind h2, h3, text, table, chart, tally


def sections(doc: Document) -> list[Section]:
    """The body of the report, in order, for the PDF and the DOCX alike."""
    text = doc.narrative
    coverage_chart, category_chart = doc.charts
    with translation.override("vi"):
        return [
            (_("I. RESULTS"), "h2", None),
            (_("1. Local situation"), "text", text["situation"]),
            (_("2. Leadership and direction"), "text", text["leadership"]),
            (_("3. Results"), "text", text["results"]),
            ("", "table", doc.summary),
            ("", "table", doc.groups),
            (coverage_chart.title, "chart", coverage_chart),
            *[("", "table", table) for table in doc.reports],
            (category_chart.title, "chart", category_chart),
            *[("", "table", table) for table in doc.bulletins],
            ("", "table", doc.safety),
            ("", "tally", _("Safety assessment: %(tally)s.") % {"tally": doc.tally}),
            (_("4. Commendations"), "h3", None),
            ("", "table", doc.commendations),
            (_("5. General assessment"), "h3", None),
            (_("a) Strengths"), "text", text["strengths"]),
            (_("b) Shortcomings"), "text", text["weaknesses"]),
            (_("c) Causes"), "text", text["causes"]),
            (_("d) Lessons learnt"), "text", text["lessons"]),
            (_("II. DIRECTIONS, TASKS AND SOLUTIONS"), "h2", None),
            ("", "text", text["directions"]),
            (_("III. PROPOSALS AND RECOMMENDATIONS"), "h2", None),
            ("", "text", text["proposals"]),
        ]


def _labels() -> dict[str, str]:
    with translation.override("vi"):
        return {"total_label": _("Whole commune"), "empty_label": _("None.")}


# --- PDF ---------------------------------------------------------------------------------


def pdf_html(doc: Document) -> str:
    body = [
        (heading, kind, charts.svg(value) if kind == "chart" else value)
        for heading, kind, value in sections(doc)
    ]
    return render_to_string(
        "reviews/annualreview_pdf.html", {"doc": doc, "sections": body, **_labels()}
    )


def render_pdf(doc: Document) -> bytes:
    from weasyprint import HTML  # lazy: needs Pango, see the module docstring

    return HTML(string=pdf_html(doc)).write_pdf()


# --- DOCX --------------------------------------------------------------------------------


def _no_borders(table: Any) -> None:
    """A layout table: python-docx's default has no style, but Word may apply its own."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    properties = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        element = OxmlElement(f"w:{edge}")
        element.set(qn("w:val"), "nil")
        borders.append(element)
    # The schema orders tblPr's children: tblBorders comes before these (Word rejects otherwise).
    properties.insert_element_before(
        borders, "w:shd", "w:tblLayout", "w:tblCellMar", "w:tblLook", "w:tblCaption",
        "w:tblDescription", "w:tblPrChange",
    )  # fmt: skip


def _line(
    cell_or_doc: Any, text: str, *, size: int = 14, center: bool = True, **style: bool
) -> Any:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Pt

    paragraph = cell_or_doc.add_paragraph()
    if center:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    paragraph.paragraph_format.space_after = Pt(0)
    run = paragraph.add_run(text)
    run.font.size = Pt(size)
    run.bold = style.get("bold", False)
    run.italic = style.get("italic", False)
    run.underline = style.get("underline", False)
    return paragraph


def _header(document: Any, doc: Document) -> None:
    from docx.shared import Cm

    table = document.add_table(rows=1, cols=2)
    _no_borders(table)
    left, right = table.rows[0].cells
    left.width, right.width = Cm(7.5), Cm(9)
    for cell in (left, right):
        cell.paragraphs[0]._element.getparent().remove(cell.paragraphs[0]._element)
    _line(left, doc.settings["higher_body"])
    _line(left, doc.settings["issuing_body"], bold=True)
    _line(left, "*")
    _line(left, doc.number_line)
    _line(right, "ĐẢNG CỘNG SẢN VIỆT NAM", size=15, bold=True, underline=True)
    _line(right, doc.date_line, italic=True)


def _docx_table(document: Any, table: Table, empty: str) -> None:
    from docx.shared import Pt

    _line(document, table.title, size=12, bold=True)
    grid = document.add_table(rows=1, cols=len(table.headers))
    grid.style = "Table Grid"
    size = Pt(9 if len(table.headers) > 5 else 11)
    for cell, header in zip(grid.rows[0].cells, table.headers, strict=True):
        cell.text = header
        cell.paragraphs[0].runs[0].bold = True
        cell.paragraphs[0].runs[0].font.size = size
    for row in table.rows or [[empty] + [""] * (len(table.headers) - 1)]:
        cells = grid.add_row().cells
        for cell, value in zip(cells, row, strict=True):
            cell.text = vn_number(value) if value != "" else ""
            for run in cell.paragraphs[0].runs:
                run.font.size = size
    document.add_paragraph()


def _closing(document: Any, doc: Document) -> None:
    table = document.add_table(rows=1, cols=2)
    _no_borders(table)
    left, right = table.rows[0].cells
    left.paragraphs[0].add_run("Nơi nhận:").bold = True
    left.paragraphs[0].runs[0].italic = True
    for line in doc.recipients:
        _line(left, line, size=11, center=False)
    right.paragraphs[0]._element.getparent().remove(right.paragraphs[0]._element)
    _line(right, doc.settings["signer_on_behalf"], bold=True)
    _line(right, doc.settings["signer_title"], bold=True)
    for _blank in range(4):
        _line(right, "")
    _line(right, doc.settings["signer_name"], bold=True)


def render_docx(doc: Document) -> bytes:
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Mm, Pt, RGBColor

    document = docx.Document()
    style = document.styles["Normal"]
    style.font.name = "Times New Roman"
    style.font.size = Pt(14)
    section = document.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(15)
    if not doc.final:
        # The page header repeats on every page: the draft mark with it.
        mark = section.header.paragraphs[0]
        mark.alignment = WD_ALIGN_PARAGRAPH.CENTER
        run = mark.add_run(DRAFT_MARK)
        run.bold = True
        run.font.size = Pt(16)
        run.font.color.rgb = RGBColor(0xC0, 0x00, 0x00)
    _header(document, doc)
    _line(document, "")
    _line(document, doc.title, size=16, bold=True)
    _line(document, doc.subject, bold=True)
    _line(document, "")
    empty = _labels()["empty_label"]
    for heading, kind, value in sections(doc):
        if kind == "h2":
            _line(document, heading, bold=True, center=False)
        elif kind == "h3":
            _line(document, heading, bold=True, italic=True, center=False)
        elif kind == "text":
            if heading:
                _line(document, heading, bold=True, italic=True, center=False)
            for paragraph in (value or "").splitlines():
                if paragraph.strip():
                    para = document.add_paragraph(paragraph.strip())
                    para.paragraph_format.first_line_indent = Cm(1)
        elif kind == "tally":
            _line(document, value, bold=True, center=False)
        elif kind == "chart":
            _line(document, heading, size=12, bold=True)
            document.add_picture(io.BytesIO(charts.png(value)), width=Cm(15))
        elif kind == "table":
            _docx_table(document, value, empty)
    _closing(document, doc)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# --- XLSX --------------------------------------------------------------------------------


def render_xlsx(doc: Document) -> bytes:
    """One sheet per table: a title row, a header row, then the rows with numbers as numbers."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    workbook.remove(workbook.active)
    for table in all_tables(doc):
        sheet = workbook.create_sheet(table.key[:31])
        title = table.title if doc.final else f"{DRAFT_MARK} — {table.title}"
        sheet.append([title])
        sheet["A1"].font = Font(bold=True, size=12)
        sheet.append(table.headers)
        for cell in sheet[2]:
            cell.font = Font(bold=True)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        for row in table.rows:
            sheet.append(row)
        for column in table.percent_columns:
            for (cell,) in sheet.iter_rows(min_row=3, min_col=column + 1, max_col=column + 1):
                cell.number_format = "0.0"
        sheet.freeze_panes = "B3"
        sheet.column_dimensions["A"].width = 42
        for index in range(2, len(table.headers) + 1):
            sheet.column_dimensions[get_column_letter(index)].width = 14
        if not doc.final:
            sheet.oddHeader.center.text = DRAFT_MARK
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


RENDERERS: dict[str, Callable[[Document], bytes]] = {
    "pdf": render_pdf,
    "docx": render_docx,
    "xlsx": render_xlsx,
}
