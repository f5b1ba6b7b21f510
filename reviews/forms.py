"""Forms of the review pages: they validate and narrow choices to the user's commune; the
services do the writing."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from accounts.roles import Role
from groups.access import users_in_commune
from groups.models import Hamlet, Member, PeopleGroup, ZaloGroup

from .models import NARRATIVE_FIELDS, AnnualReview, Commendation, PeriodKind, SafetyAssessment


class ReviewCreateForm(forms.Form):
    year = forms.IntegerField(label=_("Year"), min_value=2025, max_value=2100)
    period_kind = forms.ChoiceField(label=_("Period"), choices=PeriodKind.choices)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["year"].initial = timezone.localdate().year


class NarrativeForm(forms.ModelForm):
    class Meta:
        model = AnnualReview
        fields = ["subject", *NARRATIVE_FIELDS]
        widgets = {name: forms.Textarea(attrs={"rows": 4}) for name in NARRATIVE_FIELDS}


class FinaliseForm(forms.Form):
    number = forms.IntegerField(
        label=_("Document number"),
        min_value=1,
        required=False,
        help_text=_("Số …-BC/ĐU. Empty: the next free number of the year."),
    )
    confirm = forms.BooleanField(
        label=_("I checked the figures and the text: freeze and number this review."),
        required=True,
    )


def nominee_choices(user: User, commune_id: int) -> list[tuple[str, list[tuple[str, str]]]]:
    """The nominees the user may choose, grouped, as "kind:id" values. Members are offered only
    to users who may see the roster, and only those with a role beyond household."""
    hamlets = Hamlet.objects.filter(commune_id=commune_id).visible_to(user)
    # Roles classify the nominees here; they decide nothing about access.
    users = (
        users_in_commune(commune_id)
        .filter(groups__name__in=[Role.HAMLET_HEAD, Role.COMMUNE_POLICE, Role.AREA_OFFICER])
        .distinct()
        .prefetch_related("groups")
    )
    officers, heads = [], []
    for person in users.order_by("full_name", "username"):
        roles = set(person.roles)
        if Role.HAMLET_HEAD in roles:
            heads.append((f"hamlet_head:{person.pk}", person.get_full_name()))
        if roles & {Role.COMMUNE_POLICE, Role.AREA_OFFICER}:
            officers.append((f"officer:{person.pk}", person.get_full_name()))
    choices = [
        (str(_("Hamlets")), [(f"hamlet:{h.pk}", h.name) for h in hamlets]),
        (
            str(_("People's groups")),
            [
                (f"people_group:{g.pk}", f"{g.name} ({g.hamlet.name})")
                for g in PeopleGroup.objects.filter(hamlet__in=hamlets).select_related("hamlet")
            ],
        ),
        (
            str(_("Zalo groups")),
            [(f"zalo_group:{g.pk}", g.name) for g in ZaloGroup.objects.filter(hamlet__in=hamlets)],
        ),
        (str(_("Police officers")), officers),
        (str(_("Hamlet heads")), heads),
    ]
    if user.has_perm("groups.view_member"):
        members = (
            Member.objects.visible_to(user)
            .active()
            .filter(group__hamlet__commune_id=commune_id)
            .exclude(role=Member.Role.HOUSEHOLD)
            .select_related("group__hamlet")
        )
        choices.append(
            (
                str(_("Members")),
                [(f"member:{m.pk}", f"{m.full_name} ({m.group.hamlet.name})") for m in members],
            )
        )
    return [(label, options) for label, options in choices if options]


MODELS = {
    Commendation.Nominee.HAMLET: Hamlet,
    Commendation.Nominee.PEOPLE_GROUP: PeopleGroup,
    Commendation.Nominee.ZALO_GROUP: ZaloGroup,
    Commendation.Nominee.OFFICER: User,
    Commendation.Nominee.HAMLET_HEAD: User,
    Commendation.Nominee.MEMBER: Member,
}


class NominationForm(forms.Form):
    nominee = forms.ChoiceField(label=_("Nominee"))
    reason = forms.CharField(
        label=_("Achievement"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, user: User, commune_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["nominee"].choices = nominee_choices(user, commune_id)

    def clean_nominee(self) -> tuple[str, Any]:
        kind, _sep, pk = self.cleaned_data["nominee"].partition(":")
        target = MODELS[Commendation.Nominee(kind)].objects.get(pk=int(pk))
        return kind, target


class DecisionForm(forms.Form):
    approve = forms.TypedChoiceField(
        choices=[("1", _("Approve")), ("0", _("Decline"))], coerce=lambda value: value == "1"
    )
    note = forms.CharField(label=_("Note"), max_length=2000, required=False)


class SafetyForm(forms.Form):
    """The checklist: one "met" box and a note per criterion, the evidence and the result."""

    evidence = forms.CharField(
        label=_("Evidence"),
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    result = forms.ChoiceField(label=_("Result"), choices=SafetyAssessment.Result.choices)

    def __init__(self, *args: Any, criteria: list, checks: dict, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.criteria = criteria
        for criterion in criteria:
            check = checks.get(criterion.pk)
            self.fields[f"met_{criterion.pk}"] = forms.BooleanField(
                label=criterion.text, required=False, initial=bool(check and check.met)
            )
            self.fields[f"note_{criterion.pk}"] = forms.CharField(
                label=_("Note"), required=False, max_length=500, initial=check.note if check else ""
            )

    def rows(self) -> list[tuple[Any, Any, Any]]:
        return [(c, self[f"met_{c.pk}"], self[f"note_{c.pk}"]) for c in self.criteria]
