"""The printable A4 join poster of a Zalo group: name, hamlet, officer, QR code of the invite link.

WeasyPrint is imported only when a poster is rendered, so that the web process starts on a machine
without Pango (the rest of the portal does not need it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.template.loader import render_to_string
from django.utils.text import slugify
from django.utils.translation import gettext as _

from .models import ZaloGroup
from .normalize import InvalidPhone, format_phone_local, normalize_phone, search_key

if TYPE_CHECKING:
    import segno

RULES_SUMMARY_CHARS = 600
RULES_SUMMARY_LINES = 8
LONG_NAME = 70
LONG_LINK = 50


def qr_code(link: str) -> segno.QRCode:
    """The QR code printed for an invite link: error correction M survives a crease or a smudge,
    and is still a small symbol for a link of 30–40 characters."""
    import segno  # like WeasyPrint, loaded only when a poster is drawn (#20: a worker's memory)

    return segno.make_qr(link, error="m", boost_error=False)


def qr_svg_data_uri(link: str) -> str:
    """An SVG data URI of the link's QR code; the poster's CSS gives it its printed size."""
    # unit="mm" with scale=1 gives one millimetre per module: the SVG is then sized by CSS anyway.
    return qr_code(link).svg_data_uri(scale=1, border=4, unit="mm", dark="#000", light="#fff")


def rules_summary(group: ZaloGroup) -> str:
    """The start of the group's rules, or a default summary of what the groups are for."""
    rules = group.rules.strip()
    if not rules:
        return _(
            "The group connects the households of the hamlet with the commune police and the "
            "hamlet's leaders. Here you receive news on security and order, warnings about scams "
            "and crime, fire and traffic safety, and guides to administrative procedures. Report "
            "incidents and suspicious events promptly; they are verified and handled. Keep "
            "messages respectful and on topic; do not share false news. Information about people "
            "who report is kept confidential."
        )
    # A poster has room for a summary only: a few lines, cut at a word, never mid-word.
    lines = [line.strip() for line in rules.splitlines() if line.strip()]
    summary = "\n".join(lines[:RULES_SUMMARY_LINES])
    if len(summary) > RULES_SUMMARY_CHARS:
        summary = summary[:RULES_SUMMARY_CHARS].rsplit(None, 1)[0]
    return summary if summary == "\n".join(lines) else summary.rstrip(" ,;:.") + "…"


def poster_filename(group: ZaloGroup) -> str:
    """An ASCII file name such as "poster-zalo-ket-noi-binh-yen-ap-thuan-hoa.pdf"."""
    # search_key drops diacritics and maps Đ to d, which slugify alone would lose.
    slug = slugify(search_key(group.name))[:80].strip("-") or f"group-{group.pk}"
    return f"poster-{slug}.pdf"


def _phone_shown(raw: str) -> str:
    """A user's phone as people write it ("0912 345 678"); kept as typed if it is no mobile."""
    try:
        return format_phone_local(normalize_phone(raw))
    except InvalidPhone:
        return raw.strip()


def poster_context(group: ZaloGroup) -> dict[str, object]:
    officer = group.admin_officer
    return {
        "group": group,
        "hamlet": group.hamlet,
        "commune": group.hamlet.commune,
        # Only the real name goes on a wall: a blank full name is not replaced by the username.
        "officer_name": officer.full_name.strip() if officer else "",
        "officer_phone": _phone_shown(officer.phone) if officer and officer.phone.strip() else "",
        "invite_link": group.invite_link,
        "qr_uri": qr_svg_data_uri(group.invite_link) if group.invite_link else "",
        "rules": rules_summary(group),
        # A long name or link takes a smaller type and QR code, to stay on one page.
        "long_text": len(group.name) > LONG_NAME or len(group.invite_link) > LONG_LINK,
    }


def poster_html(group: ZaloGroup) -> str:
    return render_to_string("groups/zalogroup_poster.html", poster_context(group))


def poster_pdf(group: ZaloGroup) -> bytes:
    """The A4 poster as PDF bytes (in the active language)."""
    from weasyprint import HTML  # lazy: needs Pango, see the module docstring

    return HTML(string=poster_html(group)).write_pdf()
