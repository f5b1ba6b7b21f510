"""Security headers on every page, and templates that a Content-Security-Policy without
'unsafe-inline' can serve: no inline <script>, no on…= handler, no style= attribute, no <style>
block (ASVS V14.4). The template check reads every template of the project, so a page another
engineer adds tomorrow is held to it the day it is added; the crawl requests every URL pattern
(urlmap.py) as the commune police and as an anonymous visitor and checks what is served."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from binhyen.tests.test_settings import PRODUCTION, run_django
from binhyen.tests.urlmap import build_world, routes, targets

# Templates rendered to PDF by WeasyPrint, never served as HTML: their <style> is how a PDF is
# styled, and no browser applies the CSP to them.
PDF_TEMPLATES = re.compile(r"(_poster|_pdf|/pdf/[^/]+)\.html$")

INLINE_SCRIPT = re.compile(
    r"<script\b(?![^>]*\bsrc=)(?![^>]*\btype=\"application/json\")[^>]*>", re.I
)
HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)
STYLE_ATTRIBUTE = re.compile(r"<[a-z][^>]*\sstyle\s*=", re.I)
STYLE_BLOCK = re.compile(r"<style\b", re.I)
# Django's empty choice, where ours reads "—" (binhyen.forms): in a select or a table cell.
DASHES = re.compile(r">\s*-{9}\s*<")
# The admin's pages of our own models and views (ScopedAdmin, the member import): held to it
# like the rest; the pages of third-party apps' models keep Django's.
OUR_ADMIN = re.compile(r"^/admin/(accounts|groups|reports|bulletins|reviews)/")


def shows_dashes(url: str, html: str) -> bool:
    return (not url.startswith("/admin/") or bool(OUR_ADMIN.match(url))) and bool(
        DASHES.search(html)
    )


def project_templates() -> list[Path]:
    base = Path(settings.BASE_DIR)
    folders = [base / "templates", *base.glob("*/templates")]
    return sorted(
        path for folder in folders for path in folder.rglob("*.html") if ".venv" not in path.parts
    )


def problems_in(html: str) -> list[str]:
    found = []
    for name, pattern in (("inline <script>", INLINE_SCRIPT), ("on…= handler", HANDLER),
                          ("style= attribute", STYLE_ATTRIBUTE)):  # fmt: skip
        found += [f"{name}: {match[0][:80]}" for match in pattern.finditer(html)]
    return found


def test_templates_hold_no_inline_script_handler_or_style() -> None:
    templates = project_templates()
    assert len(templates) > 10
    problems = []
    for path in templates:
        text = path.read_text()
        name = path.relative_to(settings.BASE_DIR).as_posix()
        problems += [f"{name}: {problem}" for problem in problems_in(text)]
        if STYLE_BLOCK.search(text) and not PDF_TEMPLATES.search(name):
            problems.append(f"{name}: <style> block (put the rules in static/css/)")
    assert not problems, "\n".join(problems)


def test_the_checks_catch_what_they_should() -> None:
    bad = (
        '<script>alert(1)</script><a onclick="x()">a</a><div style="color:red">'
        '<script src="/static/x.js"></script><script type="application/json">{}</script>'
    )
    assert len(problems_in(bad)) == 3


def test_the_policy_forbids_inline_code_and_framing(client: Client) -> None:
    response = client.get("/login/")
    policy = response["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "camera=()" in response["Permissions-Policy"]
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["anonymous", "police"])
def test_every_page_served_carries_the_policy_and_no_inline_code(
    persona, personas, commune, other_commune, hamlet_a, hamlet_b, hamlet_elsewhere
) -> None:
    world = build_world(
        commune=commune,
        other_commune=other_commune,
        hamlet_a=hamlet_a,
        hamlet_b=hamlet_b,
        hamlet_elsewhere=hamlet_elsewhere,
    )
    client = Client(raise_request_exception=False)
    if persona != "anonymous":
        client.force_login(personas[persona])
    checked, problems = 0, []
    for route in routes():
        for target in targets(route, world):
            response = client.get(target.url)
            if response.status_code >= 500:
                problems.append(f"{target.url}: {response.status_code}")
                continue
            if "Content-Security-Policy" not in response:
                problems.append(f"{target.url}: no Content-Security-Policy")
            if response.status_code == 200 and "text/html" in response.get("Content-Type", ""):
                checked += 1
                html = response.content.decode()
                problems += [f"{target.url}: {problem}" for problem in problems_in(html)]
                if STYLE_BLOCK.search(html):
                    problems.append(f"{target.url}: <style> block")
                # Our pages name an empty choice "—" or "— choose —", never Django's dashes.
                if shows_dashes(target.url, html):
                    problems.append(f"{target.url}: an empty choice shown as ---------")
    assert checked > (1 if persona == "anonymous" else 50)
    assert not problems, "\n".join(problems)


def test_swagger_ui_runs_without_inline_code(client: Client, police) -> None:
    client.force_login(police)
    html = client.get("/api/docs/").content.decode()
    assert not problems_in(html) and not STYLE_BLOCK.search(html)
    script = re.search(r'<script src="([^"]+\?[^"]*script=[^"]*)"', html)[1].replace("&amp;", "&")
    response = client.get(script)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in response.content.decode()


def test_production_cookies_and_hsts() -> None:
    code = (
        "from django.conf import settings as s; "
        "print(s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SESSION_COOKIE_HTTPONLY, "
        "s.SECURE_HSTS_SECONDS, s.SECURE_SSL_REDIRECT)"
    )
    result = run_django(code, PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-5:] == ["True", "True", "True", "31536000", "True"]


def test_htmx_adds_no_style_element(client: Client) -> None:
    """htmx inserts a <style> for its indicators unless told not to (found in Chromium: the CSP
    refused it on every page); its rules are in binhyen.css instead."""
    html = client.get("/login/").content.decode()
    assert '<meta name="htmx-config" content=\'{"includeIndicatorStyles": false}\'>' in html
    css = (Path(settings.BASE_DIR) / "static/css/binhyen.css").read_text()
    assert ".htmx-indicator" in css
