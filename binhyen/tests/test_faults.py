"""Faults with real services: a Redis that dies while people work, a Celery worker killed in the
middle of a task, a PostgreSQL restarted under traffic.

Each test starts its own server on a free loopback port (a `redis-server`, a throw-away
PostgreSQL cluster) and stops or kills only that one: the machine's Redis on 6379 and
PostgreSQL on 5432 are shared and never touched. The binaries are Debian's `redis-server` and
`/usr/lib/postgresql/<version>/bin`; without them these tests skip, except under
REQUIRE_SERVICES=1 (CI), where they fail. The tests that need the worker or the web server in
another process share the test database with it, so they need PostgreSQL (`needs_postgres`);
the Redis outage runs on both databases. Marker `faults` selects them: `pytest -m faults`.
"""

from __future__ import annotations

import contextlib
import datetime
import glob
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import kombu.pools
import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings as django_settings
from django.core import mail
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import tasks as account_tasks
from accounts.models import Notification
from accounts.roles import Role
from binhyen.celery import app
from bulletins.models import Bulletin, Posting, ReminderDigest
from bulletins.services import reminders_send
from conftest import logged_in, make_user, skip_or_fail
from groups.tests.factories import ZaloGroupFactory
from reports import tasks as report_tasks
from reports.models import IncidentReport

pytestmark = pytest.mark.faults

ROOT = Path(django_settings.BASE_DIR)
PYTHON = sys.executable


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, timeout: float, what: str, step: float = 0.1) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


# --- our own Redis ------------------------------------------------------------------------


class OwnRedis:
    """A `redis-server` of our own on a free port, nothing on disk; `kill` and `start` again
    on the same port, as an outage and its end."""

    def __init__(self) -> None:
        self.binary = shutil.which("redis-server")
        if self.binary is None:
            skip_or_fail("redis-server is missing (Debian package redis-server)")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def start(self) -> None:
        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--daemonize", "no", "--loglevel", "warning"],
            stdout=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for(self.ping, 10, "redis-server to answer")

    def kill(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        assert not self.ping()


@pytest.fixture
def own_redis() -> Iterator[OwnRedis]:
    redis = OwnRedis()
    redis.start()
    try:
        yield redis
    finally:
        redis.kill()


@contextlib.contextmanager
def broker_at(url: str) -> Iterator[None]:
    """Point the Celery app of this process at another broker, with fresh connection pools."""
    names = ("broker_url", "broker_write_url", "broker_read_url")
    saved = {name: app.conf[name] for name in names}  # the raw values: None when unset

    def reset() -> None:
        app.pool.force_close_all()
        app._pool = None
        app.amqp._producer_pool = None
        kombu.pools.reset()

    reset()
    app.conf.update(broker_url=url, broker_write_url=url, broker_read_url=url)
    try:
        yield
    finally:
        reset()
        app.conf.update(saved)


@pytest.fixture
def on_own_redis(own_redis: OwnRedis, settings) -> Iterator[OwnRedis]:
    """Cache and broker of this process on our own Redis, configured as in production."""
    settings.CACHES = {
        **settings.CACHES,  # the workers' own memory (accounts.access) stays as it is
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": own_redis.url,
            "KEY_PREFIX": "binhyen-faults",
            "OPTIONS": {
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 2,
                "SOCKET_TIMEOUT": 2,
            },
        },
    }
    settings.DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
    with broker_at(own_redis.url):
        yield own_redis


# --- 1. Redis down while reports are filed and bulletins published ------------------------


def report_form(hamlet, n: int) -> dict[str, object]:
    return {
        "hamlet": hamlet.pk,
        "category": "crime",
        "urgency": "normal",
        "title": f"Mất trộm xe đạp {n}",
        "description": "Một xe đạp bị lấy trộm trước nhà văn hóa ấp.",
        "occurred_at": "2026-01-15T21:30",
        "location": "Cuối ấp",
    }


def run_scans_through_the_broker() -> None:
    """What beat does every few minutes, sent through the broker to the worker: the reports'
    scan, the notifications' e-mail scan; and the reminder run of the 09:00 scan."""
    # Generous: after Redis returns, the worker's broker connections back off before they
    # reconnect, and the CI machine may be busy (20 s once proved too short under load).
    assert report_tasks.notify_pending_reports.delay().get(timeout=90) >= 0
    assert account_tasks.email_pending_notifications.delay().get(timeout=90) >= 0
    local_nine = timezone.make_aware(
        datetime.datetime.combine(timezone.localdate(), datetime.time(9, 0))
    )
    reminders_send(now=local_nine)  # its e-mails go through the broker after commit


