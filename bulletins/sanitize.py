"""The bulletin body's HTML, cleaned with nh3 (the maintained successor of bleach), the
Zalo-ready plain text derived from it, and the body as officers type it.

Officers type text, not HTML: `body_html` turns a blank line into a new paragraph, a line break
into <br>, lines starting with "- " or "1. " into lists and bare web addresses into links, then
cleans the result like any HTML. A body that already is HTML (it has a paragraph, list or line
break tag: older bulletins, the guides, API clients) is cleaned as it is. `body_text` is the way
back, for the edit form: the stored HTML as it would have been typed.

Only a small subset survives: paragraphs, line breaks, bold/italic/underline, lists, two heading
levels, quotes and links (http, https, mailto, tel). No script, style, iframe, SVG, form, image,
event handler, `style`/`class` attribute, `javascript:` or `data:` URL: the body is shown marked
safe, so this function is what keeps it safe.

nh3 (1.5 MiB) is imported by the functions that call it: a web worker that only shows bulletins,
whose bodies were cleaned when saved, never loads it (#20: a worker's memory).
"""

from __future__ import annotations

import html
import itertools
import re
from html.parser import HTMLParser

ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "b",
    "em",
    "i",
    "u",
    "ul",
    "ol",
    "li",
    "h3",
    "h4",
    "blockquote",
    "a",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = {"http", "https", "mailto", "tel"}


def clean_html(value: str) -> str:
    """The body with everything outside the allowed subset removed (text kept, tags dropped;
    the content of script and style dropped too)."""
    import nh3

    return nh3.clean(
        value or "",
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    ).strip()


# --- text as typed -> HTML -------------------------------------------------------------------

# A block tag of the subset (or a div) says the body is HTML already; inline tags (<b>, <a>) do
# not: they may be written inside typed text and are kept.
_HTML_BLOCK = re.compile(r"<\s*/?\s*(p|br|ul|ol|li|h3|h4|blockquote|div)\b", re.IGNORECASE)
_BLANK_LINE = re.compile(r"\n[ \t\u00a0]*\n")
_BULLET = re.compile(r"^[-+*•–]\s+(.*)$")
_NUMBER = re.compile(r"^\d{1,3}[.)]\s+(.*)$")
_TAG = re.compile(r"(<[^<>]*>)")
_A_OPEN = re.compile(r"^<\s*a\b", re.IGNORECASE)
_A_CLOSE = re.compile(r"^<\s*/\s*a\s*>$", re.IGNORECASE)
_URL = re.compile(r"https?://[^\s<>\"']+")
_URL_TRAIL = ".,;:!?)"
_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")
_EMPTY_PARAGRAPH = re.compile(r"<p>\s*</p>")


def is_html(value: str) -> bool:
    return bool(_HTML_BLOCK.search(value or ""))


def _link(match: re.Match) -> str:
    url = match[0].rstrip(_URL_TRAIL)
    trail = match[0][len(url) :]
    return f'<a href="{html.escape(url)}">{html.escape(url, quote=False)}</a>{trail}'


def _linkify(line: str) -> str:
    """Bare http(s) addresses become links, except inside a tag or an <a> already written."""
    out, inside_link = [], False
    for part in _TAG.split(line):
        if _TAG.fullmatch(part):
            inside_link = bool(_A_OPEN.match(part)) or (inside_link and not _A_CLOSE.match(part))
            out.append(part)
        else:
            out.append(part if inside_link else _URL.sub(_link, part))
    return "".join(out)


def _block_html(chunk: str) -> str:
    """One chunk between blank lines: runs of plain lines make a paragraph (lines joined by
    <br>), runs of "- " or "1. " lines a list; an indented line continues the list item above."""
    runs: list[tuple[str, list[str]]] = []
    for raw in chunk.split("\n"):
        line = raw.strip()
        if not line:
            continue
        if bullet := _BULLET.match(line):
            kind, content = "ul", bullet[1]
        elif number := _NUMBER.match(line):
            kind, content = "ol", number[1]
        elif runs and runs[-1][0] != "p" and raw[:1].isspace():
            runs[-1][1][-1] += "<br>" + _linkify(line)
            continue
        else:
            kind, content = "p", line
        if not runs or runs[-1][0] != kind:
            runs.append((kind, []))
        runs[-1][1].append(_linkify(content))
    parts = []
    for kind, lines in runs:
        if kind == "p":
            parts.append("<p>" + "<br>".join(lines) + "</p>")
        else:
            parts.append(f"<{kind}>" + "".join(f"<li>{item}</li>" for item in lines) + f"</{kind}>")
    return "".join(parts)


def body_html(value: str) -> str:
    """The body to store: typed text made into paragraphs, lists and links, or HTML as given;
    cleaned by `clean_html` either way, so nothing outside the subset is ever stored."""
    value = (value or "").replace("\r\n", "\n").replace("\r", "\n")
    if is_html(value):
        return clean_html(value)
    typed = clean_html("".join(_block_html(chunk) for chunk in _BLANK_LINE.split(value)))
    # A line of nothing but removed tags leaves an empty paragraph behind.
    return _EMPTY_PARAGRAPH.sub("", typed)


# --- HTML -> text as typed --------------------------------------------------------------------


class _Unrepresentable(Exception):
    """The HTML has something typed text cannot say (a heading, a quote, a nested list...)."""


