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

from . import charts, maps
from .content import Document, HamletMap, Table, all_tables, vn_number

DRAFT_MARK = "DỰ THẢO"
# (heading, kind, value): kind h2, h3, text, table, chart, map, tally
Section = tuple[str, str, Any]


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
            *([(doc.map.title, "map", doc.map)] if doc.map else []),
            (category_chart.title, "chart", category_chart),
            *[("", "table", table) for table in doc.feedback],
            *[("", "table", table) for table in doc.bulletins],
            ("", "table", doc.safety),
            ("", "tally", _("Safety assessment: %(tally)s.") % {"tally": doc.tally}),
            *[
                ("", "table", table)
                for table in (doc.safety_checks, doc.safety_criteria)
                if table is not None
            ],
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


def ending_starts(body: list[Section]) -> int:
    """Where the report's last section (its h2 heading, then the closing paragraph) starts: from
    there to the signature, the documents keep the text on one page."""
    return max(index for index, (_heading, kind, _value) in enumerate(body) if kind == "h2")


def _pdf_value(kind: str, value: Any) -> Any:
    """A chart or the map as the SVG the template prints; anything else as it is."""
    if kind == "chart":
        return charts.svg(value)
    if kind == "map":
        return {"svg": maps.svg(maps.layout(value), value.title), "unplaced": _unplaced(value)}
    return value


def _unplaced(hamlet_map: HamletMap) -> str:
    """The line under the map naming the hamlets it could not draw (none: no line)."""
    return hamlet_map.unplaced_line if hamlet_map.unplaced else ""


def pdf_html(doc: Document) -> str:
    body = [(heading, kind, _pdf_value(kind, value)) for heading, kind, value in sections(doc)]
    context = {"doc": doc, "sections": body, "ending_starts": ending_starts(body), **_labels()}
    return render_to_string("reviews/annualreview_pdf.html", context)


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


# The DOCX's text width: A4 less the margins of Hướng dẫn 36 (30 mm left, 15 mm right).
TEXT_WIDTH_MM = 210 - 30 - 15
# Tables whose columns are not "a label, then figures".
COLUMN_WIDTHS_MM = {
    "Khen thưởng": [12, 50, 33, 70],
    "Tiêu chí ANTT": [12, 123, 30],
    "Tiêu chí theo ấp": [40, 30, 47.5, 47.5],
}


def column_widths_mm(table: Table) -> list[float]:
    """The first column (a hamlet's name, a figure's label) wide enough to hold its text on one
    or two lines; the figures share the rest."""
    if table.key in COLUMN_WIDTHS_MM:
        return COLUMN_WIDTHS_MM[table.key]
    count = len(table.headers)
    first = TEXT_WIDTH_MM * 0.5 if count <= 4 else 31
    return [first] + [(TEXT_WIDTH_MM - first) / (count - 1)] * (count - 1)


def _set_widths(grid: Any, widths_mm: list[float]) -> None:
    """Word reads each cell's width (python-docx writes it as tcW), LibreOffice the grid's."""
    from docx.shared import Mm

    grid.autofit = False
    for column, width in zip(grid.columns, widths_mm, strict=True):
        column.width = Mm(width)
        for cell in column.cells:
            cell.width = Mm(width)


def _docx_table(document: Any, table: Table, empty: str) -> None:
    from docx.shared import Pt

    _line(document, table.title, size=12, bold=True).paragraph_format.keep_with_next = True
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
    _set_widths(grid, column_widths_mm(table))
    document.add_paragraph()


def keep_together(paragraph: Any, *, with_next: bool = True) -> Any:
    """Word and LibreOffice move the paragraph whole, and with the next one."""
    paragraph.paragraph_format.keep_together = True
    paragraph.paragraph_format.keep_with_next = with_next
    return paragraph


def _cant_split(row: Any) -> None:
    """A table row that never breaks across pages (w:cantSplit: python-docx has no property)."""
    from docx.oxml import OxmlElement

    row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))


