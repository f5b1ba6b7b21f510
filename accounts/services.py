"""Writes of the accounts app: notifications; two-factor enrolment, verification, recovery
codes and resets; the administration of accounts (user_create, user_update, lockout_lift).

TOTP (django-otp's otp_totp) is the second factor; recovery codes are the tokens of one
django-otp static device per user, each usable once, shown once and replaceable by a new set.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import logging
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import NoReturn

import django_otp
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q, QuerySet
from django.db.models.functions import Lower
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from binhyen.celery import enqueue, enqueue_on_commit
from groups.access import communes_for, users_for
from groups.models import Hamlet

from . import push
from .access import inbox_changed
from .models import EnrolmentCode, Notification, PushDelivery, PushSubscription, User
from .roles import STAFF_ROLES, Role

log = logging.getLogger(__name__)

TOTP_NAME = "totp"
RECOVERY_NAME = "recovery"


def requires_two_factor(user: User) -> bool:
    """Whether the account may do something that needs a second factor (OTP_REQUIRED_PERMISSIONS:
    revealing an informant, finalising a review). Unknown permissions are held by nobody."""
    if not user.is_authenticated:
        return False
    return any(user.has_perm(permission) for permission in settings.OTP_REQUIRED_PERMISSIONS)


def confirmed_totp(user: User) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()


def has_confirmed_device(user: User) -> bool:
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()


@transaction.atomic
def totp_enrolment_start(*, actor: User) -> TOTPDevice:
    """The device being enrolled: the pending one, or a new secret. A confirmed device is never
    replaced here (that takes a reset), so a stolen session cannot move the second factor."""
    if has_confirmed_device(actor):
        raise PermissionDenied
    device = TOTPDevice.objects.filter(user=actor, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice(user=actor, name=TOTP_NAME, confirmed=False)
        device.full_clean()
        device.save()
    return device


def _enrolment_code_hash(code: str) -> str:
    # The code is random (50 bits), so a plain hash is enough; the secret key is mixed in so
    # that a copy of the table alone does not allow testing guesses.
    normalised = code.strip().replace(" ", "").replace("-", "").upper()
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, normalised.encode(), hashlib.sha256).hexdigest()


def _enrolment_code_issue(*, actor: User, user: User) -> str:
    """A new one-time enrolment code for `user` (any earlier one stops working); only its hash
    is stored, the code is returned to be shown once to the administrator."""
    raw = "".join(secrets.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _i in range(10))
    EnrolmentCode.objects.update_or_create(
        user=user,
        defaults={
            "code_hash": _enrolment_code_hash(raw),
            "issued_by": actor,
            "created_at": timezone.now(),
            "expires_at": timezone.now() + timedelta(hours=settings.ENROLMENT_CODE_TTL_HOURS),
        },
    )
    log.warning("enrolment code issued: by=%s user=%s", actor.pk, user.pk)
    return f"{raw[:5]}-{raw[5:]}"


def _enrolment_code_use(*, user: User, code: str) -> None:
    """Use up the user's enrolment code, or refuse: missing, wrong, expired."""
    stored = EnrolmentCode.objects.select_for_update().filter(user=user).first()
    valid = (
        stored is not None
        and hmac.compare_digest(stored.code_hash, _enrolment_code_hash(code or ""))
        and stored.expires_at > timezone.now()
    )
    if not valid:
        log.warning("enrolment code refused: user=%s", user.pk)
        raise ValidationError(
            _(
                "The enrolment code is not valid or has expired. "
                "Ask your administrator for a new one."
            )
        )
    stored.delete()


@transaction.atomic
def totp_enrolment_confirm(
    *, actor: User, request: HttpRequest, token: str, enrolment_code: str = ""
) -> list[str]:
    """Confirm the pending device with a code from the app; the session counts as verified and
    the first recovery codes are returned (to be shown once). An account that must use two
    factors also gives the one-time enrolment code from its administrator (used up here; a
    refusal rolls back)."""
    if requires_two_factor(actor):
        _enrolment_code_use(user=actor, code=enrolment_code)
    device = (
        TOTPDevice.objects.select_for_update()
        .filter(user=actor, confirmed=False)
        .order_by("pk")
        .first()
    )
    if device is None:
        raise PermissionDenied
    if not device.verify_token(token.strip().replace(" ", "")):
        raise ValidationError(_("The code is not correct. Check the time on your phone and retry."))
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    django_otp.login(request, device)
    log.info("two-factor enrolled: user=%s", actor.pk)
    return _new_recovery_codes(actor)


