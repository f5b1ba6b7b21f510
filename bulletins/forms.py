"""Forms of the bulletin pages. They validate and narrow choices to the user's scope; the views
hand the cleaned data to the services, which sanitise and save."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from accounts.models import User
from binhyen.forms import EmptyChoiceMixin
from groups.access import hamlets_for
from groups.models import ZaloGroup

from .models import Bulletin, Posting, ProcedureQuestion, Theme
from .sanitize import body_html, body_text
from .services import Content

BODY_EXAMPLE = _(
    "Dear residents, please note:\n"
    "- Never give your OTP code to anyone.\n"
    "- Call 113 when you are in danger.\n"
    "\n"
    "More on https://dichvucong.gov.vn"
)


class BulletinForm(EmptyChoiceMixin, forms.ModelForm):
    body = forms.CharField(
        label=_("Body"),
        widget=forms.Textarea(attrs={"rows": 12}),
        max_length=20_000,
        help_text=_(
            "Type as usual: a blank line starts a new paragraph, lines starting with “- ” or "
            "“1. ” make a list, web addresses become links."
        ),
    )
    zalo_text = forms.CharField(
        label=_("Zalo text"),
        required=False,
        max_length=Bulletin.ZALO_TEXT_MAX,
        widget=forms.Textarea(
            attrs={
                "rows": 10,
                "data-counter": "zalo-counter",
                "data-recommended": Bulletin.ZALO_TEXT_RECOMMENDED,
                "maxlength": Bulletin.ZALO_TEXT_MAX,
            }
        ),
        help_text=_(
            "Plain text as it is pasted into Zalo (line breaks and emoji kept). Leave it empty "
            "to make it from the body again."
        ),
    )
    publish_at = forms.DateTimeField(
        label=_("Publish at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text=_("Empty: when it is published."),
    )

    class Meta:
        model = Bulletin
        fields = [
            "title",
            "theme",
            "procedure",
            "directive",
            "body",
            "zalo_text",
            "target_mode",
            "target_hamlets",
            "target_groups",
            "publish_at",
        ]
        widgets = {
            "target_mode": forms.RadioSelect,
            "target_hamlets": forms.CheckboxSelectMultiple,
            "target_groups": forms.CheckboxSelectMultiple,
        }

    def __init__(self, *args: object, user: User, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        # The stored body is HTML; the officer edits it as the text they typed (or a guide's).
        if self.initial.get("body"):
            self.initial["body"] = body_text(self.initial["body"])
        hamlets = hamlets_for(user).filter(commune_id=user.commune_id)
        self.fields["target_hamlets"].queryset = hamlets
        self.fields["target_groups"].queryset = (
            ZaloGroup.objects.active().filter(hamlet__in=hamlets).select_related("hamlet")
        )

    def body_example(self) -> tuple[str, str]:
        """An example of typed text and the body made from it, by the same function."""
        text = str(BODY_EXAMPLE)
        return text, body_html(text)

    def clean(self) -> dict:
        data = super().clean()
        if data.get("procedure") and data.get("theme") != Theme.PROCEDURES:
            self.add_error("procedure", _("A procedure is given only for procedure guides."))
        return data

    def content(self) -> Content:
        data = self.cleaned_data
        return Content(
            title=data["title"],
            theme=data["theme"],
            body=data["body"],
            zalo_text=data.get("zalo_text") or "",
            procedure=data.get("procedure") or "",
            directive=data.get("directive") or "",
            target_mode=data["target_mode"],
            target_hamlets=list(data.get("target_hamlets") or []),
            target_groups=list(data.get("target_groups") or []),
            publish_at=data.get("publish_at"),
        )


class ImageForm(forms.Form):
    image = forms.FileField(label=_("Picture"))


class TransitionForm(forms.Form):
    to_status = forms.ChoiceField(choices=Bulletin._meta.get_field("status").choices)
    comment = forms.CharField(label=_("Comment"), required=False, max_length=5000)
    security_check = forms.BooleanField(
        label=_("I checked it: no State secret, no informant's identity, no personal data."),
        required=False,
    )
    confirm_over_limit = forms.BooleanField(
        label=_("Publish anyway, although some groups are over the weekly limit."),
        required=False,
    )


class PostedForm(forms.Form):
    proof_url = forms.URLField(
        label=_("Proof link"), required=False, max_length=500, assume_scheme="https"
    )
    proof_image = forms.FileField(label=_("Screenshot"), required=False)


class SkipForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=1000)


class QuestionForm(EmptyChoiceMixin, forms.ModelForm):
    class Meta:
        model = ProcedureQuestion
        fields = ["procedure", "group", "date", "count", "note"]
        widgets = {"date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def __init__(self, *args: object, user: User, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.fields["group"].queryset = (
            ZaloGroup.objects.visible_to(user).active().select_related("hamlet")
        )


class ChecklistFilter(forms.Form):
    status = forms.ChoiceField(
        choices=[("", _("To post")), *Posting.Status.choices], required=False
    )
