"""Forms of the public tip pages. They validate only; filing goes through tips/services.py."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from groups.models import Commune, Hamlet

from ..forms import FeedbackForm
from ..models import Attachment, Category, IncidentReport
from .services import ADDITION_MAX_LENGTH

HONEYPOT = "website"


class HoneypotMixin(forms.Form):
    # Hidden from people (the template puts it in a d-none block, out of the tab order); a bot
    # that fills every field gives itself away.
    website = forms.CharField(label=_("Leave this field empty"), required=False)

    def caught(self) -> bool:
        return bool(self.data.get(HONEYPOT, "").strip())


class TipForm(HoneypotMixin):
    hamlet = forms.ModelChoiceField(
        label=_("Hamlet"), queryset=Hamlet.objects.none(), empty_label=_("— choose —")
    )
    # No category is chosen for the tipster: a careless tip would land in the first one
    # (national security, the most sensitive).
    category = forms.ChoiceField(
        label=_("What is it about?"), choices=[("", _("— choose —")), *Category.choices]
    )
    description = forms.CharField(
        label=_("What happened"),
        widget=forms.Textarea(attrs={"rows": 6}),
        min_length=10,
        max_length=IncidentReport._meta.get_field("description").max_length,
        help_text=_(
            "Where and when, what you saw. Do not write your name or phone number unless you "
            "want the police to contact you."
        ),
    )
    photo = forms.FileField(
        label=_("Photo (optional)"),
        required=False,
        help_text=_(
            "JPEG, PNG or WebP, at most %(max)d MB. Its location and camera data are removed."
        )
        % {"max": Attachment.MAX_SIZE // (1024 * 1024)},
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )

    # The draft's idempotency key (static/js/drafts.js), see tip_submit.
    submission_key = forms.UUIDField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, commune: Commune, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["hamlet"].queryset = Hamlet.objects.filter(commune=commune).order_by("name")
        self.order_fields(
            ["hamlet", "category", "description", "photo", "submission_key", HONEYPOT]
        )


class TrackForm(HoneypotMixin):
    code = forms.CharField(
        label=_("Tracking code"),
        max_length=40,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "placeholder": "XXXX-XXXX-XXXX-XXXX",
            }
        ),
    )


class TipFeedbackForm(TrackForm, FeedbackForm):
    """The tipster's word on the outcome, with the code (hidden: it was typed to open the page)."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("auto_id", "feedback_%s")  # beside the other form of the page
        super().__init__(*args, **kwargs)
        self.fields["code"].widget = forms.HiddenInput()


class AddInformationForm(TrackForm):
    text = forms.CharField(
        label=_("More information"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=ADDITION_MAX_LENGTH,
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["code"].widget = forms.HiddenInput()
