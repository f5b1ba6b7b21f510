"""The deployment files (Dockerfile, .dockerignore, docker-compose.yml) agree with each other and
with settings. No Docker engine runs the tests, so these read the files; no database is needed."""

import fnmatch
import json
import re
import shlex
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml
from django.conf import settings

from binhyen.health import HEARTBEAT_TASK

ROOT = Path(__file__).resolve().parents[2]
SERVICES = {"postgres", "redis", "cache", "web", "worker", "beat"}
APP_SERVICES = ("web", "worker", "beat")
# Variables that are not Django settings but are read by Python, gunicorn or the postgres image.
NON_DJANGO_PREFIXES = ("PYTHON", "GUNICORN", "POSTGRES_")
NON_DJANGO_NAMES = {"WEB_CONCURRENCY"}


# --- Parsing --------------------------------------------------------------------------------


def settings_env_names() -> set[str]:
    """Names settings.py reads: env("X"), env.str("X"), env.db("X"), env.list("X"), …"""
    text = (ROOT / "binhyen" / "settings.py").read_text()
    return set(re.findall(r"\benv(?:\.\w+)?\(\s*[\"']([A-Z][A-Z0-9_]*)[\"']", text))


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with continuations joined and comment lines dropped."""
    instructions: list[tuple[str, str]] = []
    current = ""
    for raw in (ROOT / "Dockerfile").read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        current += line
        keyword, _, arguments = current.partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
        current = ""
    assert not current, "the Dockerfile ends inside a continued line"
    return instructions


def dockerfile_stages() -> list[dict]:
    """Each stage: its base image, its name (AS …) and its instructions after FROM."""
    stages: list[dict] = []
    for keyword, arguments in dockerfile_instructions():
        if keyword == "FROM":
            words = arguments.split()
            name = words[2] if len(words) == 3 and words[1].upper() == "AS" else None
            stages.append({"image": words[0], "name": name, "instructions": []})
        else:
            assert stages, f"{keyword} before the first FROM"
            stages[-1]["instructions"].append((keyword, arguments))
    return stages


def env_assignments(arguments: str) -> dict[str, str]:
    """The variables of one ENV instruction (KEY=value … or the legacy KEY value)."""
    words = shlex.split(arguments)
    if words and "=" not in words[0]:
        return {words[0]: " ".join(words[1:])}
    return dict(word.split("=", 1) for word in words)


def dockerfile_env(stage: dict) -> dict[str, str]:
    result: dict[str, str] = {}
    for keyword, arguments in stage["instructions"]:
        if keyword == "ENV":
            result.update(env_assignments(arguments))
    return result


def healthcheck_exec(arguments: str) -> list[str]:
    """The exec-form command of a HEALTHCHECK instruction."""
    _options, separator, command = arguments.partition("CMD ")
    assert separator, "HEALTHCHECK has no CMD"
    return json.loads(command)


def seconds(duration: str) -> int:
    units = {"h": 3600, "m": 60, "s": 1}
    parts = re.findall(r"(\d+)([hms])", duration)
    assert parts and "".join(n + u for n, u in parts) == duration, duration
    return sum(int(n) * units[u] for n, u in parts)


def command_text(command) -> str:
    return command if isinstance(command, str) else " ".join(command)


def without_interpolation(value: str) -> str:
    """A compose value with each ${…} replaced by a placeholder, to parse what is around it."""
    return re.sub(r"\$\{[^}]*\}", "x", value)


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


@pytest.fixture(scope="module")
def final_stage() -> dict:
    return dockerfile_stages()[-1]


# --- docker-compose.yml ---------------------------------------------------------------------


def test_compose_names_exactly_the_six_services(services):
    assert set(services) == SERVICES


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_service_has_a_healthcheck(services, name):
    check = services[name].get("healthcheck")
    assert check, f"{name} has no healthcheck"
    assert not check.get("disable")
    assert check["test"] and check["test"][0] in ("CMD", "CMD-SHELL"), check["test"]


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_every_service_restarts_unless_stopped(services, name):
    assert services[name].get("restart") == "unless-stopped"


def test_app_services_share_build_env_file_and_environment(services):
    web = services["web"]
    assert web["build"] == "."
    assert web["env_file"] in (".env", [".env"])
    for name in ("worker", "beat"):
        service = services[name]
        assert service["build"] == web["build"], name
        assert service["env_file"] == web["env_file"], name
        assert service["environment"] == web["environment"], name
        assert service["volumes"] == web["volumes"], name


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_urls_point_at_the_services(services, name):
    environment = services[name]["environment"]
    database = urlsplit(without_interpolation(environment["DATABASE_URL"]))
    assert database.scheme in ("postgres", "postgresql")
    assert (database.hostname, database.port) == ("postgres", 5432)
    for name, host in (("REDIS_URL", "redis"), ("CACHE_URL", "cache")):
        redis = urlsplit(without_interpolation(environment[name]))
        assert redis.scheme == "redis"
        assert redis.hostname == host
        assert redis.port in (None, 6379)


def test_database_url_uses_the_credentials_given_to_postgres(services):
    """User, password and database name come from the same ${…} as the postgres service's."""
    url = services["web"]["environment"]["DATABASE_URL"]
    postgres = services["postgres"]["environment"]
    match = re.fullmatch(
        r"postgres(?:ql)?://(\$\{[^}]+\}):(\$\{[^}]+\})@postgres:5432/(\$\{[^}]+\})", url
    )
    assert match, url
    user, password, database = match.groups()
    assert user == postgres["POSTGRES_USER"]
    assert password == postgres["POSTGRES_PASSWORD"]
    assert database == postgres["POSTGRES_DB"]
    # No default password: compose refuses to start until .env sets one.
    assert password.startswith("${POSTGRES_PASSWORD:?"), password


