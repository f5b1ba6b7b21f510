"""Legacy Vietnamese encodings: the tables letter by letter, known strings, and detection."""

import unicodedata

import pytest

from binhyen.legacy_text import convert, detect, encode, encode_table, font_encoding

# The 134 Vietnamese letters beyond ASCII: 12 vowels x 5 tones, ă â ê ô ơ ư and đ, both cases.
_SMALL = (
    "àáảãạ ăằắẳẵặ âầấẩẫậ èéẻẽẹ êềếểễệ ìíỉĩị òóỏõọ ôồốổỗộ ơờớởỡợ ùúủũụ ưừứửữự ỳýỷỹỵ đ"
).replace(" ", "")
LETTERS = _SMALL + _SMALL.upper()

# TCVN 5712:1993 VN3 (ABC), as published: code point of each small letter and of the 14 letters
# without a tone mark. Typed here from the standard, independently of legacy_text.json.
TCVN3_CODES = {
    "Ă": 0xA1, "Â": 0xA2, "Ê": 0xA3, "Ô": 0xA4, "Ơ": 0xA5, "Ư": 0xA6, "Đ": 0xA7,
    "ă": 0xA8, "â": 0xA9, "ê": 0xAA, "ô": 0xAB, "ơ": 0xAC, "ư": 0xAD, "đ": 0xAE,
    "à": 0xB5, "ả": 0xB6, "ã": 0xB7, "á": 0xB8, "ạ": 0xB9,
    "ằ": 0xBB, "ẳ": 0xBC, "ẵ": 0xBD, "ắ": 0xBE, "ặ": 0xC6,
    "ầ": 0xC7, "ẩ": 0xC8, "ẫ": 0xC9, "ấ": 0xCA, "ậ": 0xCB,
    "è": 0xCC, "ẻ": 0xCE, "ẽ": 0xCF, "é": 0xD0, "ẹ": 0xD1,
    "ề": 0xD2, "ể": 0xD3, "ễ": 0xD4, "ế": 0xD5, "ệ": 0xD6,
    "ì": 0xD7, "ỉ": 0xD8, "ĩ": 0xDC, "í": 0xDD, "ị": 0xDE,
    "ò": 0xDF, "ỏ": 0xE1, "õ": 0xE2, "ó": 0xE3, "ọ": 0xE4,
    "ồ": 0xE5, "ổ": 0xE6, "ỗ": 0xE7, "ố": 0xE8, "ộ": 0xE9,
    "ờ": 0xEA, "ở": 0xEB, "ỡ": 0xEC, "ớ": 0xED, "ợ": 0xEE,
    "ù": 0xEF, "ủ": 0xF1, "ũ": 0xF2, "ú": 0xF3, "ụ": 0xF4,
    "ừ": 0xF5, "ử": 0xF6, "ữ": 0xF7, "ứ": 0xF8, "ự": 0xF9,
    "ỳ": 0xFA, "ỷ": 0xFB, "ỹ": 0xFC, "ý": 0xFD, "ỵ": 0xFE,
}  # fmt: skip

# VNI-Windows, as published: a sample of every kind of entry (mark after the base letter, the
# one-character letters, capitals).
VNI_SAMPLES = {
    "á": "aù", "à": "aø", "ả": "aû", "ã": "aõ", "ạ": "aï", "ă": "aê", "ắ": "aé", "ằ": "aè",
    "ẳ": "aú", "ẵ": "aü", "ặ": "aë", "â": "aâ", "ấ": "aá", "ầ": "aà", "ẩ": "aå", "ẫ": "aã",
    "ậ": "aä", "ễ": "eã", "ơ": "ô", "ớ": "ôù", "ư": "ö", "ự": "öï", "ỉ": "æ", "ĩ": "ó",
    "ị": "ò", "ỵ": "î", "đ": "ñ", "Đ": "Ñ", "Ứ": "ÖÙ", "Ễ": "EÃ", "Ỵ": "Î", "Ị": "Ò",
}  # fmt: skip


