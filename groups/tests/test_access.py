"""groups/access.py: every scope question, answered for each persona."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser

from accounts.models import User
from groups.access import communes_for, hamlets_for, users_for, users_in_commune
from groups.models import Commune, within_one_commune

pytestmark = pytest.mark.django_db


@pytest.fixture
def root(db) -> User:
    return User.objects.create_superuser("root", password="x" * 12)


def test_hamlets_follow_the_role(police, officer_a, head_b, outsider, hamlet_a, hamlet_b):
    assert set(hamlets_for(police)) == {hamlet_a, hamlet_b}
    assert list(hamlets_for(officer_a)) == [hamlet_a]
    assert list(hamlets_for(head_b)) == [hamlet_b]
    assert hamlet_a not in hamlets_for(outsider)


def test_communes_the_own_one_a_superuser_all(
    police, head_b, outsider, root, commune, other_commune
):
    assert list(communes_for(police)) == [commune]
    assert list(communes_for(head_b)) == [commune]
    assert list(communes_for(outsider)) == [other_commune]
    assert set(communes_for(root)) == {commune, other_commune}
    assert list(Commune.objects.visible_to(police)) == [commune]
    assert set(Commune.objects.visible_to(root)) == {commune, other_commune}


def test_users_those_of_the_own_commune_a_superuser_all(police, officer_a, head_b, outsider, root):
    ours = {police, officer_a, head_b}
    assert set(users_for(police)) == ours
    assert set(users_for(head_b)) == ours  # who may *change* them is accounts.services' rule
    assert set(users_for(outsider)) == {outsider}
    assert set(users_for(root)) == {*ours, outsider, root}


def test_inactive_and_anonymous_users_see_nothing(police, root, commune):
    anonymous = AnonymousUser()
    for user in (police, root):
        user.is_active = False
    for user in (police, root, anonymous):
        assert not hamlets_for(user).exists()
        assert not communes_for(user).exists()
        assert not users_for(user).exists()
        assert not Commune.objects.visible_to(user).exists()


def test_a_user_without_a_commune_sees_no_commune_and_no_user(db, police):
    lost = User.objects.create_user("lost", password="x" * 12)
    assert not communes_for(lost).exists()
    assert not users_for(lost).exists()


def test_users_in_commune_are_its_active_accounts(police, officer_a, head_b, outsider, commune):
    head_b.is_active = False
    head_b.save()
    assert set(users_in_commune(commune.pk)) == {police, officer_a}
    assert not users_in_commune(None).exists()


def test_within_one_commune_is_a_query_plan_choice(police, root):
    assert within_one_commune(police) and not within_one_commune(root)
