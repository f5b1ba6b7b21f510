"""Vietnamese text typed in the legacy font encodings, found and converted to Unicode (NFC).

Before Unicode, Vietnamese was typed in fonts that drew Vietnamese letters in place of Latin-1
ones: TCVN3 (ABC, the ".VnTime" fonts) gives one byte to each small letter ("Nguyễn" is typed
"NguyÔn"), VNI ("VNI-Times") types a base letter followed by a mark ("Nguyeãn"). Rosters typed
that way look like mojibake once the font is gone. VIQR writes the marks as ASCII after the
letter ("Nguye^~n"); it is converted only where that cannot be ordinary punctuation.

How the text arrives decides nothing here, as long as it is read the same way:
- an .xls or .xlsx cell: Excel stores Unicode, and a key typed with a legacy font was stored as
  the Windows-1252 character of its byte (TCVN3's 0xB5, "à", arrives as "µ"), so xlrd and
  openpyxl hand over strings such as "NguyÔn V¨n §øc";
- a CSV file: bytes. `binhyen.spreadsheets.decode_csv` reads 8-bit bytes that look like a
  legacy font as Windows-1252, which gives exactly the same strings as the workbook path.
The letters both encodings use lie in 0xA0–0xFF, where Windows-1252 and Latin-1 agree.

Tables: `legacy_text.json`, data only. No PyPI package was fit to depend on (checked 2026):
`viparse` has correct TCVN3 and VNI tables but is a document loader for RAG pipelines, and
`chiecthuyenngoaixa` has no legacy encodings. Our tables were checked entry by entry against the
published code tables (the vietunicode charset tables, as carried by the `vietnamese-conversion`
npm package): all 134 letters of VNI and the 74 single-byte letters of TCVN3 agree;
binhyen/tests/test_legacy_text.py holds the code points of the standard and round-trips all 134
letters.

TCVN3 has no capital letters with a tone mark. People typed capitals either in a capital font
(".VnTimeH": the small letters' codes drawn as capitals) or, in .VnTime, as ASCII capitals with
the small toned letter ("NGUYÔN"). The first is told by the font (`capitals=True`); for the
second a cell whose ASCII letters are all capitals is converted to capitals.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Final, Literal

from django.utils.translation import gettext as _

Encoding = Literal["unicode", "tcvn3", "vni", "viqr"]
ENCODINGS: Final[tuple[Encoding, ...]] = ("unicode", "tcvn3", "vni", "viqr")
LEGACY: Final[tuple[Encoding, ...]] = ("tcvn3", "vni", "viqr")

_TABLES: Final = Path(__file__).with_name("legacy_text.json")

# A share of the accented words at least this large, read as valid Vietnamese in an encoding,
# makes a column that encoding (and more words than read as Unicode already).
DETECT_SHARE: Final = 0.5
# VIQR is plain ASCII: a couple of chance matches ("Sao?" reads as "Saỏ") must not convert a
# column, so it needs this many words with an unmistakable mark as well.
VIQR_MIN_WORDS: Final = 2
# Nor may a word or two of Latin-1 letters ("Î" reads as TCVN3 "ẻ"): the characters make a
# column TCVN3 or VNI from this many different words of two letters or more on (a roster's
# column has hundreds; fonts decide without this floor).
LEGACY_MIN_WORDS: Final = 3

_ASCII_PUNCTUATION: Final = "\"'()[]{}<>,.;:!?/\\-–—"


@dataclass(frozen=True)
class Detection:
    """What a column was typed in. `confidence` is the share of its accented words that read as
    Vietnamese in `encoding` (1.0 when a cell font named it); `reason` is for the person
    checking the preview. `capitals` is set when every legacy font of the column draws capitals
    (".VnTimeH"), so the converted text is upper case."""

    encoding: Encoding
    confidence: float
    reason: str
    capitals: bool = False


@dataclass(frozen=True)
class FontEncoding:
    encoding: Encoding
    capitals: bool


# --- Tables -------------------------------------------------------------------------------


@cache
def encode_table(encoding: Encoding) -> Mapping[str, str]:
    """Unicode letter -> its legacy form, from the data file (TCVN3 or VNI)."""
    if encoding not in ("tcvn3", "vni"):
        raise ValueError(encoding)
    return json.loads(_TABLES.read_text(encoding="utf-8"))[encoding]


@cache
def _decode_pattern(encoding: Encoding) -> tuple[re.Pattern[str], dict[str, str]]:
    decode = {legacy: letter for letter, legacy in encode_table(encoding).items()}
    # Longest first: VNI's "ôù" (ớ) before "ô" (ơ).
    alternatives = sorted(decode, key=len, reverse=True)
    return re.compile("|".join(map(re.escape, alternatives))), decode


def _fits_cp1252(text: str) -> bool:
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def encode(text: str, encoding: Encoding) -> str:
    """`text` (Unicode) as typed in a legacy encoding, read as Windows-1252: what a legacy file
    holds. TCVN3 has no toned capitals: they are written with the small letter, as a .VnTimeH
    font expects. Used to build test files and to check the tables."""
    text = unicodedata.normalize("NFC", text)
    if encoding == "unicode":
        return text
    if encoding == "viqr":
        return "".join(_viqr_encode(ch) for ch in text)
    table = encode_table(encoding)
    out = []
    for ch in text:
        legacy = table.get(ch)
        if legacy is None and encoding == "tcvn3" and ch.lower() != ch:
            legacy = table.get(ch.lower())
        out.append(ch if legacy is None else legacy)
    return "".join(out)


# --- Converting ---------------------------------------------------------------------------


def convert(text: str, encoding: Encoding, *, capitals: bool = False) -> str:
    """`text` read in `encoding`, as Unicode NFC. A text holding a letter that only Unicode has
    (ư, ễ, ...) was not typed in a legacy font and comes back unchanged (NFC), so converting a
    column that mixes both is safe. `capitals`: the cell's font draws capitals (".VnTimeH")."""
    text = unicodedata.normalize("NFC", text)
    if encoding == "unicode" or not text:
        return text
    if encoding == "viqr":
        return _viqr_decode(text) if text.isascii() else text
    if not _fits_cp1252(text):  # e.g. "ư", "ễ": typed in Unicode
        return text
    pattern, decode = _decode_pattern(encoding)
    converted = pattern.sub(lambda match: decode[match[0]], text)
    if encoding == "tcvn3" and (capitals or _typed_in_capitals(text)):
        converted = converted.upper()
    return unicodedata.normalize("NFC", converted)