def _closing(document: Any, doc: Document) -> None:
    """ "Nơi nhận" and the signature (T/M ĐẢNG ỦY, the title, the signer's name) in one row that
    cannot split; the paragraphs before it are kept with it (render_docx)."""
    table = document.add_table(rows=1, cols=2)
    _no_borders(table)
    _set_widths(table, [TEXT_WIDTH_MM / 2, TEXT_WIDTH_MM / 2])
    _cant_split(table.rows[0])
    left, right = table.rows[0].cells
    left.paragraphs[0].add_run("Nơi nhận:").bold = True
    left.paragraphs[0].runs[0].italic = True
    keep_together(left.paragraphs[0])
    for line in doc.recipients:
        keep_together(_line(left, line, size=11, center=False))
    right.paragraphs[0]._element.getparent().remove(right.paragraphs[0]._element)
    keep_together(_line(right, doc.settings["signer_on_behalf"], bold=True))
    keep_together(_line(right, doc.settings["signer_title"], bold=True))
    for _blank in range(4):
        keep_together(_line(right, ""))
    keep_together(_line(right, doc.settings["signer_name"], bold=True), with_next=False)


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
    body = sections(doc)
    ending = ending_starts(body)
    for index, (heading, kind, value) in enumerate(body):
        written = len(document.paragraphs)
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
        elif kind == "map":
            _line(document, heading, size=12, bold=True).paragraph_format.keep_with_next = True
            document.add_picture(io.BytesIO(maps.png(maps.layout(value))), width=Cm(15))
            if value.unplaced:
                _line(document, _unplaced(value), size=11, italic=True)
        elif kind == "table":
            _docx_table(document, value, empty)
        if index >= ending:  # the last section stays with the signature
            for paragraph in document.paragraphs[written:]:
                keep_together(paragraph)
    _closing(document, doc)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# --- XLSX --------------------------------------------------------------------------------


def render_xlsx(doc: Document) -> bytes:
    """One sheet per table: a title row, a header row, then the rows with numbers as numbers."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

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
        _print_setup(sheet, table)
        if not doc.final:
            sheet.oddHeader.center.text = DRAFT_MARK
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# Column widths in characters: the first column's text on one line, up to this.
FIRST_COLUMN_MAX = 45
FIGURE_COLUMN = (10, 16)  # a figure column's narrowest and widest


def _print_setup(sheet: Any, table: Table) -> None:
    """Printed as it reads: A4 landscape, one page wide (as many pages long as it takes), the
    title and header rows on every page, only the table printed, columns sized to their text
    and the header row tall enough for its wrapped headers."""
    from openpyxl.styles import Alignment
    from openpyxl.utils import get_column_letter

    first = [str(table.headers[0]), *(str(row[0]) for row in table.rows)]
    widths = [min(FIRST_COLUMN_MAX, max(len(text) for text in first) + 2)]
    for index, header in enumerate(table.headers[1:], start=1):
        longest_word = max(len(word) for word in str(header).split())
        values = [len(vn_number(row[index])) for row in table.rows]
        low, high = FIGURE_COLUMN
        widths.append(max(low, min(high, max([longest_word + 2, *values]))))
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    for (cell,) in sheet.iter_rows(min_row=3, max_col=1):
        if len(str(cell.value)) > widths[0] - 2:  # a long label wraps within its column
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    lines = max(
        -(-len(str(header)) // max(1, width - 2))
        for header, width in zip(table.headers, widths, strict=True)
    )
    sheet.row_dimensions[2].height = 15 * lines
    last = f"{get_column_letter(len(table.headers))}{max(2, sheet.max_row)}"
    sheet.print_area = f"A1:{last}"
    sheet.print_title_rows = "1:2"
    setup = sheet.page_setup
    setup.orientation = sheet.ORIENTATION_LANDSCAPE
    setup.paperSize = sheet.PAPERSIZE_A4
    setup.fitToWidth, setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.horizontalCentered = True


RENDERERS: dict[str, Callable[[Document], bytes]] = {
    "pdf": render_pdf,
    "docx": render_docx,
    "xlsx": render_xlsx,
}
