"""The benchmark's settings: the product's, plus what only `make bench` needs — the `bench` app
(`manage.py seed_scale`, the province generator) and the URLs of bench/urls.py (the framework
floor page). bench/common.py sets DJANGO_SETTINGS_MODULE=bench.settings for every bench process
and the servers it starts."""

from binhyen.settings import *  # noqa: F403
from binhyen.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "bench"]
ROOT_URLCONF = "bench.urls"
