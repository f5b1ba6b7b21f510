import pytest
from django.core.exceptions import PermissionDenied

from groups.models import Member
from groups.services import register_save
from groups.tests.factories import ZaloGroupFactory

pytestmark = pytest.mark.django_db


def test_register_save_checks_permission_and_scope(officer_a, head_b, hamlet_a, hamlet_b):
    own = Member(group=ZaloGroupFactory(hamlet=hamlet_a), full_name="A", phone="0912000444")
    register_save(actor=officer_a, instance=own)
    assert own.pk and own.phone == "+84912000444"
    other = Member(group=ZaloGroupFactory(hamlet=hamlet_b), full_name="B", phone="0912000555")
    with pytest.raises(PermissionDenied):
        register_save(actor=officer_a, instance=other)
    with pytest.raises(PermissionDenied):  # the hamlet head of B has no member permissions
        register_save(actor=head_b, instance=other)
    assert not Member.objects.filter(full_name="B").exists()
