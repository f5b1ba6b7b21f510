from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject


def notifications(request: HttpRequest) -> dict:
    """`unread_notifications`: the signed-in user's unread count, counted only when a template
    shows it (one indexed COUNT)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def count() -> int:
        return user.notifications.unread().count()

    return {"unread_notifications": SimpleLazyObject(count)}
