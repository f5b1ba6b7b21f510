"""The one place bulletins send a notification (in-app, and e-mail through Celery after commit).

It calls the project's notifications core, `accounts.services.notification_send`, which creates
the user's notification at most once per `key` (None when it already existed) and e-mails it
when asked, surviving a broker outage by a periodic scan.
"""

from __future__ import annotations

from typing import Any

from accounts.models import User


def notify(
    *,
    user: User,
    key: str,
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    email: bool = False,
) -> Any:
    from accounts.services import notification_send

    return notification_send(
        user=user, key=key, kind=kind, title=title, body=body, url=url, email=email
    )