class _TextWriter(HTMLParser):
    """Writes clean HTML (the output of `clean_html`) back as typed text. Inline tags stay as
    written, except links whose text is their address, which become the bare address."""

    INLINE = {"strong", "b", "em", "i", "u"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[tuple[str | None, str]] = []
        self.buffer: list[str] = []
        self.block: str | None = None  # "p", "ul", "ol" or None (loose text)
        self.items = 0  # list items begun in the current list
        self.in_item = False
        self.links: list[tuple[int, str, str | None]] = []

    def flush(self) -> None:
        text = "".join(self.buffer).strip()
        if text:
            self.blocks.append((self.block, text))
        self.buffer = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            if self.block in ("p", None):
                self.buffer.append("\n")
            elif self.in_item:
                self.buffer.append("\n   ")
            else:
                raise _Unrepresentable
        elif tag in ("p", "ul", "ol"):
            if self.block is not None:
                raise _Unrepresentable
            self.flush()
            self.block, self.items = tag, 0
        elif tag == "li":
            if self.block not in ("ul", "ol") or self.in_item:
                raise _Unrepresentable
            self.items += 1
            self.in_item = True
            marker = "- " if self.block == "ul" else f"{self.items}. "
            self.buffer.append(marker if self.items == 1 else "\n" + marker)
        elif tag in self.INLINE:
            self.buffer.append(f"<{tag}>")
        elif tag == "a":
            values = dict(attrs)
            self.links.append((len(self.buffer), values.get("href") or "", values.get("title")))
        else:
            raise _Unrepresentable

    def handle_endtag(self, tag: str) -> None:
        if tag in ("p", "ul", "ol"):
            self.flush()
            self.block = None
        elif tag == "li":
            self.in_item = False
        elif tag in self.INLINE:
            self.buffer.append(f"</{tag}>")
        elif tag == "a" and self.links:
            start, href, title = self.links.pop()
            inner = "".join(self.buffer[start:])
            del self.buffer[start:]
            if html.unescape(inner) == href and not title and _URL.fullmatch(href):
                self.buffer.append(inner)
            else:
                title_attr = f' title="{html.escape(title)}"' if title else ""
                self.buffer.append(f'<a href="{html.escape(href)}"{title_attr}>{inner}</a>')

    def handle_data(self, data: str) -> None:
        if self.block in ("ul", "ol") and not self.in_item:
            if data.strip():
                raise _Unrepresentable
            return
        if self.block is not None:
            data = data.replace("\n", " ")
        # A "<" that would open a tag when typed again stays escaped; "<3" and "&" read as such.
        self.buffer.append(_TAG_START.sub("&lt;", data))

    def text(self) -> str:
        self.flush()
        text, previous = "", None
        for kind, block in self.blocks:
            if kind == "p":
                lines = [line.strip() for line in block.split("\n")]
                # A paragraph's line that reads like a list item would come back as a list.
                if any(_BULLET.match(line) or _NUMBER.match(line) for line in lines):
                    raise _Unrepresentable
                block = "\n".join(lines)
            # A list right under the paragraph that opens it ("Bà con lưu ý:") needs no blank
            # line to stay apart and is mostly typed without one; anything else is.
            if text:
                text += "\n" if previous == "p" and kind in ("ul", "ol") else "\n\n"
            text += block
            previous = kind
        return text


def body_text(body: str) -> str:
    """The stored body as the officer would type it again (the edit form): paragraphs apart by a
    blank line, lists as "- " and "1. " lines. HTML that typed text cannot say (a heading, a
    quote, a nested list) is given back as HTML, which `body_html` keeps as it is."""
    writer = _TextWriter()
    try:
        writer.feed(body or "")
        writer.close()
        return writer.text()
    except _Unrepresentable:
        return body


# --- HTML -> Zalo text ------------------------------------------------------------------------

_BREAKS = re.compile(r"<br\s*/?>", re.IGNORECASE)
_BLOCK_END = re.compile(r"</(p|h3|h4|blockquote|ul|ol)\s*>", re.IGNORECASE)
_ITEM = re.compile(r"<li(\s[^>]*)?>", re.IGNORECASE)
_ORDERED = re.compile(r"<ol(\s[^>]*)?>(.*?)</ol\s*>", re.IGNORECASE | re.DOTALL)
_LINK = re.compile(r'<a\s[^>]*href="([^"]*)"[^>]*>(.*?)</a>', re.IGNORECASE | re.DOTALL)
_MANY_BLANK_LINES = re.compile(r"\n{3,}")


def _link_text(match: re.Match) -> str:
    import nh3

    url, text = html.unescape(match[1]), match[2]
    plain = html.unescape(nh3.clean(text, tags=set()))
    return plain if url in (plain, f"mailto:{plain}", f"tel:{plain}") else f"{plain} ({url})"


def _numbered(match: re.Match) -> str:
    """An ordered list's items numbered 1., 2., ... as typed (Zalo shows no list marks)."""
    numbers = itertools.count(1)
    return _ITEM.sub(lambda _: f"\n{next(numbers)}. ", match[2]) + "</ol>"


def zalo_text_from_html(body: str) -> str:
    """Plain text for Zalo: paragraphs apart by a blank line, list items on their own lines
    ("• " or "1. "), links as "text (url)",
    entities decoded; emoji and Vietnamese letters are kept as they are."""
    import nh3

    text = clean_html(body)
    text = _LINK.sub(lambda m: html.escape(_link_text(m), quote=False), text)
    text = _BREAKS.sub("\n", text)
    text = _ORDERED.sub(_numbered, text)
    text = _ITEM.sub("\n• ", text)
    text = _BLOCK_END.sub("\n\n", text)
    text = html.unescape(nh3.clean(text, tags=set()))
    lines = [line.strip() for line in text.replace("\r\n", "\n").split("\n")]
    return _MANY_BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
