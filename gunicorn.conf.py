"""gunicorn's settings file, read from the folder it starts in: the image's /app, `make bench`.
The command-line options (Dockerfile: GUNICORN_CMD_ARGS, WEB_CONCURRENCY) are set there.

The master process loads the portal (Django, the apps, and the URLconf with every view module)
once, before it forks the workers (`preload_app`): each worker then starts with those pages
shared with the master and its siblings, copy-on-write, instead of importing its own copy
(#20: a worker's memory; it shows in each worker's PSS and private memory, not in its RSS,
which counts shared pages in full). `gc.freeze()` then moves every object alive at the fork out
of the cyclic collector's reach, so that a collection in a worker does not write to those
objects' pages and copy them (Python's documented recipe, see `gc.freeze`).

The price: SIGHUP reloads the workers, not the code the master loaded; a deployment restarts the
container (docker compose does), as it did already.
"""

import gc

preload_app = True


def when_ready(server) -> None:
    """In the master, after loading the application and before forking the first worker."""
    from django.urls import get_resolver

    # What a worker's first request would otherwise import on its own: every view module.
    patterns = get_resolver().url_patterns
    server.log.debug("URLconf loaded before the fork: %d patterns", len(patterns))
    gc.freeze()
