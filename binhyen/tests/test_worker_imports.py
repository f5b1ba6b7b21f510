"""What a web worker loads before its first request. The spreadsheet libraries (openpyxl with
Pillow, xlrd) are imported where a file is read or written, so that a worker that never serves an
import or an export does not carry them (#20: a worker's memory). So are the QR codes (segno),
the bulletin cleaner (nh3) and cryptography's primitives (informant identities, push keys):
`import cryptography` alone is cheap and the Redis client does it, its hazmat bindings are not.
The converter of pre-2025 addresses (tens of MB of data) is for imports run by a Celery
worker or a command, never a web worker."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOADED = """
import json, sys
from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver
get_wsgi_application()
get_resolver().url_patterns  # every URL module, so every view module, as the first request does
print(json.dumps(sorted(sys.modules)))
"""
LOADED_LAZILY = {
    "openpyxl",
    "python_calamine",
    "xlrd",
    "PIL",
    "weasyprint",
    "matplotlib",
    "docx",
    "segno",
    "nh3",
    "vietnam_address_converter",
}
# Submodules whose package may be loaded (checked by full name).
SUBMODULES_LOADED_LAZILY = {"cryptography.hazmat", "cryptography.fernet"}


def test_a_web_worker_starts_without_the_spreadsheet_and_document_libraries(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "binhyen.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DEBUG": "0",
        "SECRET_KEY": "worker-imports-test-" + "x" * 40,
        "ENV_FILE": "",
        "LOG_LEVEL": "ERROR",
    }
    out = subprocess.run(
        [sys.executable, "-c", LOADED],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    modules = set(json.loads(out.strip().splitlines()[-1]))
    loaded = {name.split(".")[0] for name in modules}
    assert "django" in loaded and "groups" in loaded  # the check itself sees imports
    assert not loaded & LOADED_LAZILY, sorted(loaded & LOADED_LAZILY)
    assert not modules & SUBMODULES_LOADED_LAZILY, sorted(modules & SUBMODULES_LOADED_LAZILY)
