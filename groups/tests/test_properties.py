"""Property-based tests (hypothesis) of the normalisers and the member import parser: round
trips, idempotence, and no exception other than the documented one on arbitrary input."""

import io
import unicodedata

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from binhyen import legacy_text
from binhyen.spreadsheets import table_csv, table_xlsx
from groups.importing import COLUMNS, is_clear_mark, member_import, read_rows
from groups.normalize import (
    _ALL_PREFIXES,
    InvalidPhone,
    format_phone_local,
    household_key,
    normalize_phone,
    phone_search_digits,
    search_key,
)

FAST = settings(max_examples=200, deadline=None)

# --- Phones -------------------------------------------------------------------------------

national = st.builds(
    lambda prefix, rest: prefix + rest,
    st.sampled_from(sorted(_ALL_PREFIXES)),
    st.text("0123456789", min_size=7, max_size=7),
)
separator = st.sampled_from(["", " ", ".", "-", "\u2013", "  "])


@st.composite
def typed_phone(draw: st.DrawFn) -> tuple[str, str]:
    """A valid mobile number, as someone may type it, and its E.164 form."""
    number = draw(national)
    e164 = "+84" + number[1:]
    sep = draw(separator)
    body = f"{number[1:4]}{sep}{number[4:7]}{sep}{number[7:]}"
    form = draw(st.sampled_from(["0", "+84", "84", "0084", "(+84) ", "+84 "]))
    text = f"{form}{sep if form[-1:].isdigit() else ''}{body}"
    if form == "84" and not sep:
        text = "84" + number[1:]
    if draw(st.booleans()):  # full-width digits, as some phone keyboards send them
        text = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in text)
    padding = draw(st.sampled_from(["", " ", "\t"]))
    return padding + text + padding, e164


@FAST
@given(typed_phone())
def test_every_usual_way_of_typing_a_mobile_gives_its_e164(case: tuple[str, str]) -> None:
    text, e164 = case
    assert normalize_phone(text) == e164


@FAST
@given(national)
def test_phone_round_trip_and_idempotence(number: str) -> None:
    e164 = normalize_phone(number)
    assert normalize_phone(e164) == e164
    local = format_phone_local(e164)
    assert local.replace(" ", "") == number
    assert normalize_phone(local) == e164


@FAST
@given(st.text())
@example("0912abc678")
@example("+84 912 345 678 ext 9")
@example("٠٩١٢٣٤٥٦٧٨")  # Arabic-Indic digits
def test_arbitrary_text_is_a_valid_mobile_or_invalid_phone(text: str) -> None:
    try:
        e164 = normalize_phone(text)
    except InvalidPhone as error:
        assert str(error)  # a message for the user
    else:
        assert e164.startswith("+84") and len(e164) == 12 and e164[1:].isdigit()
        assert "0" + e164[3:5] in _ALL_PREFIXES


@FAST
@given(st.text())
def test_formatting_never_breaks_on_stored_garbage(text: str) -> None:
    assert isinstance(format_phone_local(text), str)


@FAST
@given(st.text())
def test_search_digits_are_digits_or_none(text: str) -> None:
    digits = phone_search_digits(text)
    assert digits is None or (digits.isdigit() and digits.isascii())


@FAST
@given(typed_phone(), st.integers(min_value=3, max_value=12))
def test_a_typed_prefix_of_a_number_finds_it(case: tuple[str, str], length: int) -> None:
    _text, e164 = case
    local = format_phone_local(e164)[: length + 2]
    digits = phone_search_digits(local)
    if digits is not None:
        assert digits in e164[1:]


# --- Names --------------------------------------------------------------------------------

vietnamese = st.text(
    st.characters(codec="utf-8", categories=["L", "M", "N", "Zs", "P"])
    | st.sampled_from(list("ĐđƉɖÐðàáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợ")),
    max_size=40,
)


@FAST
@given(vietnamese)
@example("Nguyễn Văn Đức")
@example("İstanbul")
def test_search_key_is_idempotent_and_ignores_unicode_form(text: str) -> None:
    key = search_key(text)
    assert search_key(key) == key
    assert search_key(unicodedata.normalize("NFC", text)) == key
    assert search_key(unicodedata.normalize("NFD", text)) == key
    assert not any(unicodedata.category(ch) == "Mn" for ch in key)
    assert key == key.strip() and "  " not in key and "đ" not in key