def two_factor_verify(*, request: HttpRequest, token: str) -> bool:
    """Verify this session with a code from the app or a recovery code (used up by this)."""
    user = request.user
    token = token.strip().replace(" ", "").replace("-", "").lower()
    if not token:
        return False
    # Six digits go to the app's device, anything else to the recovery codes: a mistyped code
    # then slows down (django-otp's throttling) only the device it was meant for.
    kind = TOTPDevice if token.isdigit() else StaticDevice
    for device in kind.objects.filter(user=user, confirmed=True):
        verified = django_otp.verify_token(user, device.persistent_id, token)
        if verified is not None:
            django_otp.login(request, verified)
            if isinstance(verified, StaticDevice):
                log.warning("recovery code used: user=%s", user.pk)
            return True
    log.info("two-factor code refused: user=%s", user.pk)
    return False


@transaction.atomic
def recovery_codes_regenerate(*, actor: User) -> list[str]:
    """A new set of recovery codes; the old ones stop working."""
    if not has_confirmed_device(actor):
        raise PermissionDenied
    return _new_recovery_codes(actor)


def recovery_codes_left(user: User) -> int:
    return StaticToken.objects.filter(device__user=user, device__confirmed=True).count()


def _new_recovery_codes(user: User) -> list[str]:
    device, _created = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    codes = [StaticToken.random_token() for _i in range(settings.OTP_RECOVERY_CODE_COUNT)]
    StaticToken.objects.bulk_create(StaticToken(device=device, token=code) for code in codes)
    return codes


@transaction.atomic
def two_factor_reset(*, actor: User, users: list[User]) -> dict[User, str]:
    """Remove every second factor of these users (a lost phone): at their next login they enrol
    again, with the one-time enrolment code returned here for each (to be shown once to the
    administrator, who hands it over). Only for accounts the actor may manage (may_manage_user:
    another commune's or a more powerful account is refused, and the refusal logged), never
    for themselves."""
    if any(user.pk == actor.pk for user in users):
        raise ValidationError(_("You cannot reset your own two-factor authentication."))
    _require_manageable(actor, users, action="two-factor reset")
    ids = [user.pk for user in users]
    TOTPDevice.objects.filter(user_id__in=ids).delete()
    StaticDevice.objects.filter(user_id__in=ids).delete()
    log.warning("two-factor reset: by=%s users=%s", actor.pk, ids)
    return {user: _enrolment_code_issue(actor=actor, user=user) for user in users}


# --- User administration ---------------------------------------------------------------
#
# A superuser administers every account with Django's full form. The holder of
# `accounts.manage_commune_users` (in no role: granted to the commune police lead) administers
# the accounts of their own commune: creates them, gives them roles and hamlets, deactivates
# them, resets their second factor and lifts their lockout. They never set is_superuser,
# is_staff (it follows the roles), direct permissions or another commune, never give a role
# holding a permission they lack, and never touch an account holding more rights than they do.
# Every refusal is logged (logger "accounts.services", level WARNING); every change is in the
# audit log (auditlog registers User with its groups and hamlets).

MANAGE_USERS = "accounts.manage_commune_users"


def may_administer_users(actor: User) -> bool:
    """Whether `actor` may create and change accounts at all (superusers hold every
    permission; an inactive account holds none)."""
    return actor.has_perm(MANAGE_USERS)


def rights_of(user: User) -> set[str]:
    """The permissions an account holds through its roles and directly, read from the database
    whether or not it is active now (a deactivated account gets them back when reactivated)."""
    rows = (
        Permission.objects.filter(Q(group__user=user) | Q(user=user))
        .values_list("content_type__app_label", "codename")
        .distinct()
    )
    return {f"{app_label}.{codename}" for app_label, codename in rows}


