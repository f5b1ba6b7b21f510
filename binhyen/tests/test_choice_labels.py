"""A choice's label stands alone (a table cell, a filter, a document's column), so in Vietnamese
it starts with a capital letter: "Nhóm Zalo", never "nhóm Zalo" (#19 item 17). Field names stay
lower case (Django capitalises them where they start a line). A word that is both takes a
message context: pgettext_lazy("choice", "Zalo group")."""

from __future__ import annotations

import importlib
import pkgutil
import sys
from collections.abc import Iterator
from pathlib import Path

from django.apps import apps
from django.conf import settings
from django.db import models
from django.utils import translation


def our_apps() -> list:
    """The apps of this repository: under BASE_DIR but not in the virtualenv (which `make`
    creates inside it, .venv)."""
    base, venv = Path(settings.BASE_DIR).resolve(), Path(sys.prefix).resolve()
    return [
        config
        for config in apps.get_app_configs()
        if Path(config.path).resolve().is_relative_to(base)
        and not Path(config.path).resolve().is_relative_to(venv)
    ]


def _import_all(package: str) -> None:
    """Import the app's modules (not its tests or migrations), so that every Choices class
    defined in them, attached to a field or not, is found."""
    module = importlib.import_module(package)
    for info in pkgutil.walk_packages(module.__path__, f"{package}."):
        if ".tests" in info.name or ".migrations" in info.name:
            continue
        importlib.import_module(info.name)


def _subclasses(cls: type) -> Iterator[type]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def choice_labels() -> Iterator[tuple[str, object, object]]:
    """(where, value, label) of every choice of our models' fields and Choices classes."""
    configs = our_apps()
    for config in configs:
        _import_all(config.name)
        for model in config.get_models():
            for field in model._meta.get_fields():
                for value, label in getattr(field, "flatchoices", None) or ():
                    yield f"{model._meta.label}.{field.name}", value, label
    packages = tuple(f"{config.name}." for config in configs)
    for choices in _subclasses(models.Choices):
        if choices.__module__.startswith(packages):
            for value, label in choices.choices:
                yield f"{choices.__module__}.{choices.__qualname__}", value, label


def test_every_choice_label_of_ours_starts_with_a_capital_in_vietnamese() -> None:
    found = 0
    wrong = []
    with translation.override("vi"):
        for where, value, label in choice_labels():
            text = str(label)
            found += 1
            if text and text[0].isalpha() and not text[0].isupper():
                wrong.append(f"{where} {value!r}: {text!r}")
    assert found > 50
    assert not wrong, wrong
