"""The portal's roles: `auth.Group`s with stable names and the permissions each one holds.

The groups themselves are created by a data migration; their permissions are set from
ROLE_PERMISSIONS after every `migrate` (permissions only exist once all apps have migrated), so
this table is the one place to read or change what a role may do. Later features add their
permissions here. Code checks `user.has_perm(...)`, never a group's name.
"""

from django.contrib.auth.models import Group, Permission
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    COMMUNE_POLICE = "commune_police", _("Commune police")
    AREA_OFFICER = "area_officer", _("Area police officer")
    HAMLET_HEAD = "hamlet_head", _("Hamlet head")
    PARTY_OFFICE = "party_office", _("Party office")
    COMMUNE_LEADER = "commune_leader", _("Commune leader")


# Roles that work on a whole commune, as opposed to the hamlets assigned to a user.
COMMUNE_WIDE_ROLES = {Role.COMMUNE_POLICE, Role.PARTY_OFFICE, Role.COMMUNE_LEADER}
# Roles that work in the Django admin (it is the commune police's main tool).
STAFF_ROLES = {Role.COMMUNE_POLICE, Role.AREA_OFFICER}


def _crud(app_label: str, *models: str, actions: str = "view add change delete") -> set[str]:
    return {f"{app_label}.{action}_{model}" for model in models for action in actions.split()}


# The register (groups app): police keep it, area officers keep their hamlets' part of it,
# hamlet heads and the leadership read hamlets and groups but never the rosters' phones.
REGISTER_READ = _crud("groups", "commune", "hamlet", "peoplegroup", "zalogroup", actions="view")
# Reports: who may file, triage and read them. `reports.view_informant` (reveal an informant's
# identity, every reveal logged) is given to the commune police role as a simple default; a
# commune whose lead wants need-to-know should remove it here and grant it to named officers.
REPORTS_TRIAGE = (
    _crud("reports", "incidentreport", actions="view add change")
    | {"reports.triage_report"}
    # Anonymous tips: read them and write the public reply the tipster sees.
    | _crud("reports", "tipaccess", actions="view change")
)

# Bulletins: commune police write, approve (another person than the author) and publish them,
# keep the commune's settings and the question log; area officers write and edit drafts for
# their hamlets (`change_bulletin`: drafts in scope; nothing past draft changes), work their
# checklist (`add_posting` = record a posting as posted or skipped; rows are only created by
# publishing) and log questions; hamlet heads read the released bulletins
# of their hamlet; the party office and leaders read bulletins, postings and questions (the
# yearly review). `bulletins.receive_escalations` (the digest of postings overdue for days) is
# in no role: grant it to the commune police lead as a user permission.
BULLETINS_READ = _crud(
    "bulletins", "bulletin", "posting", "procedurequestion", "guide", actions="view"
)
BULLETINS_OFFICER = BULLETINS_READ | {
    "bulletins.add_bulletin",
    "bulletins.change_bulletin",
    "bulletins.add_posting",
    "bulletins.add_procedurequestion",
}

# Yearly reviews: the police build, edit and finalise them (finalise_review needs 2FA) and assess
# the hamlets' safety; the party office reads them, nominates and approves commendations; the
# commune leader reads them. Hamlet heads and area officers see none of it (commune-wide figures).
REVIEWS_READ = {"reviews.view_annualreview", "reviews.view_commendation"}
REVIEWS_POLICE = REVIEWS_READ | {
    "reviews.add_annualreview",
    "reviews.change_annualreview",
    "reviews.finalise_review",
    "reviews.add_commendation",
    "reviews.view_safetyassessment",
    "reviews.change_safetyassessment",
    "reviews.view_safetycriterion",
    "reviews.change_safetycriterion",
    "reviews.add_safetycriterion",
    "reviews.view_reviewsettings",
    "reviews.add_reviewsettings",
    "reviews.change_reviewsettings",
}
REVIEWS_PARTY_OFFICE = REVIEWS_READ | {
    "reviews.add_commendation",
    "reviews.approve_commendation",
    "reviews.view_safetyassessment",
}

# Users: the commune police read their commune's accounts (accounts.view_user). Administering
# them (`accounts.manage_commune_users`: create, give roles and hamlets, deactivate, reset the
# second factor, lift a lockout; accounts.services.user_create and the rest) is in no role:
# grant it to the commune police lead as a user permission.
ROLE_PERMISSIONS: dict[str, set[str]] = {
    Role.COMMUNE_POLICE: {
        "groups.view_all_hamlets",
        "groups.change_commune",
        "groups.add_hamlet",
        "groups.change_hamlet",
        "groups.view_membercount",
        "accounts.view_user",
        "auditlog.view_logentry",
        # Failed logins of the commune's users, and lifting a lockout (deleting the attempt).
        "axes.view_accessattempt",
        "axes.delete_accessattempt",
        "axes.view_accesslog",
        "reports.view_informant",
        "reports.view_informantreveal",
    }
    | REGISTER_READ
    | _crud("groups", "peoplegroup", "zalogroup", "member")
    | REPORTS_TRIAGE
    | _crud("reports", "deadlinerule")
    | _crud("reports", "reportsettings", actions="view add change")
    | BULLETINS_OFFICER
    | {"bulletins.approve_bulletin", "bulletins.change_posting"}
    | _crud("bulletins", "procedurequestion")
    | _crud("bulletins", "bulletinsettings", actions="view add change")
    | REVIEWS_POLICE,
    Role.AREA_OFFICER: {"groups.change_hamlet", "groups.view_membercount"}
    | REGISTER_READ
    | _crud("groups", "peoplegroup", "zalogroup", "member", actions="view add change")
    | REPORTS_TRIAGE
    | BULLETINS_OFFICER,
    Role.HAMLET_HEAD: REGISTER_READ
    | _crud("reports", "incidentreport", actions="view add")
    | {"bulletins.view_bulletin"},
    # The figures of reports, never an informant (they hold no reports.view_informant).
    Role.PARTY_OFFICE: {"groups.view_all_hamlets", "reports.view_incidentreport"}
    | REGISTER_READ
    | BULLETINS_READ
    | REVIEWS_PARTY_OFFICE,
    Role.COMMUNE_LEADER: {"groups.view_all_hamlets", "reports.view_incidentreport"}
    | REGISTER_READ
    | BULLETINS_READ
    | REVIEWS_READ
    | {"reviews.view_safetyassessment"},
}


def _permissions(codes: set[str]) -> list[Permission]:
    query = Q()
    for code in codes:
        app_label, codename = code.split(".")
        query |= Q(content_type__app_label=app_label, codename=codename)
    found = list(Permission.objects.filter(query)) if codes else []
    missing = codes - {f"{p.content_type.app_label}.{p.codename}" for p in found}
    if missing:
        raise LookupError(f"Unknown permissions in ROLE_PERMISSIONS: {sorted(missing)}")
    return found


def sync_role_permissions() -> None:
    """Make each role group hold exactly the permissions ROLE_PERMISSIONS gives it."""
    for role in Role:
        group, _created = Group.objects.get_or_create(name=role.value)
        group.permissions.set(_permissions(ROLE_PERMISSIONS[role]))
