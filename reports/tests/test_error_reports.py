"""An error report (mail to ADMINS, a tracker) made while a view handles an informant's
identity or a tip carries none of it: the views mark their POST data and locals sensitive."""

from __future__ import annotations

import sys
from unittest import mock

import pytest
from django.views.debug import ExceptionReporter

from reports import services, views
from reports.tests.factories import INFORMANT, MARKER

pytestmark = pytest.mark.django_db


def _report_of(call, request) -> str:
    """The text and HTML error reports of the exception `call` raises, from the view's frame
    on (the test's own frames hold the identity, of course)."""
    try:
        call()
    except RuntimeError:
        kind, value, trace = sys.exc_info()
        report = ExceptionReporter(request, kind, value, trace.tb_next)
        return report.get_traceback_text() + report.get_traceback_html()
    raise AssertionError("no error")


def test_filing_a_report_with_an_informant(rf, head_b, hamlet_b) -> None:
    data = {
        "hamlet": hamlet_b.pk,
        "category": "crime",
        "urgency": "normal",
        "title": "Mất trộm gà",
        "description": "Đêm qua mất 5 con gà.",
        "informant_name": INFORMANT["name"],
        "informant_phone": INFORMANT["phone"],
        "informant_address": INFORMANT["address"],
        "informant_relation": INFORMANT["relation_to_case"],
    }
    from django.contrib.sessions.backends.db import SessionStore

    request = rf.post("/reports/new/", data)
    request.user = head_b
    request.session = SessionStore()  # the form keeps chosen files in it (reports/pending.py)
    # Deep in the service, so that the frames of report_file_once and report_create, which
    # hold the identity, are in the report too.
    with mock.patch.object(services, "file_report", side_effect=RuntimeError("boom")):
        text = _report_of(lambda: views.report_create_page(request), request)
    assert "boom" in text and "informant_name" in text  # the report was made, names kept
    assert MARKER not in text and INFORMANT["phone"] not in text


def test_revealing_an_informant(rf, police, report_b) -> None:
    from django.contrib.sessions.backends.db import SessionStore

    from reports.services import informant_reveal_log

    # The page the reveal's POST redirects to: it reads the identity through the logged reveal.
    reveal = informant_reveal_log(actor=police, report=report_b, reason="Xác minh nguồn tin")
    request = rf.get("/reveal/")
    request.user = police
    request.session = SessionStore()
    request.session[views.REVEAL_SESSION_KEY] = reveal.pk
    # The identity is in the view's hands (its locals), then the page fails to render.
    with mock.patch.object(views, "render", side_effect=RuntimeError("boom")):
        text = _report_of(lambda: views.informant_reveal_page(request, report_b.pk), request)
    assert "boom" in text
    assert MARKER not in text and INFORMANT["phone"] not in text