def may_manage_user(actor: User, user: User) -> bool:
    """Whether `actor` may change the account `user` as it is stored: a superuser any account;
    a holder of manage_commune_users an account of their own commune (`users_for`) that is no
    superuser, is staff only if they are, and holds no permission they lack."""
    if not may_administer_users(actor):
        return False
    if actor.is_superuser:
        return True
    stored = users_for(actor).filter(pk=user.pk).first()
    if stored is None or stored.is_superuser or (stored.is_staff and not actor.is_staff):
        return False
    return rights_of(stored) <= rights_of(actor)


def grantable_roles(actor: User) -> QuerySet[Group]:
    """The groups `actor` may give: a superuser any group; anyone else the roles of
    accounts.roles.Role whose permissions they hold themselves."""
    if actor.is_superuser:
        return Group.objects.all()
    mine = rights_of(actor)
    roles = Group.objects.filter(name__in=Role.values).prefetch_related("permissions__content_type")
    allowed = [
        group.pk
        for group in roles
        if {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.all()} <= mine
    ]
    return Group.objects.filter(pk__in=allowed)


def assignable_hamlets(actor: User) -> QuerySet[Hamlet]:
    """The hamlets `actor` may put an account in charge of: those of their communes."""
    return Hamlet.objects.filter(commune__in=communes_for(actor))


def user_admin_refused(*, actor: User, action: str, target: object, reason: str) -> None:
    """Log a refused user administration (the service's refusals and the admin's, such as a
    forged field or another commune's account); the caller then refuses."""
    log.warning(
        "user administration refused: by=%s action=%s target=%s reason=%s",
        actor.pk,
        action,
        target,
        reason,
    )


def _refuse(actor: User, action: str, target: object, reason: str) -> NoReturn:
    user_admin_refused(actor=actor, action=action, target=target, reason=reason)
    raise PermissionDenied(reason)


def _require_manageable(actor: User, users: Iterable[User], *, action: str) -> None:
    for user in users:
        if not may_manage_user(actor, user):
            _refuse(actor, action, user.pk, "not an account they may manage")


def _granted(actor: User, target: object, given: Iterable, stored: Iterable, what: str) -> list:
    """The roles (what="groups") or hamlets an account ends with when a non-superuser gives
    `given`: of those they may give (grantable_roles, assignable_hamlets), what they gave; of
    the others, what the account had (they neither add nor remove what they may not give).
    Adding one they may not give is refused."""
    allowed = grantable_roles(actor) if what == "groups" else assignable_hamlets(actor)
    given, stored, allowed = set(given), set(stored), set(allowed)
    if given - stored - allowed:
        _refuse(actor, "grant", target, f"{what} they may not give")
    return list((given & allowed) | (stored - allowed))


def _staff_by_role(groups: list[Group]) -> bool:
    return any(group.name in STAFF_ROLES for group in groups)


@transaction.atomic
def user_create(
    *,
    actor: User,
    user: User,
    groups: Iterable[Group] = (),
    hamlets: Iterable[Hamlet] = (),
    user_permissions: Iterable[Permission] = (),
) -> User:
    """Create the account `user` (unsaved, its password already set) with these roles, hamlets
    and, for a superuser only, direct permissions. For anyone else it is an account of their
    own commune, staff if a role makes it so, never a superuser (module section above).
    The account's one-time enrolment code (for its first two-factor enrolment) is left on
    `user.new_enrolment_code`, to be shown once to the administrator."""
    groups, hamlets, user_permissions = list(groups), list(hamlets), list(user_permissions)
    target = user.username
    if not may_administer_users(actor):
        _refuse(actor, "create", target, "no permission to administer users")
    if not actor.is_superuser:
        if user.is_superuser or user_permissions:
            _refuse(actor, "create", target, "superuser status or direct permissions")
        if user.commune_id not in (None, actor.commune_id) or actor.commune_id is None:
            _refuse(actor, "create", target, "another commune")
        if user.is_staff and not _staff_by_role(groups):
            _refuse(actor, "create", target, "staff status beyond the roles")
        groups = _granted(actor, target, groups, [], "groups")
        hamlets = _granted(actor, target, hamlets, [], "hamlets")
        user.commune_id = actor.commune_id
        user.is_staff = _staff_by_role(groups)
    user.full_clean()
    user.save()
    user.groups.set(groups)
    user.hamlets.set(hamlets)
    user.user_permissions.set(user_permissions)
    user.new_enrolment_code = _enrolment_code_issue(actor=actor, user=user)
    log.info("user created: by=%s user=%s", actor.pk, user.pk)
    return user