def settled_outbox(expected: int, timeout: float = 60) -> None:
    """Wait until the worker has sent `expected` e-mails, then a moment more for any double."""
    wait_for(lambda: len(mail.outbox) >= expected, timeout, f"{expected} e-mails")
    time.sleep(0.5)


@pytest.mark.django_db(transaction=True)
def test_a_redis_outage_loses_no_request_and_delivers_everything_once_afterwards(
    on_own_redis, commune, hamlet_a, hamlet_b, police, officer_a, head_b
) -> None:
    approver = make_user("approver", Role.COMMUNE_POLICE, commune)
    officer_b = make_user("officer_b", Role.AREA_OFFICER, commune, [hamlet_b])
    for user in (police, approver, officer_a, officer_b, head_b):
        user.email = f"{user.username}@example.org"
        user.save(update_fields=["email"])
    ZaloGroupFactory(hamlet=hamlet_a, code="a1", name="Nhóm A1", admin_officer=officer_a)
    ZaloGroupFactory(hamlet=hamlet_b, code="b1", name="Nhóm B1", admin_officer=officer_b)
    head, author, checker = logged_in(head_b), logged_in(police), logged_in(approver)
    cache.set("probe", "up")
    assert cache.get("probe") == "up"  # the cache really is on our Redis

    on_own_redis.kill()  # --- the outage -------------------------------------------------
    statuses: list[tuple[str, int]] = []

    def call(client: Client, method: str, path: str, data=None) -> None:
        response = getattr(client, method)(path, data) if data else getattr(client, method)(path)
        statuses.append((f"{method.upper()} {path}", response.status_code))

    call(head, "get", "/")
    for n in range(3):
        call(head, "post", reverse("reports:report-create"), report_form(hamlet_b, n))
    call(author, "get", reverse("reports:report-list"))
    call(
        author,
        "post",
        reverse("bulletins:bulletin-create"),
        {"title": "Cảnh giác cuộc gọi mạo danh", "theme": "crime_tricks",
         "body": "<p>Không cung cấp mã OTP cho ai.</p>", "zalo_text": "", "target_mode": "all"},
    )  # fmt: skip
    bulletin = Bulletin.objects.get()
    transition = reverse("bulletins:bulletin-transition", args=[bulletin.pk])
    call(author, "post", transition, {"to_status": "submitted"})
    call(checker, "post", transition, {"to_status": "approved", "security_check": "on"})
    call(checker, "post", transition, {"to_status": "published"})
    call(logged_in(officer_a), "get", reverse("bulletins:checklist"))
    assert cache.get("probe") is None  # a miss, not an error

    assert [s for s in statuses if not 200 <= s[1] < 400] == [], statuses
    assert IncidentReport.objects.count() == 3
    assert Bulletin.objects.get().status == "published"
    assert Posting.objects.filter(bulletin=bulletin).count() == 2
    # Nothing could be queued: the reports wait for their scan, the e-mails for theirs.
    assert not IncidentReport.objects.exclude(notified_at=None).exists()
    assert mail.outbox == []

    on_own_redis.start()  # --- Redis is back, empty (nothing was on disk) ------------------
    # Past the scans' grace periods, as the next scans after a few minutes' outage would be.
    past = timezone.now() - datetime.timedelta(minutes=10)
    IncidentReport.objects.update(created_at=past)
    Notification.objects.update(created_at=past)
    app.control.purge()
    with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=20):
        run_scans_through_the_broker()
        expected = Notification.objects.filter(email_wanted=True).count()
        settled_outbox(expected)
        # Every later scan finds nothing more to do.
        Notification.objects.update(created_at=past)
        run_scans_through_the_broker()
        time.sleep(1)

    assert not IncidentReport.objects.filter(notified_at=None).exists()
    keys = Counter(Notification.objects.values_list("user__username", "key"))
    assert keys and max(keys.values()) == 1
    for report in IncidentReport.objects.all():
        # hamlet B's officer is told of each report filed there, once
        assert keys[("officer_b", f"report-new:{report.pk}")] == 1
    digests = Counter(ReminderDigest.objects.values_list("user__username", "kind"))
    assert digests == {("officer_a", "officer"): 1, ("officer_b", "officer"): 1}
    assert not Notification.objects.filter(email_wanted=True, emailed_at=None).exists()
    sent = Counter((m.to[0], m.subject) for m in mail.outbox)
    assert len(mail.outbox) == expected == Notification.objects.filter(email_wanted=True).count()
    assert max(sent.values()) == 1, sent


