"""Fixtures of the bulletins tests: private files in a temporary folder, groups in hamlets A and
B administered by their officers, and a second commune police officer (the approver)."""

from __future__ import annotations

from pathlib import Path

import pytest

from accounts.models import User
from accounts.roles import Role
from conftest import make_user
from groups.models import Commune, Hamlet, ZaloGroup
from groups.tests.factories import ZaloGroupFactory


@pytest.fixture(autouse=True)
def _private_files(settings, tmp_path: Path) -> Path:
    settings.DATA_DIR = tmp_path
    return tmp_path


@pytest.fixture
def approver(commune: Commune, hamlet_a: Hamlet, hamlet_b: Hamlet) -> User:
    """A second commune police officer: approves what `police` writes."""
    return make_user("approver", Role.COMMUNE_POLICE, commune)


@pytest.fixture
def officer_b(commune: Commune, hamlet_b: Hamlet) -> User:
    return make_user("officer_b", Role.AREA_OFFICER, commune, [hamlet_b])


@pytest.fixture
def group_a(hamlet_a: Hamlet, officer_a: User) -> ZaloGroup:
    return ZaloGroupFactory(hamlet=hamlet_a, code="a1", name="Nhóm A1", admin_officer=officer_a)


@pytest.fixture
def group_a2(hamlet_a: Hamlet, officer_a: User) -> ZaloGroup:
    return ZaloGroupFactory(hamlet=hamlet_a, code="a2", name="Nhóm A2", admin_officer=officer_a)


@pytest.fixture
def group_b(hamlet_b: Hamlet, officer_b: User) -> ZaloGroup:
    return ZaloGroupFactory(hamlet=hamlet_b, code="b1", name="Nhóm B1", admin_officer=officer_b)


@pytest.fixture
def groups(group_a: ZaloGroup, group_a2: ZaloGroup, group_b: ZaloGroup) -> list[ZaloGroup]:
    return [group_a, group_a2, group_b]
