"""Settings come from the environment: defaults, overrides, and the production guard.

Each case runs Django in a fresh process, since settings are read once at import."""

import json
import subprocess
import sys

import pytest
from django.conf import settings

PRODUCTION = {
    "SECRET_KEY": "a-long-random-production-secret-0f3c9a7e51b24d8c9e6f1a2b3c4d5e6f7a8b9c0d",
    "ALLOWED_HOSTS": "binhyen.example.org",
    "CSRF_TRUSTED_ORIGINS": "https://binhyen.example.org",
    "SECURE_HSTS_PRELOAD": "1",
    "INFORMANT_KEYS": "ka4kiQc6l5-tBgCs2NQYplX_XiGuJRRAqeCpeGkIUfQ=",
}


def run_django(code: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {"PATH": "/usr/bin:/bin", "ENV_FILE": "", "DJANGO_SETTINGS_MODULE": "binhyen.settings"}
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=settings.BASE_DIR,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def read_settings(env: dict[str, str]) -> dict:
    code = (
        "import json; from django.conf import settings as s; "
        "print(json.dumps({'DEBUG': s.DEBUG, 'DB': s.DATABASES['default'], "
        "'BROKER': s.CELERY_BROKER_URL, 'CACHE': s.CACHES['default']['BACKEND'], "
        "'LANGUAGE_CODE': s.LANGUAGE_CODE, 'TIME_ZONE': s.TIME_ZONE, 'USE_TZ': s.USE_TZ}, "
        "default=str))"
    )
    result = run_django(code, env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_defaults_are_sqlite_and_embedded_broker_for_local_use() -> None:
    values = read_settings({"DEBUG": "1"})
    assert values["DEBUG"] is True
    assert values["DB"]["ENGINE"] == "django.db.backends.sqlite3"
    assert values["DB"]["NAME"].endswith("db.sqlite3")
    assert values["BROKER"].startswith("filesystem://")
    assert values["CACHE"].endswith("LocMemCache")
    assert (values["LANGUAGE_CODE"], values["TIME_ZONE"], values["USE_TZ"]) == (
        "vi",
        "Asia/Ho_Chi_Minh",
        True,
    )


def test_database_and_redis_urls_override_the_defaults() -> None:
    values = read_settings(
        {
            **PRODUCTION,
            "DATABASE_URL": "postgres://portal:pw@db.internal:5432/binhyen",
            "REDIS_URL": "redis://cache.internal:6379/1",
        }
    )
    assert values["DEBUG"] is False
    db = values["DB"]
    assert db["ENGINE"] == "django.db.backends.postgresql"
    assert (db["HOST"], db["NAME"], db["USER"]) == ("db.internal", "binhyen", "portal")
    assert db["CONN_MAX_AGE"] == 60 and db["CONN_HEALTH_CHECKS"] is True
    assert values["BROKER"] == "redis://cache.internal:6379/1"
    assert values["CACHE"].endswith("RedisCache")


def test_debug_is_off_unless_asked() -> None:
    assert read_settings({"SECRET_KEY": PRODUCTION["SECRET_KEY"]})["DEBUG"] is False


def test_production_refuses_to_start_with_the_default_secret_key() -> None:
    result = run_django("print('started')", {})
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr
    assert "started" not in result.stdout


def manage(*args: str) -> subprocess.CompletedProcess:
    """manage.py in a bare environment: no SECRET_KEY, no DEBUG, no .env."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env={"PATH": "/usr/bin:/bin", "ENV_FILE": ""},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_the_migration_check_runs_without_a_secret_key() -> None:
    result = manage("makemigrations", "--check", "--dry-run")
    assert result.returncode == 0, result.stderr
    assert "No changes detected" in result.stdout


@pytest.mark.parametrize("command", ["migrate", "check", "createsuperuser"])
def test_other_commands_still_refuse_the_default_key(command: str) -> None:
    result = manage(command, "--help")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def check_deploy(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=settings.BASE_DIR,
        env={"PATH": "/usr/bin:/bin", "ENV_FILE": "", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_check_deploy_is_clean_with_the_documented_production_variables() -> None:
    result = check_deploy(PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize("missing", ["SECURE_HSTS_PRELOAD"])
def test_check_deploy_notices_a_missing_hardening_variable(missing: str) -> None:
    result = check_deploy({k: v for k, v in PRODUCTION.items() if k != missing})
    assert result.returncode != 0
    assert "security.W021" in result.stdout + result.stderr


def test_every_variable_settings_reads_is_documented() -> None:
    import re

    base = settings.BASE_DIR
    read = set(re.findall(r'env\.\w+\(\s*"([A-Z_]+)"', (base / "binhyen/settings.py").read_text()))
    assert {"DEBUG", "SECRET_KEY", "DATABASE_URL", "REDIS_URL"} <= read
    example = (base / ".env.example").read_text()
    readme = (base / "README.md").read_text()
    for name in read:
        assert re.search(rf"^#? ?{name}=", example, re.M), f"{name} missing from .env.example"
        assert f"`{name}`" in readme, f"{name} missing from README.md"
