# syntax=docker/dockerfile:1
# The Bình Yên image: one image for the web server (gunicorn), the Celery worker and Celery beat.
# See docker-compose.yml for how the three are run; `docker build .` alone gives the web server.

# --- Front-end files: npm packages exactly as package-lock.json pins them --------------------
FROM node:20-bookworm-slim AS assets
WORKDIR /app
COPY package.json package-lock.json ./
# No package here needs an install script; refusing them keeps npm from running foreign code.
RUN npm ci --ignore-scripts --no-audit --no-fund --loglevel=error

# --- Translations: .po → .mo with polib (the Makefile's `messages`), kept out of the runtime ---
FROM python:3.11-slim-bookworm AS messages
WORKDIR /app
COPY requirements-dev.txt ./
# The polib pin of requirements-dev.txt, without the rest of the development tools.
RUN pip install --no-cache-dir --disable-pip-version-check --root-user-action=ignore \
        "$(grep -i '^polib==' requirements-dev.txt)"
COPY locale/ locale/
RUN python -c "import pathlib, polib; [polib.pofile(str(p)).save_as_mofile(str(p.with_suffix('.mo'))) for p in pathlib.Path('locale').glob('*/LC_MESSAGES/*.po')]"

# --- Runtime ----------------------------------------------------------------------------------
FROM python:3.11-slim-bookworm AS runtime

# The access log blanks the client's address, user agent and time on /tip/ (binhyen/gunicorn.py).
# WEB_CONCURRENCY is gunicorn's own default for --workers; override it in .env (about 2 × cores + 1).
# DATA_DIR is the folder of files the portal writes (uploads), relative to /app; the compose
# file mounts a named volume on /app/var.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    WEB_CONCURRENCY=3 \
    GUNICORN_CMD_ARGS="--bind 0.0.0.0:8000 --access-logfile - --logger-class binhyen.gunicorn.Logger --error-logfile - --worker-tmp-dir /dev/shm --timeout 60 --max-requests 1000 --max-requests-jitter 100" \
    DATA_DIR=var

# WeasyPrint (PDF) needs Pango and HarfBuzz; DejaVu has every Vietnamese letter, Liberation
# Serif the metrics of Times New Roman for party documents. postgresql-client: manage.py backup.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 libcairo2 fonts-dejavu-core \
        fonts-liberation2 postgresql-client \
    && rm -rf /var/lib/apt/lists/*

# The unprivileged user the portal runs as (fixed ids, so volume ownership survives rebuilds).
RUN groupadd --system --gid 10001 binhyen \
    && useradd --system --uid 10001 --gid binhyen --create-home --home-dir /home/binhyen \
        --shell /usr/sbin/nologin binhyen

WORKDIR /app
COPY requirements.txt ./
RUN pip install --no-cache-dir --disable-pip-version-check --root-user-action=ignore \
        -r requirements.txt

# The code stays owned by root: the app user can read it, not change it.
COPY . .
COPY --from=assets /app/node_modules ./node_modules
COPY --from=messages /app/locale ./locale

# Static files are collected into the image and served by whitenoise. collectstatic only copies
# and hashes files, so a placeholder key is enough (DEBUG off refuses the default one).
RUN SECRET_KEY=collectstatic-only python manage.py collectstatic --no-input --verbosity 0 \
    && mkdir -p var/media \
    && chown -R binhyen:binhyen var

USER binhyen:binhyen
EXPOSE 8000

# /healthz answers 200 when the database, the broker and the beat → worker heartbeat are fine.
# It is asked with the first ALLOWED_HOSTS name as Host, or Django would refuse it with 400.
# The worker and beat containers replace this check (docker-compose.yml).
HEALTHCHECK --interval=30s --timeout=10s --start-period=180s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as r; h = os.environ.get('ALLOWED_HOSTS', 'localhost').split(',')[0].strip().lstrip('.'); h = 'localhost' if h in ('', '*') else h; r.urlopen(r.Request('http://127.0.0.1:8000/healthz', headers={'Host': h}), timeout=8)"]

# Options come from GUNICORN_CMD_ARGS and WEB_CONCURRENCY above.
CMD ["gunicorn", "binhyen.wsgi"]