def _typed_in_capitals(text: str) -> bool:
    """A TCVN3 text whose ASCII letters are all capitals, with a word of two or more of them
    ("NGUYÔN V¡N A"), was typed in capitals: its toned letters, small in TCVN3, are capitals
    too. Capitalised words alone ("Lª Hµ", "Tæ 1") are read as capitalised."""
    letters = [ch for ch in text if ch.isascii() and ch.isalpha()]
    if not letters or not all(ch.isupper() for ch in letters):
        return False
    return any(sum(ch.isascii() and ch.isalpha() for ch in word) >= 2 for word in text.split())


# --- VIQR ---------------------------------------------------------------------------------

_VIQR_MODIFIERS: Final = {"(": "\u0306", "^": "\u0302", "+": "\u031b"}
_VIQR_TONES: Final = {"'": "\u0301", "`": "\u0300", "?": "\u0309", "~": "\u0303", ".": "\u0323"}
_VIQR_TONE_KEYS: Final = frozenset(_VIQR_TONES.values())
_VIQR_BASES: Final = {
    "(": frozenset("aA"),
    "^": frozenset("aeoAEO"),
    "+": frozenset("ouOU"),
}
_VOWELS: Final = frozenset("aeiouyAEIOUY")
_VIQR_WORD: Final = re.compile(r"[A-Za-z][A-Za-z(^+'`?~.\-]*")


def _viqr_encode(ch: str) -> str:
    if ch in "đĐ":
        return "dd" if ch == "đ" else "DD"
    decomposed = unicodedata.normalize("NFD", ch)
    if len(decomposed) == 1:
        return ch
    # VIQR writes the letter's modifier before its tone; NFD orders a dot below first.
    marks = sorted(decomposed[1:], key=lambda mark: mark in _VIQR_TONE_KEYS)
    keys = {mark: key for key, mark in {**_VIQR_MODIFIERS, **_VIQR_TONES}.items()}
    return decomposed[0] + "".join(keys.get(mark, mark) for mark in marks)


def _viqr_decode(text: str) -> str:
    end = len(text.rstrip())
    return _VIQR_WORD.sub(lambda match: _viqr_word(match[0], final=match.end() == end)[0], text)


