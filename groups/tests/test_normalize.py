"""Phone numbers and search keys: pure functions, so no database and no Django here."""

import unicodedata

import phonenumbers
import pytest

from groups import normalize
from groups.normalize import (
    MOBILE_PREFIXES,
    InvalidPhone,
    format_phone_local,
    normalize_phone,
    phone_search_digits,
    search_key,
)

ALL_PREFIXES = [prefix for prefixes in MOBILE_PREFIXES.values() for prefix in prefixes]
CARRIER_PREFIXES = [
    pytest.param(prefix, id=f"{carrier}-{prefix}")
    for carrier, prefixes in MOBILE_PREFIXES.items()
    for prefix in prefixes
]
OTHER_PREFIXES = [f"0{n:02d}" for n in range(100) if f"0{n:02d}" not in ALL_PREFIXES]


def fullwidth(text: str) -> str:
    """Turn ASCII digits and "+" into their full-width forms, as some phone keyboards type them."""
    return text.translate({ord(c): ord(c) + 0xFEE0 for c in "0123456789+"})


# --- normalize_phone: accepted -------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "0912345678",
        "0912 345 678",
        "0912.345.678",
        "0912-345-678",
        "091 234 5678",
        "(0912) 345 678",
        "+84912345678",
        "+84 912 345 678",
        "+84-912-345-678",
        "84912345678",
        "84-912-345-678",
        "84 912 345 678",
        "(+84) 912 345 678",
        "(+84)912345678",
        "+84 (0) 912 345 678",
        "+84 0912 345 678",
        "0084 912 345 678",
        "  0912 345 678  ",
        "0912\u00a0345\u00a0678",  # no-break spaces, as pasted from a web page
        "0912\u2013345\u2013678",  # en dashes, as a word processor writes them
        "\t0912 345 678\n",
    ],
)
def test_normalize_phone_accepts_usual_formats(raw: str) -> None:
    assert normalize_phone(raw) == "+84912345678"


@pytest.mark.parametrize(
    "raw",
    [fullwidth("0912345678"), fullwidth("+84912345678"), fullwidth("0912 345 678")],
)
def test_normalize_phone_accepts_fullwidth_digits(raw: str) -> None:
    assert raw != raw.encode("ascii", "ignore").decode()  # really full-width
    assert normalize_phone(raw) == "+84912345678"


def test_normalize_phone_is_idempotent() -> None:
    e164 = normalize_phone("0912 345 678")
    assert normalize_phone(e164) == e164


@pytest.mark.parametrize("prefix", CARRIER_PREFIXES)
def test_normalize_phone_accepts_every_carrier_prefix(prefix: str) -> None:
    expected = "+84" + prefix[1:] + "1234567"
    assert normalize_phone(prefix + "1234567") == expected
    assert normalize_phone(f"{prefix} 123 4567") == expected
    assert normalize_phone(expected) == expected


@pytest.mark.parametrize("prefix", CARRIER_PREFIXES)
def test_normalize_phone_accepts_whole_prefix_block(prefix: str) -> None:
    # phonenumbers knows only some sub-blocks of a few prefixes (e.g. 089); the list decides.
    for rest in ("0000000", "5550123", "9999999"):
        assert normalize_phone(prefix + rest) == "+84" + prefix[1:] + rest


# The forms normalize_phone reads without phonenumbers (groups.normalize._LOCAL_MOBILE), from a
# prefix ("091") and the seven digits after it.
FAST_FORMS = (
    lambda p, r: p + r,
    lambda p, r: f"{p}{r[0]} {r[1:4]} {r[4:]}",
    lambda p, r: f"{p}{r[0]}.{r[1:4]}.{r[4:]}",
    lambda p, r: f"{p}{r[0]}-{r[1:4]}-{r[4:]}",
    lambda p, r: f"{p} {r[:3]} {r[3:]}",
)