@transaction.atomic
def user_update(
    *,
    actor: User,
    user: User,
    groups: Iterable[Group] | None = None,
    hamlets: Iterable[Hamlet] | None = None,
    user_permissions: Iterable[Permission] | None = None,
) -> User:
    """Save the account `user` (as read, with its fields changed) and, when given, its roles,
    hamlets and direct permissions. Checked against the account as stored: another commune's
    or a more powerful account is refused, and so is any change of superuser status, staff
    status (it follows the roles), direct permissions or commune by a non-superuser."""
    stored = users_for(actor).select_for_update().filter(pk=user.pk).first()
    if stored is None or not may_manage_user(actor, stored):
        _refuse(actor, "change", user.pk, "not an account they may manage")
    if not actor.is_superuser:
        for field in ("is_superuser", "is_staff", "commune_id"):
            if getattr(user, field) != getattr(stored, field):
                _refuse(actor, "change", user.pk, f"{field} is not theirs to change")
        if user_permissions is not None and set(user_permissions) != set(
            stored.user_permissions.all()
        ):
            _refuse(actor, "change", user.pk, "direct permissions")
        if groups is not None:
            groups = _granted(actor, user.pk, groups, stored.groups.all(), "groups")
        if hamlets is not None:
            hamlets = _granted(actor, user.pk, hamlets, stored.hamlets.all(), "hamlets")
        user.is_staff = _staff_by_role(stored.groups.all() if groups is None else groups)
    user.full_clean()
    user.save()
    if groups is not None:
        user.groups.set(groups)
    if hamlets is not None:
        user.hamlets.set(hamlets)
    if user_permissions is not None and actor.is_superuser:
        user.user_permissions.set(user_permissions)
    log.info("user changed: by=%s user=%s", actor.pk, user.pk)
    return user


@transaction.atomic
def lockout_lift(*, actor: User, users: list[User]) -> int:
    """Lift the login lockout of these accounts: delete their failed-login records
    (django-axes' AccessAttempt, usernames compared without case as the lockout counts them).
    Only for accounts the actor may manage. Returns how many records were removed."""
    _require_manageable(actor, users, action="lockout lift")
    keys = [user.username.strip().lower() for user in users]
    attempts = AccessAttempt.objects.annotate(key=Lower("username")).filter(key__in=keys)
    removed, _detail = attempts.delete()
    log.warning("lockout lifted: by=%s users=%s", actor.pk, [user.pk for user in users])
    return removed


# --- Notifications ---------------------------------------------------------------------


@transaction.atomic
def notification_send(
    *,
    user: User,
    key: str,
    kind: str,
    title: str,
    body: str = "",
    url: str = "",
    email: bool = False,
) -> Notification | None:
    """Notify `user` once per `key`: the same key again (a task run twice, two workers, beat
    firing twice) creates nothing and returns None. With `email`, the message is also e-mailed
    after commit by a worker; if the broker is down then, the periodic scan
    (accounts.email_pending_notifications) sends it later. It is also pushed to each of the
    user's devices that want its kind (Web Push, when the VAPID keys are set; accounts.push,
    accounts.tasks.send_notification_push). Inactive users are not notified.

    The title and body go into an e-mail and a push: never put an informant's identity in
    them."""
    if not user.is_active:
        return None
    notification = Notification(
        user=user,
        key=key,
        kind=kind,
        title=title[:200],
        body=body,
        url=url,
        email_wanted=email and bool(user.email),
    )
    notification.full_clean(validate_constraints=False)
    try:
        # The unique (user, key) constraint decides: of two concurrent senders, the second
        # waits for the first to commit and then gets IntegrityError, i.e. "already sent".
        with transaction.atomic():
            notification.save()
    except IntegrityError:
        return None
    inbox_changed([user.pk])
    if notification.email_wanted:
        from .tasks import send_notification_email

        enqueue_on_commit(send_notification_email, notification.pk)
    if _push_deliveries([notification]):
        from .tasks import send_notification_push

        enqueue_on_commit(send_notification_push, notification.pk)
    return notification