@pytest.mark.parametrize("name", APP_SERVICES)
def test_app_services_wait_for_healthy_database_and_broker(services, name):
    depends_on = services[name]["depends_on"]
    for dependency in ("postgres", "redis", "cache"):
        assert depends_on[dependency]["condition"] == "service_healthy", (name, dependency)


def test_every_named_volume_is_declared(compose, services):
    declared = set(compose.get("volumes") or {})
    used = set()
    for service in services.values():
        for volume in service.get("volumes", []):
            source = volume["source"] if isinstance(volume, dict) else volume.split(":")[0]
            if not source.startswith((".", "/", "~")):
                used.add(source)
    assert used, "no named volume is used"
    assert used <= declared, used - declared


def mounts(service: dict) -> dict[str, str]:
    """Mount target → source, for the short syntax."""
    return {v.split(":")[1]: v.split(":")[0] for v in service.get("volumes", [])}


def test_postgres_and_redis_keep_their_data_in_named_volumes(compose, services):
    declared = set(compose["volumes"])
    # The image's pg_dump (Debian bookworm: 15) must not be older than the server (backups).
    assert services["postgres"]["image"] == "postgres:15"
    assert mounts(services["postgres"])["/var/lib/postgresql/data"] in declared
    assert services["redis"]["image"] == "redis:7"
    assert mounts(services["redis"])["/data"] in declared
    redis_command = command_text(services["redis"]["command"])
    assert re.search(r"--appendonly yes\b", redis_command), redis_command


def test_the_cache_keeps_nothing_on_disk(services):
    """The cache holds drawn pages with personal data: in memory only, unlike the broker."""
    cache = services["cache"]
    assert cache["image"] == "redis:7"
    assert not cache.get("volumes")
    command = command_text(cache["command"])
    assert re.search(r"--appendonly no\b", command), command
    assert re.search(r'--save ("")?(\s|$)', command), command


def test_data_dir_is_one_volume_shared_by_the_app_services(compose, final_stage):
    """DATA_DIR (relative to WORKDIR, where settings' BASE_DIR is) lies on a named volume."""
    workdir = [a for k, a in final_stage["instructions"] if k == "WORKDIR"][-1]
    data_dir = dockerfile_env(final_stage)["DATA_DIR"]
    target = str(Path(workdir) / data_dir)
    sources = set()
    for name in APP_SERVICES:
        service = compose["services"][name]
        assert service["environment"].get("DATA_DIR", data_dir) == data_dir, name
        sources.add(mounts(service).get(target))
    assert len(sources) == 1 and None not in sources, sources
    assert sources <= set(compose["volumes"])


