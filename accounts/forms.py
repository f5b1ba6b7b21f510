from django import forms
from django.utils.translation import gettext_lazy as _

from binhyen.dates import DayField


class TokenForm(forms.Form):
    otp_token = forms.CharField(
        label=_("Code"),
        max_length=32,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


class EnrolmentForm(TokenForm):
    """Enrolment: the app's first code and, for an account that must use two factors, the
    one-time enrolment code its administrator handed over."""

    enrolment_code = forms.CharField(
        label=_("Enrolment code from your administrator"),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    field_order = ["enrolment_code", "otp_token"]

    def __init__(self, *args, code_required: bool, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not code_required:
            del self.fields["enrolment_code"]


class RecoveryTokenForm(TokenForm):
    """Verification accepts a recovery code as well as the app's six digits."""

    otp_token = forms.CharField(
        label=_("Code from the app, or a recovery code"),
        max_length=32,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "autofocus": True}),
    )


class AuditFilterForm(forms.Form):
    """The audit page's filters; choices are narrowed to what the user may read."""

    model = forms.ChoiceField(label=_("Record type"), required=False)
    actor = forms.ModelChoiceField(label=_("By"), required=False, queryset=None)
    action = forms.TypedChoiceField(label=_("Action"), required=False, coerce=int, empty_value=None)
    since = DayField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    until = DayField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, models, actors, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["model"].choices = [("", _("All"))] + [
            (f"{m._meta.app_label}.{m._meta.model_name}", str(m._meta.verbose_name).capitalize())
            for m in models
        ]
        self.fields["actor"].queryset = actors
        self.fields["actor"].empty_label = _("Anyone")
        from .audit import ACTION_CHOICES

        self.fields["action"].choices = [("", _("All")), *ACTION_CHOICES]
        for field in self.fields.values():
            select = isinstance(field.widget, forms.Select)
            field.widget.attrs["class"] = "form-select" if select else "form-control"
