"""Vietnamese is the portal's first language: every string must have a Vietnamese translation."""

import re

import polib
from django.conf import settings

PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|\{(\w+)\}")


def vietnamese() -> polib.POFile:
    return polib.pofile(str(settings.BASE_DIR / "locale/vi/LC_MESSAGES/django.po"))


def test_every_string_is_translated_and_none_is_fuzzy() -> None:
    po = vietnamese()
    assert not po.fuzzy_entries(), [e.msgid for e in po.fuzzy_entries()]
    assert not po.untranslated_entries(), [e.msgid for e in po.untranslated_entries()]


def test_translations_keep_their_placeholders() -> None:
    """Vietnamese has one plural form: its msgstr[0] serves every count, so it carries the
    placeholders of the plural msgid (as msgfmt --check requires)."""
    for entry in vietnamese().translated_entries():
        translations = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
        source = entry.msgid_plural or entry.msgid
        for text in translations:
            assert set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(source)), entry.msgid