def test_the_letters_are_the_134():
    assert len(LETTERS) == 134 == len(set(LETTERS))
    assert set(encode_table("vni")) == set(LETTERS)


@pytest.mark.parametrize("letter", list(LETTERS))
def test_every_letter_round_trips_through_vni(letter):
    legacy = encode(letter, "vni")
    assert legacy != letter or letter in "ìíÌÍ"  # VNI's ì í are Latin-1's
    assert convert(legacy, "vni") == letter


@pytest.mark.parametrize("letter", list(LETTERS))
def test_every_letter_round_trips_through_tcvn3(letter):
    """TCVN3 has the small letters; a toned capital is the small letter in a capital font."""
    legacy = encode(letter, "tcvn3")
    assert len(legacy) == 1 and 0xA1 <= ord(legacy) <= 0xFE
    capital = letter.isupper() and letter not in "ĂÂÊÔƠƯĐ"
    assert convert(legacy, "tcvn3", capitals=capital) == letter


@pytest.mark.parametrize("letter", list(_SMALL) + list("ĂÂÊÔƠƯĐ"))
def test_tcvn3_table_has_the_code_points_of_the_standard(letter):
    assert encode_table("tcvn3")[letter] == bytes([TCVN3_CODES[letter]]).decode("cp1252")
    assert encode_table("tcvn3")[letter] == bytes([TCVN3_CODES[letter]]).decode("latin-1")


@pytest.mark.parametrize(("letter", "legacy"), VNI_SAMPLES.items())
def test_vni_table_has_the_published_sequences(letter, legacy):
    assert encode(letter, "vni") == legacy


@pytest.mark.parametrize(
    ("legacy", "encoding", "unicode"),
    [
        ("NguyÔn V¨n §øc", "tcvn3", "Nguyễn Văn Đức"),
        ("Nguyeãn Vaên Ñöùc", "vni", "Nguyễn Văn Đức"),
        ("Êp ThuËn Phó 1, x· ThuËn Lîi", "tcvn3", "ấp Thuận Phú 1, xã Thuận Lợi"),
        ("Tæ 1", "tcvn3", "Tổ 1"),
        ("NGUYÔN V¡N §øC", "tcvn3", "NGUYỄN VĂN ĐỨC"),  # capitals typed in .VnTime
        ("Lª Hµ", "tcvn3", "Lê Hà"),  # capitalised, not capitals
        ("AÁp Thuaän Phuù 1, xaõ Thuaän Lôïi", "vni", "Ấp Thuận Phú 1, xã Thuận Lợi"),
        ("NGUYEÃN VAÊN ÑÖÙC", "vni", "NGUYỄN VĂN ĐỨC"),
        ("Nguye^~n Va(n DDu+'c", "viqr", "Nguyễn Văn Đức"),
        ("Nguye^~n Thi. Lan", "viqr", "Nguyễn Thị Lan"),
    ],
)
def test_known_strings(legacy, encoding, unicode):
    converted = convert(legacy, encoding)
    assert converted == unicode
    assert unicodedata.is_normalized("NFC", converted)


def test_tcvn3_soft_hyphen_is_the_letter_u_horn():
    """ư is TCVN3's 0xAD, which Windows-1252 shows as a soft hyphen: it must not be lost."""
    assert convert("Tr\u00adêng", "tcvn3") == "Trường"


def test_capital_font_converts_to_capitals():
    assert convert("nguyÔn v¨n §øc", "tcvn3", capitals=True) == "NGUYỄN VĂN ĐỨC"


@pytest.mark.parametrize("encoding", ["tcvn3", "vni", "viqr"])
@pytest.mark.parametrize(
    "text",
    ["Nguyễn Văn Đức", "Trường Thịnh", "TrÇn ThÞ Lª, Thuận", "Hello World", "0912 345 678", ""],
)
def test_unicode_and_ascii_text_is_never_changed_by_a_legacy_reading(text, encoding):
    """A cell with a letter Windows-1252 cannot hold was typed in Unicode (a row added later to
    a legacy list) and stays as it is; so does plain ASCII (names, numbers, dates)."""
    assert convert(text, encoding) == text


