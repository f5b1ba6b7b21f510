"""The gunicorn logger of the web server (Dockerfile: --logger-class binhyen.gunicorn.Logger).

An access-log line of `POST /tip/…` would otherwise hold the tipster's address, browser and the
exact second the tip was filed, which a tip's stored time would match. For the tip pages (any
path under TIP_PREFIX) the line keeps only the request line, status and size: the address, user,
time, referrer, user agent and every request header are blanked.

The reverse proxy in front of gunicorn writes its own access log: it must do the same for
/tip/ (nginx: `location /tip/ { access_log off; proxy_pass …; }`, or a log format without
$remote_addr / $http_user_agent / $http_x_forwarded_for for that location), and must not keep
the client address anywhere else for those requests.
"""

from __future__ import annotations

from typing import Any

from gunicorn.glogging import Logger as GunicornLogger

TIP_PREFIX = "/tip/"
BLANK = "-"
KEPT = {"r", "s", "m", "U", "H", "b", "B", "p"}  # request line, status, size, worker


def private_atoms(atoms: dict[str, Any], path: str) -> dict[str, Any]:
    """The log atoms of one request, with everything about the client blanked on tip paths."""
    if not path.startswith(TIP_PREFIX):
        return atoms
    return {key: (value if key in KEPT else BLANK) for key, value in atoms.items()}


class Logger(GunicornLogger):
    def atoms(self, resp: Any, req: Any, environ: dict, request_time: Any) -> dict[str, Any]:
        atoms = super().atoms(resp, req, environ, request_time)
        return private_atoms(atoms, environ.get("PATH_INFO") or "")