@pytest.mark.parametrize("prefix", [*ALL_PREFIXES, *OTHER_PREFIXES[::7]])
def test_the_fast_national_forms_read_as_phonenumbers_reads_them(prefix: str) -> None:
    """Each usual national form, for every prefix (and prefixes not in the list): the fast path
    gives what phonenumbers gives, or refuses what it refuses."""
    for rest in ("0000000", "5550123", "9999999", "1000001", "0123456"):
        for form in FAST_FORMS:
            raw = form(prefix, rest)
            assert normalize._LOCAL_MOBILE.fullmatch(raw), raw  # a form of the fast path
            try:
                expected = normalize._parsed(raw)
            except InvalidPhone:
                with pytest.raises(InvalidPhone):
                    normalize_phone(raw)
            else:
                assert normalize_phone(raw) == expected, raw


def test_mobile_prefixes_are_well_formed() -> None:
    assert len(ALL_PREFIXES) == len(set(ALL_PREFIXES)), "a prefix listed under two carriers"
    assert all(len(p) == 3 and p[0] == "0" and p.isdigit() for p in ALL_PREFIXES)
    assert set(MOBILE_PREFIXES) == {"Viettel", "VinaPhone", "MobiFone", "Vietnamobile", "Gmobile"}
    assert len(ALL_PREFIXES) == 12 + 8 + 8 + 3 + 2


# --- normalize_phone: rejected -------------------------------------------------------------


@pytest.mark.parametrize("prefix", OTHER_PREFIXES)
def test_normalize_phone_rejects_prefixes_not_in_the_list(prefix: str) -> None:
    with pytest.raises(InvalidPhone):
        normalize_phone(prefix + "1234567")
    with pytest.raises(InvalidPhone):
        normalize_phone("+84" + prefix[1:] + "1234567")


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param("02812345678", id="landline-hcmc"),
        pytest.param("028 3822 1234", id="landline-hcmc-spaced"),
        pytest.param("024 3825 1234", id="landline-hanoi"),
        pytest.param("0251 3822 123", id="landline-dong-nai"),
        pytest.param("+842838221234", id="landline-international"),
        pytest.param("0123456789", id="old-prefix-012"),
        pytest.param("01234567890", id="old-11-digit-mobile"),
        pytest.param("091234567", id="9-digits"),
        pytest.param("09123456789", id="11-digits"),
        pytest.param("+8491234567", id="international-8-digits"),
        pytest.param("+849123456789", id="international-10-digits"),
        pytest.param("912345678", id="national-without-0"),
        pytest.param("+12125550123", id="usa"),
        pytest.param("+1 212 555 0123", id="usa-spaced"),
        pytest.param("+33612345678", id="france-mobile"),
        pytest.param("00912345678", id="idd-to-india"),
        pytest.param("0912abc678", id="letters-inside"),
        pytest.param("0912-FLOWER", id="vanity-letters"),
        pytest.param("abc", id="letters-only"),
        pytest.param("0912345678 ext 5", id="extension"),
        pytest.param("0912345678#1", id="hash"),
        pytest.param("0912+345678", id="plus-in-the-middle"),
        pytest.param("0912/345/678", id="slashes"),
        pytest.param("0912345678, 0987654321", id="two-numbers"),
        pytest.param("0", id="one-digit"),
        pytest.param("+", id="plus-only"),
        pytest.param("+84", id="country-code-only"),
        pytest.param("0" * 300, id="very-long"),
    ],
)
def test_normalize_phone_rejects(raw: str) -> None:
    with pytest.raises(InvalidPhone) as excinfo:
        normalize_phone(raw)
    message = str(excinfo.value)
    assert message.startswith("Số điện thoại không hợp lệ: “")
    assert "Nhập số di động Việt Nam gồm 10 chữ số bắt đầu bằng 0" in message
    assert "+84" in message
    assert excinfo.value.raw == raw


def test_invalid_phone_message_in_full() -> None:
    with pytest.raises(InvalidPhone) as excinfo:
        normalize_phone(" 0123 ")
    assert str(excinfo.value) == (
        "Số điện thoại không hợp lệ: “0123”. Nhập số di động Việt Nam gồm 10 chữ số bắt đầu "
        "bằng 0 (ví dụ 0912 345 678) hoặc +84 (ví dụ +84 912 345 678)."
    )