@dataclass(frozen=True)
class NotificationMessage:
    """One notification for notifications_send_many: the arguments of notification_send."""

    user: User
    key: str
    kind: str
    title: str
    body: str = ""
    url: str = ""
    email: bool = False


# Rows per INSERT: 9 parameters a row stays far below PostgreSQL's 65,535 and SQLite's 32,766.
NOTIFICATION_BATCH = 1000


@transaction.atomic
def notifications_send_many(messages: Sequence[NotificationMessage]) -> list[Notification]:
    """notification_send for many messages in a few statements (the reminder run sends one
    digest per officer of every commune): the same rules — once per (user, key), inactive users
    skipped, e-mails enqueued after commit and caught up by the scan — with one
    INSERT … ON CONFLICT (user_id, key) DO NOTHING RETURNING per NOTIFICATION_BATCH messages.

    Of two concurrent senders of a key, PostgreSQL makes the second wait for the first's
    transaction and then skips the row, so each key is notified once. Returns the notifications
    this call created (with their pks), in the order of `messages`; a key repeated within
    `messages` is sent once (the first one).

    If the broker is down when the transaction commits, the first failed enqueue stops the
    rest (each would wait for the publish retries): the scan sends them all later."""
    rows: dict[tuple[int, str], Notification] = {}
    for message in messages:
        if not message.user.is_active or (message.user.pk, message.key) in rows:
            continue
        notification = Notification(
            user=message.user,
            key=message.key,
            kind=message.kind,
            title=message.title[:200],
            body=message.body,
            url=message.url,
            email_wanted=message.email and bool(message.user.email),
        )
        # Not the user: validating a foreign key is a query per row, and the row's user is
        # the instance we were given (the database's foreign key still checks it).
        notification.full_clean(exclude=["user"], validate_constraints=False)
        rows[(message.user.pk, message.key)] = notification
    if not rows:
        return []
    # In one order whatever the caller's: each insert locks its (user, key) in the unique index,
    # so two senders of the same keys in different orders would deadlock; in one order the
    # second waits for the first, then skips what it inserted.
    pending = sorted(rows.values(), key=lambda n: (n.user_id, n.key))
    created: dict[tuple[int, str], int] = {}
    for start in range(0, len(pending), NOTIFICATION_BATCH):
        created.update(_insert_notifications(pending[start : start + NOTIFICATION_BATCH]))
    sent = []
    for key, notification in rows.items():
        if key in created:
            notification.pk = created[key]
            notification._state.adding = False
            sent.append(notification)
    emails = [notification.pk for notification in sent if notification.email_wanted]
    if emails:
        transaction.on_commit(lambda: _enqueue_emails(emails))
    pushes = _push_deliveries(sent)
    if pushes:
        transaction.on_commit(lambda: _enqueue_pushes(pushes))
    return sent


