"""The gunicorn access log of the tip pages keeps nothing about the client (binhyen/gunicorn.py)."""

from __future__ import annotations

import datetime
import logging
from types import SimpleNamespace

from gunicorn.config import Config

from binhyen.gunicorn import Logger

IP, AGENT, PROXIED = "203.0.113.77", "UA-Tipster-Phone", "198.51.100.23"


def _line(path: str, caplog) -> str:
    config = Config()
    config.set("accesslog", "-")
    logger = Logger(config)
    logger.access_log.propagate = True  # let caplog see it
    environ = {
        "REMOTE_ADDR": IP,
        "HTTP_USER_AGENT": AGENT,
        "HTTP_X_FORWARDED_FOR": PROXIED,
        "HTTP_REFERER": "https://zalo.me/g/abc",
        "REQUEST_METHOD": "POST",
        "RAW_URI": path,
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
    }
    request = SimpleNamespace(headers=[("USER-AGENT", AGENT), ("X-FORWARDED-FOR", PROXIED)])
    response = SimpleNamespace(status="200 OK", sent=123, headers=[])
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="gunicorn.access"):
        logger.access(response, request, environ, datetime.timedelta(seconds=0, microseconds=5))
    return caplog.text


def test_a_tip_request_is_logged_without_the_client(caplog) -> None:
    line = _line("/tip/25387/", caplog)
    assert "POST /tip/25387/" in line and " 200 " in line
    for secret in (IP, AGENT, PROXIED, "zalo.me"):
        assert secret not in line, secret
    assert "/" + datetime.date.today().strftime("%b") + "/" not in line  # no [04/Dec/2026:…]


def test_other_requests_keep_the_usual_access_log(caplog) -> None:
    line = _line("/reports/", caplog)
    assert IP in line and AGENT in line


def test_the_config_file_preloads_the_portal_and_freezes_it_before_the_fork() -> None:
    """gunicorn.conf.py (read from the folder gunicorn starts in): the master loads the portal
    and its URLconf, then freezes the collector's objects, so the workers share those pages."""
    import gc
    import runpy
    from pathlib import Path

    config = runpy.run_path(str(Path(__file__).resolve().parents[2] / "gunicorn.conf.py"))
    assert config["preload_app"] is True
    try:
        config["when_ready"](SimpleNamespace(log=logging.getLogger("gunicorn.error")))
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