def test_web_migrates_then_execs_gunicorn(services):
    web = services["web"]
    command = command_text(web["command"])
    migrate = command.index("python manage.py migrate --no-input")
    gunicorn = command.index("exec gunicorn binhyen.wsgi")
    assert migrate < gunicorn
    assert "&&" in command[migrate:gunicorn], "gunicorn must not start when migrate failed"
    assert "8000:8000" in web["ports"]


def test_web_healthcheck_is_the_dockerfiles_with_a_long_start_period(services):
    check = services["web"]["healthcheck"]
    dockerfile = next(a for k, a in dockerfile_instructions() if k == "HEALTHCHECK")
    assert check["test"] == ["CMD", *healthcheck_exec(dockerfile)]
    # The heartbeat runs once a minute after beat started, which waits for the migrations.
    assert seconds(check["start_period"]) >= 120


def test_worker_runs_the_celery_worker_without_embedded_beat(services):
    command = services["worker"]["command"]
    assert "celery -A binhyen worker --loglevel=INFO" in command_text(command)
    assert "-B" not in command and "--beat" not in command, "beat runs once, in its own service"


def test_beat_runs_celery_beat_with_the_scheduler_of_settings(services):
    command = services["beat"]["command"]
    assert "celery -A binhyen beat --loglevel=INFO" in command_text(command)
    assert "-S" not in command and not any(w.startswith("--scheduler") for w in command)
    assert settings.CELERY_BEAT_SCHEDULER == "binhyen.beat:Scheduler"


@pytest.mark.parametrize("name", ("worker", "beat"))
def test_celery_services_wait_for_migrations_and_exec_celery(services, name):
    """The wrapper ends in exec, so Celery is PID 1 and gets the stop signal itself."""
    shell, flag, script, _argv0, *argv = services[name]["command"]
    assert (shell, flag) == ("sh", "-c")
    assert "python manage.py migrate --check" in script
    assert script.rstrip().endswith('exec "$$@"'), script  # $$ is Compose's escaped $
    assert argv[:3] == ["celery", "-A", "binhyen"]


def test_worker_healthcheck_pings_its_own_node(services):
    test = services["worker"]["healthcheck"]["test"]
    assert test[0] == "CMD-SHELL"
    assert re.search(r"celery -A binhyen inspect ping -d celery@\$\$HOSTNAME\b", test[1]), test


def test_beat_healthcheck_reads_the_heartbeat_beat_sends(services):
    test = services["beat"]["healthcheck"]["test"]
    code = test[-1]
    assert f"task='{HEARTBEAT_TASK}'" in code
    assert "last_run_at" in code
    assert any(entry["task"] == HEARTBEAT_TASK for entry in settings.CELERY_BEAT_SCHEDULE.values())


def test_compose_keeps_secrets_out_of_the_file(services):
    for name in APP_SERVICES:
        assert "SECRET_KEY" not in services[name]["environment"], name
    text = (ROOT / "docker-compose.yml").read_text()
    assert "change-me" not in text
    assert not re.search(r"POSTGRES_PASSWORD:-", text), "the database password has no default"


# --- Dockerfile -----------------------------------------------------------------------------


def test_dockerfile_builds_node_modules_with_npm_ci_in_a_node_stage():
    stages = dockerfile_stages()
    node = [s for s in stages if s["image"].startswith("node:20")]
    assert len(node) == 1 and node[0]["name"], "one named node:20 stage"
    instructions = node[0]["instructions"]
    copies = " ".join(a for k, a in instructions if k == "COPY")
    assert "package.json" in copies and "package-lock.json" in copies
    assert any(k == "RUN" and re.search(r"\bnpm ci\b", a) for k, a in instructions)