def _insert_notifications(batch: list[Notification]) -> dict[tuple[int, str], int]:
    """Insert the batch, skipping (user, key) pairs that exist; the inserted ones' pks."""
    ops = connection.ops
    table = Notification._meta.db_table
    names = ("user_id", "key", "kind", "title", "body", "url", "created_at", "email_wanted")
    columns = ", ".join(ops.quote_name(name) for name in (*names, "read_at", "emailed_at"))
    values, params = [], []
    for n in batch:
        values.append("(%s, %s, %s, %s, %s, %s, %s, %s, NULL, NULL)")
        params += [
            n.user_id,
            n.key,
            n.kind,
            n.title,
            n.body,
            n.url,
            ops.adapt_datetimefield_value(n.created_at),
            n.email_wanted,
        ]
    # Only the model's table name and placeholders are formatted in; every value is a parameter.
    sql = (
        f"INSERT INTO {table} ({columns})"  # noqa: S608
        f" VALUES {', '.join(values)}"
        f" ON CONFLICT ({ops.quote_name('user_id')}, {ops.quote_name('key')}) DO NOTHING"
        f" RETURNING {ops.quote_name('id')}, {ops.quote_name('user_id')}, {ops.quote_name('key')}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        inserted = {(user_id, key): pk for pk, user_id, key in cursor.fetchall()}
    inbox_changed({user_id for user_id, _key in inserted})
    return inserted


def _enqueue_emails(ids: list[int]) -> None:
    from .tasks import send_notification_email

    for pk in ids:
        if not enqueue(send_notification_email, pk):
            return  # the broker is down: the scan (email_pending_notifications) sends the rest


def _enqueue_pushes(ids: list[int]) -> None:
    from .tasks import send_notification_push

    for pk in ids:
        if not enqueue(send_notification_push, pk):
            return  # the broker is down: the scan (push_pending_notifications) sends the rest


def _push_deliveries(notifications: Sequence[Notification]) -> list[int]:
    """One PushDelivery per notification and device of its user that wants its kind, in the
    transaction of the notifications (so the scan finds them if the task is lost). Returns
    the notifications that have some. Nothing at all while push is off (no VAPID keys)."""
    if not notifications or not push.enabled():
        return []
    devices: dict[int, list[PushSubscription]] = {}
    users = {notification.user_id for notification in notifications}
    for device in PushSubscription.objects.filter(user_id__in=users).only("user_id", "kinds"):
        devices.setdefault(device.user_id, []).append(device)
    if not devices:
        return []
    rows = [
        PushDelivery(notification_id=notification.pk, subscription_id=device.pk)
        for notification in notifications
        for device in devices.get(notification.user_id, ())
        if push.wants(device, notification.kind)
    ]
    PushDelivery.objects.bulk_create(rows, ignore_conflicts=True)
    return sorted({row.notification_id for row in rows})


def notifications_mark_read(*, actor: User, ids: Iterable[int] | None = None) -> int:
    """Mark the actor's own notifications read: the given ids, or all of them. Other users'
    ids are ignored. Returns how many changed."""
    unread = Notification.objects.filter(user=actor).unread()
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    changed = unread.update(read_at=timezone.now())
    if changed:
        inbox_changed([actor.pk])
    return changed


# --- Web Push devices ---------------------------------------------------------------------


def _push_keys_valid(p256dh: str, auth: str) -> bool:
    """The browser's keys (RFC 8291): a point of P-256, uncompressed, and a 16-byte secret."""
    import base64

    from cryptography.hazmat.primitives.asymmetric import ec

    try:
        point = base64.urlsafe_b64decode(p256dh + "=" * (-len(p256dh) % 4))
        secret = base64.urlsafe_b64decode(auth + "=" * (-len(auth) % 4))
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except ValueError:
        return False
    return len(point) == 65 and len(secret) == 16


@transaction.atomic
def push_subscribe(
    *, actor: User, endpoint: str, p256dh: str, auth: str, user_agent: str = ""
) -> PushSubscription:
    """Turn push on for the actor's device (what the browser's PushManager.subscribe gave).
    The same endpoint again updates its keys and keeps the kinds chosen; an endpoint that was
    another user's (a shared browser, now signed in as the actor) becomes the actor's, with
    every kind, so that nobody's notifications go on appearing on a device someone else uses.
    A new device receives every kind until its user chooses."""
    if not push.enabled():
        raise ValidationError(_("Push notifications are not set up on this portal."))
    if not push.endpoint_allowed(endpoint) or not _push_keys_valid(p256dh, auth):
        raise ValidationError(_("This push subscription is not valid."))
    device = PushSubscription.objects.select_for_update().filter(endpoint=endpoint).first()
    if device is None or device.user_id != actor.pk:
        if device is not None:
            log.info("push device moved: device=%s to=%s", device.pk, actor.pk)
            device.delete()
        device = PushSubscription(user=actor, endpoint=endpoint, kinds=list(push.ALL_KINDS))
    device.p256dh, device.auth = p256dh, auth
    device.user_agent = user_agent[:300]
    device.label = push.device_label(user_agent)
    device.full_clean(exclude=["endpoint"])  # an endpoint is the push service's, any URL
    try:
        with transaction.atomic():
            device.save()
    except IntegrityError:  # the same browser posted twice at once: the other request won
        raise ValidationError(_("This push subscription is not valid.")) from None
    unused = PushSubscription.objects.filter(user=actor).order_by(
        F("last_used_at").desc(nulls_last=True), "-created_at", "-pk"
    )[push.MAX_DEVICES :]
    PushSubscription.objects.filter(pk__in=list(unused.values_list("pk", flat=True))).delete()
    return device


def _own(actor: User, device: PushSubscription) -> None:
    if device.user_id != actor.pk:
        raise PermissionDenied


@transaction.atomic
def push_device_update(*, actor: User, device: PushSubscription, kinds: Iterable[str]) -> None:
    """Choose the kinds of notification pushed to one of the actor's devices."""
    _own(actor, device)
    chosen = set(kinds)
    device.kinds = [kind for kind in push.ALL_KINDS if kind in chosen]
    device.save(update_fields=["kinds"])


@transaction.atomic
def push_device_remove(*, actor: User, device: PushSubscription) -> None:
    """Stop pushing to one of the actor's devices (its pending pushes go with it)."""
    _own(actor, device)
    device.delete()


def push_device_forget(*, actor: User, endpoint: str) -> bool:
    """Stop pushing to the browser the actor signs out of (logout sends its endpoint, as the
    browser drops its subscription): on a shared phone, the next person sees none of the
    actor's notifications. Only the actor's own device is removed. Whether one was."""
    deleted, _by_model = PushSubscription.objects.filter(user=actor, endpoint=endpoint).delete()
    return deleted > 0


# --- API tokens ---------------------------------------------------------------------------

# How precisely a token's last use is kept: one database write per token and cache per period.
TOKEN_USE_RESOLUTION = timedelta(minutes=5)


@dataclass(frozen=True)
class ApiToken:
    """What a user may see of their own API token: never its key."""

    created: datetime.datetime
    expires: datetime.datetime
    used_at: datetime.datetime | None

    @property
    def expired(self) -> bool:
        return self.expires <= timezone.now()


def api_token_of(user: User) -> ApiToken | None:
    """The user's API token as their account page shows it, or None when they have none."""
    from rest_framework.authtoken.models import Token

    token = Token.objects.filter(user=user).only("created").first()
    if token is None:
        return None
    expires = token.created + timedelta(days=settings.API_TOKEN_TTL_DAYS)
    return ApiToken(created=token.created, expires=expires, used_at=user.api_token_used_at)


def api_token_touch(*, user: User) -> None:
    """Record that `user`'s token authenticated a request, at most once per
    TOKEN_USE_RESOLUTION (the cache says whether this period is already recorded), so that a
    program calling the API many times a second does not write on every call."""
    key = f"api-token-used:{user.pk}"
    if cache.add(key, True, timeout=int(TOKEN_USE_RESOLUTION.total_seconds())):
        User.objects.filter(pk=user.pk).update(api_token_used_at=timezone.now())


@transaction.atomic
def api_token_revoke(*, actor: User, user: User | None = None) -> bool:
    """Delete the API token of `user` (the actor's own when None; another's needs the admin's
    permission to delete tokens): a program holding it is refused from the next call. Said in
    the audit log. False when there was none."""
    from auditlog.models import LogEntry
    from rest_framework.authtoken.models import Token

    user = user or actor
    if user.pk != actor.pk and not actor.has_perm("authtoken.delete_tokenproxy"):
        raise PermissionDenied
    deleted, _rows = Token.objects.filter(user=user).delete()
    if not deleted:
        return False
    User.objects.filter(pk=user.pk).update(api_token_used_at=None)
    cache.delete(f"api-token-used:{user.pk}")
    LogEntry.objects.log_create(
        user, action=LogEntry.Action.UPDATE, actor=actor, changes={"api_token": ["✓", "—"]}
    )
    return True