VIETNAMESE_LETTERS = (
    "abcdđeghiklmnopqrstuvxyàáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵ"
)
vietnamese_name = st.lists(
    st.text(st.sampled_from(VIETNAMESE_LETTERS + VIETNAMESE_LETTERS.upper()), min_size=1),
    min_size=1,
    max_size=5,
).map(" ".join)


@FAST
@given(vietnamese_name)
def test_a_name_typed_in_capitals_or_without_diacritics_has_the_same_key(name: str) -> None:
    key = search_key(name)
    assert search_key(name.upper()) == key
    assert search_key(key.upper()) == key
    assert key.isascii()


@FAST
@given(vietnamese)
def test_household_key_is_idempotent_and_plain(text: str) -> None:
    key = household_key(text)
    assert household_key(key) == key
    assert set(key) <= set("abcdefghijklmnopqrstuvwxyz0123456789 ")


# --- The import parser ----------------------------------------------------------------------

# The clear mark ("XÓA") is the one text an import reads otherwise; the member export writes it
# as text (groups/tests/test_import_blanks.py), these tables of any cells do not.
cell_text = (
    st.text(st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), max_size=30)
    .map(lambda s: unicodedata.normalize("NFC", s).strip())
    .filter(lambda s: not is_clear_mark(s.lstrip("'")))
)


def assume_no_legacy_font(rows: list[tuple[str, ...]]) -> None:
    """Text that reads as Vietnamese typed in a legacy font ("NguyÔn V¨n §øc") is converted on
    import, whoever wrote it (binhyen.legacy_text decides, with its own tests): the round trip
    holds for every other text."""
    for column in zip(*rows, strict=True):
        assume(legacy_text.detect(column).encoding == "unicode")


@FAST
@given(st.lists(st.tuples(cell_text, cell_text, cell_text), min_size=1, max_size=8))
@example([("=HYPERLINK(1)", "+84912345678", "-")])
@example([("'=1", "", "x")])
def test_csv_export_then_import_gives_the_same_cells(rows: list[tuple[str, str, str]]) -> None:
    assume_no_legacy_font(rows)
    headers = [COLUMNS["full_name"], COLUMNS["phone"], COLUMNS["notes"]]
    data = table_csv(headers, rows)
    parsed = read_rows(io.BytesIO(data), "members.csv")
    kept = [row for row in rows if any(row)]
    assert [(r["full_name"], str(r["phone"]), r["notes"]) for r in parsed] == [
        tuple(row) for row in kept
    ]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(cell_text, cell_text), min_size=1, max_size=5))
@example([("'=1", "''")])
def test_xlsx_export_then_import_gives_the_same_cells(rows: list[tuple[str, str]]) -> None:
    assume_no_legacy_font(rows)
    headers = [COLUMNS["full_name"], COLUMNS["phone"]]
    data = table_xlsx(headers, rows, title="t", widths=(10, 10))
    parsed = read_rows(io.BytesIO(data), "members.xlsx")
    kept = [row for row in rows if any(row)]
    assert [(r["full_name"], str(r["phone"])) for r in parsed] == kept


@FAST
@given(st.binary(max_size=2000), st.sampled_from(["a.csv", "a.xlsx", "a.txt", "A.CSV"]))
def test_arbitrary_bytes_are_rows_or_a_validation_error(data: bytes, name: str) -> None:
    try:
        rows = read_rows(io.BytesIO(data), name)
    except ValidationError as error:
        assert error.messages
    else:
        assert all(isinstance(row["row"], int) for row in rows)


@FAST
@given(st.lists(st.text(max_size=40), min_size=1, max_size=6))
def test_arbitrary_csv_text_with_the_headers_is_read(cells: list[str]) -> None:
    header = f"{COLUMNS['full_name']},{COLUMNS['phone']}\n"
    data = header + "\n".join(",".join(cells[i : i + 2]) for i in range(0, len(cells), 2))
    try:
        rows = read_rows(io.BytesIO(data.encode("utf-8", "surrogatepass")), "a.csv")
    except ValidationError:
        return
    assert all(set(row) <= {"row", "full_name", "phone"} for row in rows)


row_value = st.one_of(
    st.none(), st.text(max_size=20), st.integers(), st.floats(allow_nan=True), st.booleans(),
    st.dates(), st.datetimes(),
)  # fmt: skip


@pytest.mark.django_db
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.dictionaries(st.sampled_from(list(COLUMNS)), row_value), max_size=5))
def test_import_of_arbitrary_rows_reports_and_never_raises(police, rows) -> None:
    report = member_import(actor=police, rows=rows, commit=False)
    assert len(report.rows) == len(rows) and not report.saved
