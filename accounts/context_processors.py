from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from .access import unread_count


def notifications(request: HttpRequest) -> dict:
    """`unread_notifications`: the signed-in user's unread count, read only when a template
    shows it, and counted once per change of their notifications (accounts/access.py)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def count() -> int:
        return unread_count(user)

    return {"unread_notifications": SimpleLazyObject(count)}
