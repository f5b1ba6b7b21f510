"""The audit log's entries as people read them, for django-auditlog's admin history page (whose
view is auditlog's: the page of entries is only known in the template)."""

from django import template

from accounts.audit import AuditRow, audit_rows

register = template.Library()


@register.filter(name="audit_rows")
def audit_rows_filter(entries) -> list[AuditRow]:
    return audit_rows(entries)
