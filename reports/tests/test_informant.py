"""The sealed informant: encrypted at rest, revealed only with permission, reason and log,
erased after the commune's retention period."""

from __future__ import annotations

import datetime

import pytest
from auditlog.models import LogEntry
from cryptography.fernet import Fernet
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from reports.models import IncidentReport, Informant, InformantReveal, Status
from reports.services import informant_reveal, informants_erase_expired, report_transition
from reports.tests.factories import INFORMANT, MARKER, ReportSettingsFactory, file_report

pytestmark = pytest.mark.django_db


def raw_rows(table: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table}")  # noqa: S608 - fixed table names
        return repr(cursor.fetchall())


def close(report: IncidentReport, actor, when: datetime.datetime) -> None:
    for status in ("verifying", "unfounded", "closed"):
        report_transition(actor=actor, report=report, to_status=status)
    IncidentReport.objects.filter(pk=report.pk).update(closed_at=when)


class TestAtRest:
    def test_no_plaintext_in_any_reports_table(self, report_b) -> None:
        tables = [t for t in connection.introspection.table_names() if t.startswith("reports_")]
        assert "reports_informant" in tables
        for table in tables:
            dump = raw_rows(table)
            assert MARKER not in dump and INFORMANT["phone"] not in dump, table

    def test_nor_in_the_audit_log(self, report_b) -> None:
        assert LogEntry.objects.exists()
        assert MARKER not in repr(list(LogEntry.objects.values()))

    def test_the_columns_hold_fernet_tokens(self, report_b, settings) -> None:
        informant = Informant.objects.get(report=report_b)
        fernet = Fernet(settings.INFORMANT_KEYS[0])
        assert fernet.decrypt(informant.name_encrypted.encode()).decode() == INFORMANT["name"]

    def test_decrypts_after_a_key_rotation(self, police, report_b, settings) -> None:
        old = list(settings.INFORMANT_KEYS)
        settings.INFORMANT_KEYS = [Fernet.generate_key().decode(), *old]
        revealed = informant_reveal(actor=police, report=report_b, reason="Xác minh")
        assert revealed["name"] == INFORMANT["name"]
        # new identities use the new key: the old key alone no longer opens them
        report = file_report(police, report_b.hamlet, informant={"name": "Người mới"})
        settings.INFORMANT_KEYS = old
        with pytest.raises(Exception, match="INFORMANT_KEYS"):
            informant_reveal(actor=police, report=report, reason="Xác minh")

    def test_str_and_repr_never_show_the_identity(self, police, report_b) -> None:
        informant_reveal(actor=police, report=report_b, reason="Xác minh")
        objects = [
            report_b,
            report_b.informant,
            *report_b.events.all(),
            *InformantReveal.objects.all(),
        ]
        for obj in objects:
            assert MARKER not in str(obj) and MARKER not in repr(obj)

    def test_hamlet_head_sees_that_an_informant_was_recorded(self, report_a, report_b):
        assert report_b.has_informant and not report_a.has_informant


class TestReveal:
    def test_police_reveals_with_a_reason_and_it_is_logged(self, police, report_b) -> None:
        revealed = informant_reveal(actor=police, report=report_b, reason="  Mời làm việc ")
        assert revealed == {**INFORMANT, "erased": False, "erased_at": None, "erasure_note": ""}
        log = InformantReveal.objects.get()
        assert (log.user, log.report, log.reason) == (police, report_b, "Mời làm việc")

    def test_reason_is_required(self, police, report_b) -> None:
        for reason in ("", "   "):
            with pytest.raises(ValidationError) as error:
                informant_reveal(actor=police, report=report_b, reason=reason)
            assert error.value.code == "reason_required"
        assert not InformantReveal.objects.exists()

    def test_without_the_permission_nobody_reveals(
        self, officer_a, head_b, party_office, leader, report_b, report_a
    ) -> None:
        for user in (officer_a, head_b, party_office, leader):
            for report in (report_a, report_b):
                with pytest.raises(PermissionDenied):
                    informant_reveal(actor=user, report=report, reason="Tò mò")
        assert not InformantReveal.objects.exists()

    def test_the_permission_does_not_cross_the_scope(self, outsider, report_b) -> None:
        assert outsider.has_perm("reports.view_informant")
        with pytest.raises(PermissionDenied):
            informant_reveal(actor=outsider, report=report_b, reason="Xác minh")

    def test_only_commune_police_holds_the_permission_by_default(self, personas) -> None:
        holders = {name for name, u in personas.items() if u.has_perm("reports.view_informant")}
        assert holders == {"police", "outsider"}

    def test_a_report_without_informant(self, police, report_a) -> None:
        with pytest.raises(ValidationError) as error:
            informant_reveal(actor=police, report=report_a, reason="Xác minh")
        assert error.value.code == "no_informant"
        assert not InformantReveal.objects.exists()

    def test_an_erased_identity_returns_the_note(self, police, report_b) -> None:
        close(report_b, police, timezone.now() - datetime.timedelta(days=400))
        assert informants_erase_expired() == 1
        revealed = informant_reveal(actor=police, report=report_b, reason="Xác minh")
        assert revealed["erased"] is True and revealed["erased_at"] is not None
        assert revealed["erasure_note"]
        assert revealed["name"] == revealed["phone"] == ""
        assert InformantReveal.objects.count() == 1


class TestRetention:
    def test_erases_after_the_default_twelve_months(self, police, report_b) -> None:
        now = timezone.now()
        close(report_b, police, now - datetime.timedelta(days=300))
        assert informants_erase_expired(now=now) == 0
        assert informants_erase_expired(now=now + datetime.timedelta(days=70)) == 1
        informant = Informant.objects.get(report=report_b)
        assert informant.erased_at is not None and informant.erasure_note
        assert informant.name_encrypted == informant.phone_encrypted == ""
        assert informant.address_encrypted == informant.relation_encrypted == ""

    def test_is_idempotent(self, police, report_b) -> None:
        close(report_b, police, timezone.now() - datetime.timedelta(days=400))
        assert informants_erase_expired() == 1
        first = Informant.objects.get(report=report_b).erased_at
        assert informants_erase_expired() == 0
        assert Informant.objects.get(report=report_b).erased_at == first

    def test_follows_the_communes_setting(self, police, commune, report_b) -> None:
        ReportSettingsFactory(commune=commune, retention_months=3)
        now = timezone.now()
        close(report_b, police, now - datetime.timedelta(days=80))
        assert informants_erase_expired(now=now) == 0
        assert informants_erase_expired(now=now + datetime.timedelta(days=15)) == 1

    def test_open_and_unclosed_reports_are_kept(self, police, report_b) -> None:
        report_transition(actor=police, report=report_b, to_status="verifying")
        report_transition(actor=police, report=report_b, to_status="unfounded")
        later = timezone.now() + datetime.timedelta(days=3650)
        assert informants_erase_expired(now=later) == 0
        assert IncidentReport.objects.get(pk=report_b.pk).status == Status.UNFOUNDED

    def test_the_celery_task_runs_the_service(self, police, report_b) -> None:
        from reports.tasks import erase_expired_informants

        close(report_b, police, timezone.now() - datetime.timedelta(days=400))
        assert erase_expired_informants.name == "reports.erase_expired_informants"
        assert erase_expired_informants.apply().get() == 1