def test_invalid_phone_is_a_value_error() -> None:
    # Forms and the import catch ValueError; InvalidPhone must stay one.
    with pytest.raises(ValueError, match="không hợp lệ"):
        normalize_phone("028 3822 1234")


@pytest.mark.parametrize("raw", ["", "   ", "\t\n"])
def test_normalize_phone_rejects_empty(raw: str) -> None:
    with pytest.raises(InvalidPhone) as excinfo:
        normalize_phone(raw)
    assert str(excinfo.value).startswith("Chưa nhập số điện thoại.")
    assert "10 chữ số bắt đầu bằng 0" in str(excinfo.value)


def test_invalid_phone_message_shortens_long_input() -> None:
    with pytest.raises(InvalidPhone) as excinfo:
        normalize_phone("9" * 500)
    message = str(excinfo.value)
    assert "9" * 40 + "…”" in message
    assert "9" * 41 not in message


# --- format_phone_local --------------------------------------------------------------------


def test_format_phone_local() -> None:
    assert format_phone_local("+84912345678") == "0912 345 678"


@pytest.mark.parametrize("prefix", CARRIER_PREFIXES)
def test_format_phone_local_round_trips(prefix: str) -> None:
    shown = format_phone_local(normalize_phone(prefix + "1234567"))
    assert shown == f"{prefix}1 234 567"
    assert normalize_phone(shown) == "+84" + prefix[1:] + "1234567"


@pytest.mark.parametrize("value", ["", "0912345678", "+12125550123", "+8491234567", "not a phone"])
def test_format_phone_local_leaves_other_values_alone(value: str) -> None:
    # Display never raises: a bad stored value shows as it is instead of breaking the page.
    assert format_phone_local(value) == value


# --- search_key ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Nguyễn Văn Đức", "nguyen van duc"),
        ("NGUYỄN VĂN ĐỨC", "nguyen van duc"),
        ("nguyen van duc", "nguyen van duc"),
        ("Trương Thị Ngọc Ánh", "truong thi ngoc anh"),
        ("Lê Thị Hồng Nhung", "le thi hong nhung"),
        ("Phạm Quốc Hưng", "pham quoc hung"),
        ("Đặng Thị Ẩn", "dang thi an"),
        ("Ấp Thuận Phú 1", "ap thuan phu 1"),
        ("Đồng Nai", "dong nai"),
        ("đường", "duong"),
        ("ĐĐđđ", "dddd"),
        ("", ""),
    ],
)
def test_search_key(text: str, key: str) -> None:
    assert search_key(text) == key


def test_search_key_same_for_nfc_and_nfd() -> None:
    nfc = unicodedata.normalize("NFC", "Nguyễn Văn Đức Thuận Hòa Trương")
    nfd = unicodedata.normalize("NFD", nfc)
    assert nfc != nfd  # the test means something only if the inputs differ
    assert search_key(nfc) == search_key(nfd) == "nguyen van duc thuan hoa truong"


def test_search_key_same_for_old_and_new_tone_placement() -> None:
    old_hoa, new_hoa = "Ho\u00e0", "H\u00f2a"  # "Hoà" and "Hòa"
    old_thuy, new_thuy = "Thu\u1ef7", "Th\u1ee7y"  # "Thuỷ" and "Thủy"
    assert old_hoa != new_hoa
    assert old_thuy != new_thuy
    assert search_key(old_hoa) == search_key(new_hoa) == "hoa"
    assert search_key(old_thuy) == search_key(new_thuy) == "thuy"
    assert search_key("Ấp Thuận Ho\u00e0") == search_key("ấp thuận h\u00f2a")


def test_search_key_maps_d_with_stroke_that_nfd_keeps() -> None:
    # NFD leaves Đ/đ whole, so stripping combining marks alone would keep them.
    assert unicodedata.normalize("NFD", "Đđ") == "Đđ"
    assert search_key("Đức") == search_key("đức") == search_key("Duc") == "duc"