def test_every_copy_from_names_an_earlier_stage():
    seen: list[str] = []
    for stage in dockerfile_stages():
        for keyword, arguments in stage["instructions"]:
            match = re.search(r"--from=(\S+)", arguments) if keyword == "COPY" else None
            if match:
                assert match.group(1) in seen, f"COPY --from={match.group(1)}"
        seen.append(stage["name"])


def test_runtime_stage_is_python_311_slim_with_only_runtime_requirements(final_stage):
    assert re.fullmatch(r"python:3\.11-slim(-\w+)?", final_stage["image"])
    runs = " ".join(a for k, a in final_stage["instructions"] if k == "RUN")
    assert "-r requirements.txt" in runs
    assert "requirements-dev" not in runs
    assert "polib" not in runs.replace("save_as_mofile", "")


def test_messages_are_compiled_into_the_runtime_image(final_stage):
    stages = dockerfile_stages()
    compiling = [s for s in stages if any("save_as_mofile" in a for _, a in s["instructions"])]
    assert len(compiling) == 1
    if compiling[0]["name"] != final_stage["name"]:
        name = compiling[0]["name"]
        assert any(
            k == "COPY" and f"--from={name}" in a and "locale" in a
            for k, a in final_stage["instructions"]
        )


def test_collectstatic_runs_at_build_with_node_modules_and_a_placeholder_key(final_stage):
    instructions = final_stage["instructions"]
    node_copy = next(
        i for i, (k, a) in enumerate(instructions) if k == "COPY" and "node_modules" in a
    )
    static = next(i for i, (k, a) in enumerate(instructions) if "collectstatic" in a)
    keyword, arguments = instructions[static]
    assert keyword == "RUN" and node_copy < static
    assert "--no-input" in arguments
    assert re.search(r"\bSECRET_KEY=\S+ python manage\.py collectstatic", arguments)
    assert "DEBUG=" not in arguments, "the collected files must be those of production"


def test_runs_as_a_non_root_user_that_owns_the_data_folder(final_stage):
    instructions = final_stage["instructions"]
    users = [(i, a) for i, (k, a) in enumerate(instructions) if k == "USER"]
    assert users, "no USER"
    position, user = users[-1]
    name = user.split(":")[0]
    assert name not in ("root", "0")
    assert position > next(i for i, (_, a) in enumerate(instructions) if "collectstatic" in a)
    assert position < next(i for i, (k, _) in enumerate(instructions) if k == "CMD")
    data_dir = dockerfile_env(final_stage)["DATA_DIR"]
    assert any(
        k == "RUN" and re.search(rf"chown -R {re.escape(name)}(:\S+)? {re.escape(data_dir)}\b", a)
        for k, a in instructions[:position]
    )
    assert any(
        k == "RUN" and re.search(rf"useradd .*\b{re.escape(name)}$", a) for k, a in instructions
    )


def test_gunicorn_serves_binhyen_wsgi_on_port_8000(final_stage):
    instructions = final_stage["instructions"]
    assert ("EXPOSE", "8000") in instructions
    cmd = [a for k, a in instructions if k == "CMD"][-1]
    assert json.loads(cmd)[:2] == ["gunicorn", "binhyen.wsgi"]
    environment = dockerfile_env(final_stage)
    arguments = environment["GUNICORN_CMD_ARGS"]
    assert "--bind 0.0.0.0:8000" in arguments
    assert "--access-logfile -" in arguments
    assert environment["WEB_CONCURRENCY"].isdigit() and int(environment["WEB_CONCURRENCY"]) >= 2
    assert environment["PYTHONDONTWRITEBYTECODE"] == "1"
    assert environment["PYTHONUNBUFFERED"] == "1"


def test_dockerfile_healthcheck_asks_healthz_with_python(final_stage):
    checks = [a for k, a in final_stage["instructions"] if k == "HEALTHCHECK"]
    assert len(checks) == 1
    command = healthcheck_exec(checks[0])
    assert command[:2] == ["python", "-c"]
    assert "urllib.request" in command[2]
    assert "'http://127.0.0.1:8000/healthz'" in command[2]
    assert not re.search(r"\b(curl|wget)\b", checks[0])
    options = dict(re.findall(r"--([\w-]+)=(\S+)", checks[0].partition("CMD ")[0]))
    assert seconds(options["start-period"]) >= 120