# --- 2. a worker killed in the middle of a task -------------------------------------------

# Run by the worker subprocess: the first call of FAULT_HANG ("module:function") writes its
# process id to a file and hangs there, to be killed; later calls go through.
HANG_ONCE = """
import importlib, os, sys, time, pathlib
import django
django.setup()
module_name, name = os.environ["FAULT_HANG"].split(":")
module = importlib.import_module(module_name)
marker = pathlib.Path(os.environ["FAULT_MARKER"])
original = getattr(module, name)
def hang_once(*args, **kwargs):
    if not marker.exists():
        marker.write_text(str(os.getpid()))
        time.sleep(120)
    return original(*args, **kwargs)
setattr(module, name, hang_once)
from binhyen.celery import app
app.worker_main(sys.argv[1:])
"""

# Where the worker is killed: in the report's notification task, inside its transaction right
# after the report was claimed; in the e-mail task, while the message is being sent.
KILL_POINTS = {
    "notify-new-report": "reports.notifications:new_report_recipients",
    "send-notification-email": "accounts.tasks:send_mail",
}


def subprocess_env(**extra: str) -> dict[str, str]:
    """The environment of a subprocess on the test database (PostgreSQL: another process sees
    what a transactional test committed)."""
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    return {**os.environ, "DATABASE_URL": url, "DEBUG": "0", "LOG_LEVEL": "INFO", **extra}