def test_search_key_maps_d_look_alikes() -> None:
    # African D (U+0189/U+0256) and eth (U+00D0/U+00F0) are typed for Đ/đ by wrong keyboards.
    assert search_key("\u0189\u1ee9c") == "duc"
    assert search_key("\u0256\u1ee9c") == "duc"
    assert search_key("\u00d0\u1ee9c") == "duc"
    assert search_key("\u00f0\u1ee9c") == "duc"


@pytest.mark.parametrize(
    "text",
    [
        "  Nguyễn   Văn  Đức ",
        "Nguyễn\tVăn\nĐức",
        "Nguyễn\u00a0Văn\u00a0Đức",
        "\u3000Nguyễn Văn Đức\u3000",
    ],
)
def test_search_key_collapses_whitespace(text: str) -> None:
    assert search_key(text) == "nguyen van duc"


def test_search_key_is_idempotent() -> None:
    key = search_key("Nguyễn Văn Đức")
    assert search_key(key) == key


def test_search_key_of_typed_query_is_found_in_name_key() -> None:
    name = search_key("Trần Thị Thuỷ")
    for typed in ("thuy", "Thủy", "THỦY", "tran thi", "Trần  Thị"):
        assert search_key(typed) in name


# --- phone_search_digits -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "digits"),
    [
        ("0912 345", "84912345"),
        ("+84 912", "84912"),
        ("912345", "912345"),
        ("912 345", "912345"),
        ("345 678", "345678"),
        ("0912.345.678", "84912345678"),
        ("0912-345-678", "84912345678"),
        ("(+84) 912", "84912"),
        ("+84912345678", "84912345678"),
        ("84-912", "84912"),
        ("0084 912", "84912"),
        ("091", "8491"),
        (fullwidth("0912 345"), "84912345"),
        ("  0912 345  ", "84912345"),
    ],
)
def test_phone_search_digits(raw: str, digits: str) -> None:
    assert phone_search_digits(raw) == digits


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "Nguyễn Văn Đức",
        "Ấp Thuận Phú 1",
        "0912abc",
        "abc123456",
        "09",
        "12",
        "+8",
        "0912+345",
    ],
)
def test_phone_search_digits_none_for_non_phone(raw: str) -> None:
    assert phone_search_digits(raw) is None


@pytest.mark.parametrize(
    "raw",
    [
        "0912 345 678",
        "0912.345.678",
        "+84912345678",
        "84-912-345-678",
        "(+84) 912 345 678",
        "0084 912 345 678",
        fullwidth("0912345678"),
    ],
)
def test_phone_search_digits_of_full_number_is_found_in_stored_form(raw: str) -> None:
    # What the search looks for must be contained in the E.164 column for the same number.
    digits = phone_search_digits(raw)
    assert digits is not None
    assert digits in normalize_phone(raw)


@pytest.mark.parametrize("typed", ["Số 1, tổ 1", "số 1 tổ 1", "So 1 - To 1", " SỐ 1,TỔ 1. "])
def test_household_key_ignores_punctuation_case_and_diacritics(typed: str) -> None:
    from groups.normalize import household_key

    assert household_key(typed) == "so 1 to 1"


@pytest.mark.parametrize("prefix", ALL_PREFIXES)
def test_the_stored_form_is_returned_as_phonenumbers_would_give_it(prefix):
    """A number already in the stored form skips phonenumbers (saves and imports normalise it
    again): the shortcut must give what the library gives, for every mobile prefix."""
    stored = "+84" + prefix[1:] + "1234567"
    library = phonenumbers.format_number(
        phonenumbers.parse(stored, "VN"), phonenumbers.PhoneNumberFormat.E164
    )
    assert normalize_phone(stored) == library == stored
    with pytest.raises(InvalidPhone):
        normalize_phone("+84" + "12" + "1234567")  # 012 is no mobile prefix
