from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from .access import menu_key, unread_count
from .middleware import second_factor_owed


def notifications(request: HttpRequest) -> dict:
    """`unread_notifications`: the signed-in user's unread count, read only when a template
    shows it, and counted once per change of their notifications (accounts/access.py)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def count() -> int:
        return unread_count(user)

    return {"unread_notifications": SimpleLazyObject(count)}


def second_factor(request: HttpRequest) -> dict:
    """`second_factor_owed`: the signed-in user has passed the password but not yet the second
    factor. The navigation (templates/includes/nav.html) then shows only the logo and logout:
    none of the pages it lists would open before the code is verified."""
    if not hasattr(request, "user"):
        return {"second_factor_owed": False}
    return {"second_factor_owed": second_factor_owed(request)}


def navigation(request: HttpRequest) -> dict:
    """`nav_menu_key`: what the navigation's menu depends on (accounts.access.menu_key), read
    only when a template shows the menu. The menu is drawn once per key and language and kept
    in the worker's memory: every signed-in page would otherwise draw the same links again."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"nav_menu_key": SimpleLazyObject(lambda: menu_key(user))}
