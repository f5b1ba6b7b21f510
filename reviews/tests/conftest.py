"""Fixtures of the reviews tests: built documents in a temporary folder, the 2026 fixture."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from groups.models import Hamlet
from reviews.tests.factories import world_2026


@pytest.fixture(autouse=True)
def _private_files(settings, tmp_path: Path) -> Path:
    """Documents go to DATA_DIR/private/reviews: here, a folder of this test's own."""
    settings.DATA_DIR = tmp_path
    return tmp_path


@pytest.fixture
def fixture_2026(hamlet_a: Hamlet, hamlet_b: Hamlet) -> dict[str, Any]:
    return world_2026(hamlet_a, hamlet_b)
