"""The bulletin body's HTML, cleaned with nh3 (the maintained successor of bleach), and the
Zalo-ready plain text derived from it.

Only a small subset survives: paragraphs, line breaks, bold/italic/underline, lists, two heading
levels, quotes and links (http, https, mailto, tel). No script, style, iframe, SVG, form, image,
event handler, `style`/`class` attribute, `javascript:` or `data:` URL: the body is shown marked
safe, so this function is what keeps it safe.
"""

from __future__ import annotations

import html
import re

import nh3

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
    return nh3.clean(
        value or "",
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    ).strip()


_BREAKS = re.compile(r"<br\s*/?>", re.IGNORECASE)
_BLOCK_END = re.compile(r"</(p|h3|h4|blockquote|ul|ol)\s*>", re.IGNORECASE)
_ITEM = re.compile(r"<li(\s[^>]*)?>", re.IGNORECASE)
_LINK = re.compile(r'<a\s[^>]*href="([^"]*)"[^>]*>(.*?)</a>', re.IGNORECASE | re.DOTALL)
_MANY_BLANK_LINES = re.compile(r"\n{3,}")


def _link_text(match: re.Match) -> str:
    url, text = html.unescape(match[1]), match[2]
    plain = html.unescape(nh3.clean(text, tags=set()))
    return plain if url in (plain, f"mailto:{plain}", f"tel:{plain}") else f"{plain} ({url})"


def zalo_text_from_html(body: str) -> str:
    """Plain text for Zalo: paragraphs and list items on their own lines, links as "text (url)",
    entities decoded; emoji and Vietnamese letters are kept as they are."""
    text = clean_html(body)
    text = _LINK.sub(lambda m: html.escape(_link_text(m), quote=False), text)
    text = _BREAKS.sub("\n", text)
    text = _ITEM.sub("\n• ", text)
    text = _BLOCK_END.sub("\n\n", text)
    text = html.unescape(nh3.clean(text, tags=set()))
    lines = [line.strip() for line in text.replace("\r\n", "\n").split("\n")]
    return _MANY_BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()