class HangingWorker:
    """A real Celery worker (prefork, one child) in a subprocess, on our Redis and the test
    database, whose first call of `hang` ("module:function") hangs, to be killed there."""

    def __init__(self, redis: OwnRedis, folder: Path, hang: str, **env: str) -> None:
        self.marker, self.outbox, self.log = folder / "hanging.pid", folder / "mail", folder / "log"
        self.env = subprocess_env(
            REDIS_URL=redis.url,
            FAULT_MARKER=str(self.marker),
            FAULT_HANG=hang,
            EMAIL_URL=f"filemail:///{self.outbox}",
            **env,
        )

    def __enter__(self) -> HangingWorker:
        self.log_file = self.log.open("w")
        self.process = subprocess.Popen(
            [PYTHON, "-c", HANG_ONCE, "worker", "--pool=prefork", "--concurrency=1",
             "--loglevel=INFO", "--without-gossip", "--without-mingle", "--without-heartbeat"],
            cwd=ROOT, env=self.env, stdout=self.log_file, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        return self

    def kill_the_hanging_child(self) -> None:
        wait_for(self.marker.exists, 120, "the task to start in the worker's child process")
        child = int(self.marker.read_text())
        assert child != self.process.pid
        os.kill(child, signal.SIGKILL)

    def mails(self) -> str:
        return "".join(Path(f).read_text() for f in glob.glob(f"{self.outbox}/*.log"))

    def __exit__(self, *exc: object) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.log_file.close()
        text = self.log.read_text()
        if exc[0] is None:  # the child really was lost, and Celery saw it
            assert "WorkerLostError" in text or "signal 9" in text, text[-3000:]


@pytest.mark.needs_postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("task", KILL_POINTS)
def test_a_worker_killed_mid_task_runs_the_task_again_and_its_effect_happens_once(
    task, own_redis, hamlet_b, police, head_b, tmp_path
) -> None:
    from reports.tests.factories import file_report

    police.email = "police@example.org"
    police.save(update_fields=["email"])
    with HangingWorker(own_redis, tmp_path, KILL_POINTS[task]) as worker:
        with broker_at(own_redis.url):
            report = file_report(head_b, hamlet_b)  # queues reports.notify_new_report
        worker.kill_the_hanging_child()  # --- killed mid-task ----------------------------
        # acks_late + reject_on_worker_lost: the message goes back to the queue and a new child
        # runs it; what the killed one had not committed PostgreSQL rolled back.
        wait_for(
            lambda: IncidentReport.objects.exclude(notified_at=None).filter(pk=report.pk).exists(),
            60,
            "the report's notification",
        )
        wait_for(worker.mails, 60, "the e-mail")
        time.sleep(1)  # room for a double to show up
    assert list(Notification.objects.values_list("user__username", "key")) == [
        ("police", f"report-new:{report.pk}")
    ]
    assert Notification.objects.get().emailed_at is not None
    assert worker.mails().count("To: police@example.org") == 1


@pytest.mark.needs_postgres
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_review_build_builds_the_documents_once(
    own_redis, commune, hamlet_a, settings, tmp_path
) -> None:
    from reviews import services as reviews
    from reviews.models import ReviewBuild

    settings.DATA_DIR = tmp_path / "data"  # the worker writes there too (DATA_DIR below)
    review = reviews.review_create(actor=None, commune=commune, year=2026)
    hang = "reviews.services:build_document"  # after the claim, before any file is written
    with HangingWorker(own_redis, tmp_path, hang, DATA_DIR=str(settings.DATA_DIR)) as worker:
        with broker_at(own_redis.url):
            build = reviews.build_request(actor=None, review=review)  # queues the build
        worker.kill_the_hanging_child()  # --- killed mid-build ---------------------------
        wait_for(
            lambda: ReviewBuild.objects.get(pk=build.pk).status != ReviewBuild.Status.RUNNING,
            60,
            "the build to be taken over and finish",
        )
    build.refresh_from_db()
    assert (build.status, build.progress) == (ReviewBuild.Status.DONE, 100)
    assert ReviewBuild.objects.count() == 1
    assert Path(build.pdf.path).read_bytes().startswith(b"%PDF")
    assert len(list(Path(settings.DATA_DIR).rglob("*.pdf"))) == 1  # one set of documents
    assert "reviews.build_review_documents" in worker.log.read_text()


# --- 3. PostgreSQL restarted under traffic ------------------------------------------------


class OwnPostgres:
    """A throw-away PostgreSQL cluster of our own, on a free port with its socket in its own
    folder; run as the `postgres` user when we are root (initdb refuses root)."""

    def __init__(self, folder: Path) -> None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
        if not found:
            skip_or_fail("PostgreSQL server binaries are missing (Debian package postgresql)")
        self.bin = Path(found[-1]).parent
        self.folder, self.data, self.port = folder, folder / "data", free_port()
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        if self.as_user:
            shutil.chown(folder, "postgres")

    def run(self, *args: str, **kwargs) -> subprocess.CompletedProcess:
        return subprocess.run(
            [*self.as_user, *args], check=True, capture_output=True, text=True, **kwargs
        )

    def init(self) -> None:
        self.run(str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres",
                 "--no-sync", "-E", "UTF8", "--locale", "C.UTF-8")  # fmt: skip
        self.start()

    def pg_ctl(self, *args: str) -> None:
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        self.run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options,
                 "-l", str(self.folder / "server.log"), "-w", "-t", "20", *args)  # fmt: skip

    def start(self) -> None:
        self.pg_ctl("start")

    def stop(self) -> None:
        self.pg_ctl("-m", "fast", "stop")

    def url(self, name: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"


@pytest.fixture
def own_postgres() -> Iterator[OwnPostgres]:
    folder = Path(tempfile.mkdtemp(prefix="binhyen-pg-"))
    cluster = OwnPostgres(folder)
    try:
        cluster.init()
        yield cluster
    finally:
        with contextlib.suppress(subprocess.CalledProcessError, FileNotFoundError):
            cluster.pg_ctl("-m", "immediate", "stop")
        shutil.rmtree(folder, ignore_errors=True)


def copy_test_database(cluster: OwnPostgres, name: str) -> None:
    """Schema and rows of the test database into a database of our cluster: quicker than
    migrating it from scratch."""
    db = connection.settings_dict
    source = ["-h", db["HOST"] or "127.0.0.1", "-p", str(db["PORT"] or 5432), "-U", db["USER"]]
    dump = subprocess.run(
        ["pg_dump", "--no-owner", "--no-privileges", *source, db["NAME"]],
        check=True, capture_output=True,
    )  # fmt: skip
    target = ["-h", "127.0.0.1", "-p", str(cluster.port), "-U", "postgres"]
    subprocess.run(["createdb", *target, name], check=True)
    subprocess.run(
        ["psql", "-q", "-v", "ON_ERROR_STOP=1", *target, "-d", name],
        input=dump.stdout, check=True, capture_output=True,
    )  # fmt: skip


class Traffic(threading.Thread):
    """Requests in a loop from a thread, each outcome recorded, until stopped."""

    def __init__(self, port: int, paths: list[tuple[str, str]]) -> None:
        super().__init__(daemon=True)
        self.port, self.paths, self.results = port, paths, []
        self.stopping = threading.Event()

    def one(self, path: str, cookie: str) -> tuple[str, int, str]:
        import http.client

        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
            response = conn.getresponse()
            return path, response.status, response.read().decode(errors="replace")
        except OSError as error:
            return path, 0, repr(error)
        finally:
            conn.close()

    def run(self) -> None:
        while not self.stopping.is_set():
            for path, cookie in self.paths:
                self.results.append(self.one(path, cookie))
            time.sleep(0.05)


@pytest.mark.needs_postgres
@pytest.mark.django_db(transaction=True)
def test_a_postgres_restart_gives_clean_503s_and_the_app_recovers_by_itself(
    own_postgres, police, tmp_path
) -> None:
    client = Client()
    client.force_login(police)  # a session row with the second factor verified
    name = django_settings.SESSION_COOKIE_NAME
    cookie = f"{name}={client.cookies[name].value}"
    copy_test_database(own_postgres, "faults")

    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": own_postgres.url("faults"),
        "DEBUG": "0",
        "CONN_MAX_AGE": "60",  # persistent connections, as in production
        "LOG_LEVEL": "WARNING",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
    }
    env.pop("REDIS_URL", None)
    log = (tmp_path / "gunicorn.log").open("w")
    server = subprocess.Popen(
        [str(Path(PYTHON).parent / "gunicorn"), "binhyen.wsgi", "--bind", f"127.0.0.1:{port}",
         "--workers", "1", "--threads", "2", "--timeout", "30"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    # (/healthz is a 503 here whatever the database does: no worker beats in this test.)
    traffic = Traffic(port, [("/", cookie), ("/api/v1/reports/", cookie), ("/reports/", cookie)])
    try:
        wait_for(lambda: traffic.one("/", cookie)[1] == 200, 90, "gunicorn on our cluster")
        traffic.start()
        wait_for(lambda: len(traffic.results) >= 6, 10, "traffic before the restart")
        before = len(traffic.results)
        own_postgres.stop()  # --- the restart, with a gap while it is down ---------------
        wait_for(lambda: len(traffic.results) >= before + 6, 10, "traffic while it is down")
        own_postgres.start()
        during = len(traffic.results)
        wait_for(lambda: len(traffic.results) >= during + 12, 15, "traffic after the restart")
        traffic.stopping.set()
        traffic.join(timeout=15)
        after = traffic.results[during:]
        pid_before = server.pid
    finally:
        traffic.stopping.set()
        server.terminate()
        server.wait(timeout=15)
        log.close()
    results = traffic.results
    outcomes = Counter((path, status) for path, status, _ in results)
    # Nothing but successes and clean 503s; never a 500, never a traceback, never a reset.
    assert {status for _, status, _ in results} <= {200, 503}, outcomes
    down = [(path, body) for path, status, body in results if status == 503]
    assert down, outcomes  # the gap was seen
    for path, body in down:
        assert "Traceback" not in body and "OperationalError" not in body
        if path == "/api/v1/reports/":
            assert body.startswith('{"detail":')
        elif path == "/":
            assert "Dịch vụ tạm thời gián đoạn" in body
    # Recovered without a restart of its own: the same gunicorn process, all 200s again.
    assert server.pid == pid_before
    assert [status for _, status, _ in after[-6:]] == [200] * 6, outcomes
    assert (tmp_path / "gunicorn.log").read_text().count("Booting worker") == 1


def test_a_database_that_cannot_be_reached_is_a_503_in_vietnamese(rf) -> None:
    from django.db import OperationalError

    from binhyen.errors import server_error

    for path, kind in (("/", "text/html"), ("/api/v1/reports/", "application/json")):
        try:
            raise OperationalError("connection refused")
        except OperationalError:
            response = server_error(rf.get(path))
        assert response.status_code == 503
        assert response["Retry-After"] == "30"
        assert response["Content-Type"].startswith(kind)
    try:
        raise ValueError("a bug")
    except ValueError:
        assert server_error(rf.get("/")).status_code == 500