# --- Environment variables ------------------------------------------------------------------


def test_settings_parser_finds_what_settings_reads():
    assert {"SECRET_KEY", "DEBUG", "DATABASE_URL", "REDIS_URL", "DATA_DIR", "ALLOWED_HOSTS"} <= (
        settings_env_names()
    )


def set_for_the_app(compose: dict) -> dict[str, set[str]]:
    """Where each variable name comes from: Dockerfile ENV, build-time RUN prefixes, compose."""
    sources: dict[str, set[str]] = {}
    for stage in dockerfile_stages():
        for name in dockerfile_env(stage):
            sources.setdefault(name, set()).add(f"Dockerfile ENV ({stage['name']})")
        for keyword, arguments in stage["instructions"]:
            if keyword == "RUN" and "manage.py" in arguments:
                prefixes = re.findall(r"(?:^|&&|;)\s*((?:[A-Z][A-Z0-9_]*=\S*\s+)+)", arguments)
                for prefix in prefixes:
                    for assignment in prefix.split():
                        sources.setdefault(assignment.split("=")[0], set()).add("Dockerfile RUN")
    for service_name, service in compose["services"].items():
        for name in service.get("environment") or {}:
            sources.setdefault(name, set()).add(f"compose {service_name}")
    text = (ROOT / "docker-compose.yml").read_text()
    for name in re.findall(r"(?<!\$)\$\{([A-Z][A-Z0-9_]*)", text):
        sources.setdefault(name, set()).add("compose interpolation")
    # Read by the health check command itself, so it must mean what settings means by it.
    for name in re.findall(r"os\.environ\.get\('([A-Z][A-Z0-9_]*)'", text):
        sources.setdefault(name, set()).add("healthcheck")
    return sources


def test_every_variable_set_is_read_by_settings_or_known(compose):
    read = settings_env_names()
    sources = set_for_the_app(compose)
    assert {"DATABASE_URL", "REDIS_URL", "SECRET_KEY", "DATA_DIR", "ALLOWED_HOSTS"} <= set(sources)
    unknown = {
        name: where
        for name, where in sources.items()
        if name not in read
        and name not in NON_DJANGO_NAMES
        and not name.startswith(NON_DJANGO_PREFIXES)
    }
    assert not unknown, f"set but read by nothing: {unknown}"


# --- .dockerignore --------------------------------------------------------------------------


def dockerignore_patterns() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def ignored(path: str, patterns: list[str]) -> bool:
    """Docker's rule, enough for these patterns: the last matching line wins, ! re-includes."""
    result = False
    for pattern in patterns:
        negated = pattern.startswith("!")
        pattern = pattern.lstrip("!").strip("/")
        if fnmatch.fnmatch(path, pattern) or fnmatch.fnmatch(path.split("/")[0], pattern):
            result = not negated
    return result


@pytest.mark.parametrize(
    "path",
    [
        ".venv",
        "node_modules",
        "staticfiles",
        "var",
        "db.sqlite3",
        "db.sqlite3-wal",
        ".git",
        ".env",
        ".env.production",
        ".pytest_cache",
        ".ruff_cache",
        "binhyen/__pycache__",
    ],
)
def test_dockerignore_keeps_local_and_secret_files_out(path):
    assert ignored(path, dockerignore_patterns()), path


@pytest.mark.parametrize(
    "path",
    [
        "requirements.txt",
        "requirements-dev.txt",
        "package.json",
        "package-lock.json",
        "manage.py",
        "binhyen/settings.py",
        "locale/vi/LC_MESSAGES/django.po",
        "static",
        "templates",
        "seeds",
        ".env.example",
    ],
)
def test_dockerignore_keeps_what_the_build_needs(path):
    assert (ROOT / path).exists(), path
    assert not ignored(path, dockerignore_patterns()), path