def _viqr_word(word: str, *, final: bool = True) -> tuple[str, bool]:
    """(the word converted, whether it carried an unmistakable mark). A word is converted only
    when the result is one Vietnamese syllable; otherwise it is left as typed ("e.g." stays).
    A "." or "?" ending the `final` word of a text is punctuation ("Sao?"), unless it follows a
    modifier ("Ho^."); inside a text it is a tone mark ("Thi. Lan" is "Thị Lan")."""
    out: list[str] = []
    clear = False
    i = 0
    while i < len(word):
        ch = word[i]
        rest = word[i + 1 :]
        if ch in "dD" and rest[:1] in ("d", "D", "-"):
            out.append("đ" if ch == "d" else "Đ")
            clear = True
            i += 2
            continue
        if ch not in _VOWELS:
            out.append(ch)
            i += 1
            continue
        marks = ""
        j = i + 1
        if j < len(word) and word[j] in _VIQR_MODIFIERS and ch in _VIQR_BASES[word[j]]:
            marks += _VIQR_MODIFIERS[word[j]]
            clear = True
            j += 1
        if j < len(word) and word[j] in _VIQR_TONES:
            at_end = j + 1 == len(word)
            # A final "." or "?" is punctuation unless it follows a modifier ("Ho^.").
            if not (at_end and final and word[j] in ".?" and not marks and not clear):
                marks += _VIQR_TONES[word[j]]
                clear = clear or not at_end
                j += 1
        out.append(unicodedata.normalize("NFC", ch + marks))
        i = j
    converted = "".join(out)
    if converted == word or not _is_syllable(converted):
        return word, False
    return converted, clear


# --- Telling Vietnamese words ---------------------------------------------------------------

_TONE_MARKS: Final = frozenset("\u0300\u0301\u0303\u0309\u0323")
_ONSET: Final = "ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|b|c|d|đ|g|h|k|l|m|n|p|r|s|t|v|x"
# Vowel groups of Vietnamese syllables (without the tone mark), longest first.
_NUCLEI: Final = sorted(
    re.split(
        r"\s+",
        "a ă â e ê i o ô ơ u ư y ai ao au ay âu ây eo êu ia iê iu oa oă oe oi oo ôi ơi ua uâ uê "
        "ui uô uơ uy ưa ưi ươ ưu yê iêu oai oay oao oeo uây uôi uya uyê uyu ươi ươu yêu",
    ),
    key=len,
    reverse=True,
)
_CODA: Final = "ch|nh|ng|c|k|m|n|p|t"  # "k" for place names such as Đắk Lua
_SYLLABLE: Final = re.compile(rf"(?:{_ONSET})?(?:{'|'.join(_NUCLEI)})(?:{_CODA})?")


def _is_syllable(word: str) -> bool:
    """Whether `word` (Unicode) is one Vietnamese syllable: onset, vowels, final consonant, and
    at most one tone mark. A loose test, enough to tell Vietnamese from mojibake."""
    decomposed = unicodedata.normalize("NFD", word.casefold())
    tones = sum(1 for ch in decomposed if ch in _TONE_MARKS)
    if tones > 1:
        return False
    bare = unicodedata.normalize("NFC", "".join(ch for ch in decomposed if ch not in _TONE_MARKS))
    return _SYLLABLE.fullmatch(bare) is not None


def _words(texts: Iterable[object]) -> Iterable[str]:
    for text in texts:
        if isinstance(text, str):
            for word in text.split():
                word = word.strip(_ASCII_PUNCTUATION)
                if word:
                    yield word


@dataclass
class _Tally:
    """Words with a letter beyond ASCII, and what they read as. A word that reads as Vietnamese
    both as it is and in a legacy encoding ("TÊn": "TÊn" or "Tấn") is evidence for neither."""

    accented: int = 0
    valid: int = 0  # read as Vietnamese as they are
    unicode: int = 0  # ... and in no legacy encoding, or hold a letter only Unicode has
    tcvn3: int = 0  # read as Vietnamese in TCVN3 only
    vni: int = 0
    viqr: int = 0  # ASCII words with an unmistakable VIQR mark
    legacy_words: set[str] = field(default_factory=set)  # distinct, of two letters or more


def _tally(texts: Iterable[object]) -> _Tally:
    tally = _Tally()
    for word in _words(texts):
        if word.isascii():
            tally.viqr += _viqr_word(word)[1]
            continue
        tally.accented += 1
        as_is = _is_syllable(word)
        tally.valid += as_is
        if not _fits_cp1252(word):
            tally.unicode += 1
            continue
        legacy = [enc for enc in ("tcvn3", "vni") if _reads_as(word, enc)]
        if as_is:
            tally.unicode += not legacy
            continue
        for encoding in legacy:
            setattr(tally, encoding, getattr(tally, encoding) + 1)
        if legacy and len(word) > 1:
            tally.legacy_words.add(word)
    return tally


