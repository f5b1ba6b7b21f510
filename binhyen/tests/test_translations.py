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


# A translator's comment starting so marks an entry of ours that replaces Django's or an app's
# wording on purpose (ours wins everywhere, the admin included: LOCALE_PATHS comes first),
# after it was checked to be right in every place the apps use it.
DELIBERATE = "Replaces the apps' wording on purpose:"


def apps_vietnamese() -> dict[tuple[str | None, str], tuple[str, str]]:
    """(context, msgid) → (translation, catalogue) of Django and every installed app."""
    import pathlib

    import django

    found = {}
    site = pathlib.Path(django.__file__).parent.parent
    for path in site.rglob("locale/vi/LC_MESSAGES/django.po"):
        for entry in polib.pofile(str(path)):
            if entry.msgstr:
                found[(entry.msgctxt, entry.msgid)] = (entry.msgstr, str(path.relative_to(site)))
    return found


def test_no_message_of_ours_changes_what_django_or_an_app_means() -> None:
    """One English word, two Vietnamese meanings ("Change": the admin's "Thay đổi", the
    review's "Tăng/giảm"; "Clear": a file input's "Xóa", a filter's "Xoá lọc") needs a message
    context: the same msgid in our catalogue would replace the apps' wording everywhere."""
    theirs = apps_vietnamese()
    clashes = {
        entry.msgid: (entry.msgstr, *theirs[(entry.msgctxt, entry.msgid)])
        for entry in vietnamese().translated_entries()
        if (entry.msgctxt, entry.msgid) in theirs
        and theirs[(entry.msgctxt, entry.msgid)][0] != entry.msgstr
        and DELIBERATE not in (entry.tcomment or "")
    }
    assert clashes == {}
