"""A button says what it does: its Vietnamese label is a verb, never the noun that the same
English word translates to elsewhere ("Record" is "Bản ghi" as a column, "Ghi nhận" as a
button; #19 item 17). One English word with two meanings takes a message context (pgettext,
`{% translate "…" context "button" %}`)."""

from __future__ import annotations

import re
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.urls import reverse

from conftest import logged_in
from reports.tests.factories import file_report

# Vietnamese nouns that a button label must not start with: they name a thing, not an action.
NOUN_HEADS = ("Bản ghi", "Bản ", "Tệp", "Hồ sơ", "Tin báo", "Nhật ký", "Sự ", "Việc ", "Trạng thái")

_BUTTON = re.compile(
    r"<button\b[^>]*>(.*?)</button>|<input\b[^>]*type=\"submit\"[^>]*value=\"(.*?)\"", re.S
)
_TRANSLATE = re.compile(r"\{% translate ([\"'])(.+?)\1(?: context ([\"'])(.+?)\3)? %\}")
_CRISPY_SUBMIT = re.compile(r"Submit\(\s*\"\w+\",\s*_\(\"(.+?)\"\)")


def button_labels() -> list[tuple[str, str | None, str]]:
    """(msgid, context, where) of every translated label of a button or submit: in templates
    and in crispy forms' Submit()."""
    labels = []
    for path in Path(settings.BASE_DIR, "templates").rglob("*.html"):
        for match in _BUTTON.finditer(path.read_text()):
            for text in _TRANSLATE.finditer(match.group(1) or match.group(2) or ""):
                labels.append((text.group(2), text.group(4), path.name))
    for path in Path(settings.BASE_DIR).glob("*/forms.py"):
        for match in _CRISPY_SUBMIT.finditer(path.read_text()):
            labels.append((match.group(1), None, str(path.relative_to(settings.BASE_DIR))))
    return labels


def test_the_scan_finds_the_buttons() -> None:
    found = {(msgid, context) for msgid, context, _where in button_labels()}
    assert ("Record", "button") in found and ("Send the report", None) in found
    assert len(found) > 30


def test_every_button_label_is_a_vietnamese_verb() -> None:
    po = polib.pofile(str(settings.BASE_DIR / "locale/vi/LC_MESSAGES/django.po"))
    wrong = []
    for msgid, context, where in button_labels():
        entry = po.find(msgid, msgctxt=context) if context else po.find(msgid)
        label = entry.msgstr if entry is not None else ""
        if not label or label.startswith(NOUN_HEADS):
            wrong.append(f"{where}: {msgid!r} ({context}) → {label!r}")
    assert not wrong, wrong


@pytest.mark.django_db
def test_the_record_buttons_read_ghi_nhan(police, hamlet_a) -> None:
    client = logged_in(police)
    report = file_report(police, hamlet_a, channel="phone")
    for url, form in (
        (reverse("reports:report-detail", args=[report.pk]), "outcome-form"),
        (reverse("bulletins:questions"), "question-form"),
    ):
        html = client.get(url).content.decode()
        form_html = html[html.index(f'data-testid="{form}"') :]
        form_html = form_html[: form_html.index("</form>")]
        assert '<button class="btn btn-primary" type="submit">Ghi nhận</button>' in form_html
        assert "Bản ghi" not in form_html