def _reads_as(word: str, encoding: Encoding) -> bool:
    converted = convert(word, encoding)
    return converted != word and _is_syllable(converted)


def vietnamese_share(texts: Iterable[object]) -> float:
    """The share of words with a letter beyond ASCII that read as Vietnamese Unicode as they
    are (0.0 when there are none): how much a reading of some bytes looks like Vietnamese."""
    tally = _tally(texts)
    return tally.valid / tally.accented if tally.accented else 0.0


# --- Detecting ----------------------------------------------------------------------------

_TCVN3_FONT: Final = re.compile(r"\s*\.Vn", re.IGNORECASE)
_VNI_FONT: Final = re.compile(r"\s*VNI[- ]", re.IGNORECASE)
_NAMES: Final[Mapping[Encoding, str]] = {
    "unicode": "Unicode",
    "tcvn3": "TCVN3 (ABC)",
    "vni": "VNI",
    "viqr": "VIQR",
}


def encoding_name(encoding: Encoding) -> str:
    """How the encoding is called in messages ("TCVN3 (ABC)")."""
    return _NAMES[encoding]


def font_encoding(font_name: str | None) -> FontEncoding | None:
    """The legacy encoding a font name stands for: ".VnTime", ".VnArial", ... are TCVN3 (the
    capital fonts end in "H": ".VnTimeH"); "VNI-Times", "VNI-Helve", ... are VNI."""
    if not font_name:
        return None
    if _TCVN3_FONT.match(font_name):
        return FontEncoding("tcvn3", capitals=font_name.rstrip().endswith("H"))
    if _VNI_FONT.match(font_name):
        return FontEncoding("vni", capitals=False)
    return None


def detect(texts: Iterable[object], font_names: Iterable[str] = ()) -> Detection:
    """What the texts of one column were typed in: from the cell fonts when they name a legacy
    font, else from the characters. A column of Unicode Vietnamese, English, numbers, phone
    numbers or dates is "unicode" (so converting changes nothing)."""
    texts = list(texts)
    tally = _tally(texts)
    fonts = {f: enc for f in font_names if (enc := font_encoding(f)) is not None}
    if fonts:
        return _from_fonts(fonts, tally)
    if tally.accented:
        best = max(("tcvn3", "vni"), key=lambda encoding: getattr(tally, encoding))
        found = getattr(tally, best)
        share = found / tally.accented
        enough = len(tally.legacy_words) >= LEGACY_MIN_WORDS
        if found > tally.unicode and share >= DETECT_SHARE and enough:
            return Detection(
                best,
                share,
                _("%(found)d of %(total)d words with diacritics read as Vietnamese in %(name)s.")
                % {"found": found, "total": tally.accented, "name": encoding_name(best)},
            )
    if tally.viqr >= VIQR_MIN_WORDS and tally.viqr > tally.unicode:
        marked = sum(1 for word in _words(texts) if word.isascii() and _has_viqr_mark(word))
        share = tally.viqr / max(marked, 1)
        if share >= DETECT_SHARE:
            return Detection(
                "viqr",
                share,
                _("%(found)d words are written in VIQR (marks typed after the letters).")
                % {"found": tally.viqr},
            )
    legacy = max(tally.tcvn3, tally.vni)
    confidence = 1 - legacy / tally.accented if tally.accented else 1.0
    return Detection("unicode", confidence, _("No legacy Vietnamese encoding found."))


def _has_viqr_mark(word: str) -> bool:
    return any(ch in _VIQR_MODIFIERS or ch in _VIQR_TONES for ch in word[1:])


def _from_fonts(fonts: Mapping[str, FontEncoding], tally: _Tally) -> Detection:
    encodings = {font.encoding for font in fonts.values()}
    # Two legacy fonts in one column: the characters choose between them.
    encoding = max(sorted(encodings), key=lambda name: getattr(tally, name))
    names = sorted(name for name, font in fonts.items() if font.encoding == encoding)
    if tally.unicode > getattr(tally, encoding):
        # A legacy font on cells typed later in Unicode: the text shows that it is Unicode.
        return Detection(
            "unicode",
            tally.unicode / tally.accented,
            _("The cells use the font %(fonts)s, but their text is already Unicode.")
            % {"fonts": ", ".join(names)},
        )
    capitals = all(font.capitals for font in fonts.values() if font.encoding == encoding)
    return Detection(
        encoding,
        1.0,
        _("The cells use the font %(fonts)s (%(name)s).")
        % {"fonts": ", ".join(names), "name": encoding_name(encoding)},
        capitals=capitals,
    )
