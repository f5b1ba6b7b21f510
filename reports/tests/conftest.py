"""Fixtures of the reports tests: private files in a temporary folder, a few filed reports."""

from __future__ import annotations

from pathlib import Path

import pytest

from accounts.models import User
from groups.models import Hamlet
from reports.models import IncidentReport
from reports.tests.factories import INFORMANT, file_report


@pytest.fixture(autouse=True)
def _private_files(settings, tmp_path: Path) -> Path:
    """Attachments go to DATA_DIR/private/attachments: here, a folder of this test's own."""
    settings.DATA_DIR = tmp_path
    return tmp_path


@pytest.fixture
def report_a(officer_a: User, hamlet_a: Hamlet) -> IncidentReport:
    """A report of hamlet A, filed by its area officer, without informant."""
    return file_report(officer_a, hamlet_a, channel="phone", title="Trộm xe ở ấp A")


@pytest.fixture
def report_b(head_b: User, hamlet_b: Hamlet) -> IncidentReport:
    """A report of hamlet B filed by its hamlet head, with a sealed informant (the marker)."""
    return file_report(head_b, hamlet_b, title="Ma túy ở ấp B", informant=dict(INFORMANT))