def test_viqr_leaves_ordinary_punctuation():
    """Only where the result is a Vietnamese syllable; a final "?" or "." ends the text."""
    text = "Hello. e.g. added O'Brien, Sao?"
    assert convert(text, "viqr") == text


NAMES = ["Nguyễn Văn Đức", "Trần Thị Lê", "Lê Hà", "Phạm Minh Tuấn", "Hoàng Thị Hồng"]


@pytest.mark.parametrize("encoding", ["unicode", "tcvn3", "vni", "viqr"])
def test_detect_from_the_characters(encoding):
    column = [encode(name, encoding) for name in NAMES]
    detection = detect(column)
    assert detection.encoding == encoding
    assert detection.reason
    assert [convert(text, detection.encoding) for text in column] == NAMES


@pytest.mark.parametrize(
    "column",
    [
        ["Hello World", "John Smith", "José García", "café", "Müller", "Noël"],
        ["0912 345 678", "+84 912 345 678", "2024-01-05", "12", "", None, 5.0],
        ["Sao?", "Hello.", "Mr. Smith", "e.g.", "It's", "added"],
        NAMES,
    ],
)
def test_english_numbers_and_unicode_stay_unicode(column):
    detection = detect(column)
    assert detection.encoding == "unicode"
    assert [convert(t, "unicode") if isinstance(t, str) else t for t in column] == column


def test_detect_a_mixed_column_by_its_majority():
    """An old list with a few rows added later in Unicode: TCVN3, and the Unicode rows stay."""
    column = [encode(name, "tcvn3") for name in NAMES] + ["Võ Thị Ưng", "Đặng Văn Lực"]
    detection = detect(column)
    assert detection.encoding == "tcvn3"
    assert [convert(t, "tcvn3") for t in column] == [*NAMES, "Võ Thị Ưng", "Đặng Văn Lực"]


def test_detect_columns_of_a_mixed_file_separately():
    rows = [
        (encode(n, "tcvn3"), f"09{i}2 345 678", encode(n, "vni"), n) for i, n in enumerate(NAMES)
    ]
    found = [detect(column).encoding for column in zip(*rows, strict=True)]
    assert found == ["tcvn3", "unicode", "vni", "unicode"]


@pytest.mark.parametrize(
    ("font", "encoding", "capitals"),
    [
        (".VnTime", "tcvn3", False),
        (".VnTimeH", "tcvn3", True),
        (".VnArial NarrowH", "tcvn3", True),
        ("VNI-Times", "vni", False),
        ("VNI-Helve", "vni", False),
    ],
)
def test_font_names(font, encoding, capitals):
    found = font_encoding(font)
    assert found is not None and (found.encoding, found.capitals) == (encoding, capitals)


@pytest.mark.parametrize("font", ["Arial", "Times New Roman", "Calibri", "", None, "Vni"])
def test_other_fonts_name_no_encoding(font):
    assert font_encoding(font) is None


def test_detect_from_the_fonts():
    """The font decides even where the characters alone would not (one short word)."""
    detection = detect(["Hµ"], {".VnTime", "Arial"})
    assert (detection.encoding, detection.confidence, detection.capitals) == ("tcvn3", 1.0, False)
    assert ".VnTime" in detection.reason
    assert detect(["§øc"], {".VnTimeH"}).capitals
    assert detect(["Ñöùc"], {"VNI-Times"}).encoding == "vni"


def test_a_legacy_font_on_unicode_text_is_unicode():
    assert detect(NAMES, {".VnTime"}).encoding == "unicode"


def test_two_legacy_fonts_the_characters_choose():
    column = [encode(name, "vni") for name in NAMES]
    assert detect(column, {".VnTime", "VNI-Times"}).encoding == "vni"
