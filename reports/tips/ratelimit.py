"""A small fixed-window rate limiter for the public tip pages, in the cache only.

The client is known by an HMAC of its address (keyed with SECRET_KEY, so a cache dump does not
list addresses), kept in the cache for the window and never written next to a tip. Behind a
reverse proxy (SECURE_PROXY_SSL_HEADER set, see BEHIND_HTTPS_PROXY) the address is the last
entry of X-Forwarded-For, the one our proxy appended; anything before it is the client's word.
With the per-process cache (no REDIS_URL) each process counts on its own: the limit is then per
process, which still stops a flood from one client.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.crypto import salted_hmac


@dataclass(frozen=True)
class Limit:
    name: str
    count: int  # requests allowed per window
    seconds: int


SUBMIT = Limit("tip-submit", count=5, seconds=3600)
TRACK = Limit("tip-track", count=30, seconds=600)


def client_key(request: HttpRequest) -> str:
    address = request.META.get("REMOTE_ADDR", "")
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded.strip():
            address = forwarded.split(",")[-1].strip()
    return salted_hmac("binhyen.reports.tip-rate-limit", address).hexdigest()[:32]


def hit(request: HttpRequest, limit: Limit) -> bool:
    """Count one request of the client; False once it is over the limit of the window."""
    window = int(time.time() // limit.seconds)
    key = f"ratelimit:{limit.name}:{client_key(request)}:{window}"
    cache.add(key, 0, timeout=limit.seconds + 60)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=limit.seconds + 60)
        count = 1
    if count is None:
        # django-redis with IGNORE_EXCEPTIONS answers None while Redis is down: the limiter
        # then lets requests through (a tip must never fail for it), until Redis is back.
        return True
    return count <= limit.count
