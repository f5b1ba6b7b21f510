"""The admin's writes go through the apps' services, like every other door.

`ServiceAdminMixin` (for a ModelAdmin) and `ServiceInlineMixin` (for an inline) route every save
and delete of the admin through three hooks that call the app's service:

- `service_check(request, obj)`: the service's rules for the row as the form would save it,
  run while the form is validated, so that a refused change comes back as the form's errors
  (in Vietnamese, with the data typed kept), never as a 500;
- `service_save(request, obj)`: the service's save (it checks the rules again, with the
  permission and scope);
- `service_delete(request, obj)`: the service's delete.

A rule that the service refuses only at save time (a concurrent change) rolls back the whole
change form and comes back as an error message: nothing is saved.
"""

from __future__ import annotations

import copy
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model, QuerySet
from django.forms.models import construct_instance
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect


def add_service_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Put the service's errors on the form: on the field when the form shows it, else on top
    (an inline's hidden key to its parent, a field the admin leaves out)."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for name, errors in error.error_dict.items():
        shown = name in form.fields and not form.fields[name].widget.is_hidden
        form.add_error(name if shown else None, errors)


def checked_form(form_class: type[forms.ModelForm], check: Any) -> type[forms.ModelForm]:
    """`form_class` whose validation ends with `check(obj)` on the row as it would be saved."""

    def clean(self: forms.ModelForm) -> dict[str, Any]:
        cleaned = form_class.clean(self)
        # A field invalid already: the rules would read a half-built row. An unchanged row
        # (an inline's untouched line) is not saved, so not checked either.
        if self.errors or not self.has_changed():
            return cleaned
        candidate = construct_instance(self, copy.copy(self.instance))
        try:
            check(candidate)
        except ValidationError as error:
            add_service_errors(self, error)
        return cleaned

    return type(form_class.__name__, (form_class,), {"clean": clean})


class ServiceHooks:
    """The three hooks; by default the plain model writes (override them with the services)."""

    def service_check(self, request: HttpRequest, obj: Model) -> None:
        """Raise ValidationError when the service would refuse to save `obj`."""

    def service_save(self, request: HttpRequest, obj: Model) -> None:
        obj.save()

    def service_delete(self, request: HttpRequest, obj: Model) -> None:
        obj.delete()

    def _checker(self, request: HttpRequest) -> Any:
        return lambda obj: self.service_check(request, obj)


class ServiceInlineMixin(ServiceHooks):
    """An inline whose rows are checked, saved and deleted by the parent admin's services: the
    parent's save_formset calls `service_save`/`service_delete` of this inline."""

    def get_formset(self, request: HttpRequest, obj: Model | None = None, **kwargs: Any) -> Any:
        formset = super().get_formset(request, obj, **kwargs)
        form = checked_form(formset.form, self._checker(request))
        return type(formset.__name__, (formset,), {"form": form})


class ServiceAdminMixin(ServiceHooks):
    """A ModelAdmin whose change form, inlines, delete view and bulk delete call the services."""

    def get_form(self, request: HttpRequest, obj: Model | None = None, **kwargs: Any) -> Any:
        return checked_form(super().get_form(request, obj, **kwargs), self._checker(request))

    def save_model(self, request: HttpRequest, obj: Model, form: Any, change: bool) -> None:
        self.service_save(request, obj)

    def delete_model(self, request: HttpRequest, obj: Model) -> None:
        self.service_delete(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        # One service call per row (each checked and audited), as delete_model does; all or none.
        with transaction.atomic():
            for obj in queryset:
                self.service_delete(request, obj)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        inline = self._inline_for(request, formset)
        if inline is None:
            super().save_formset(request, form, formset, change)
            return
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            inline.service_delete(request, obj)
        for obj in instances:
            inline.service_save(request, obj)
        formset.save_m2m()

    def _inline_for(self, request: HttpRequest, formset: Any) -> ServiceInlineMixin | None:
        for inline in self.get_inline_instances(request):
            if inline.model is formset.model and isinstance(inline, ServiceInlineMixin):
                return inline
        return None

    def changeform_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # The form checked the rules already; a refusal here means the register changed in
        # between. The change form's transaction is rolled back: nothing is saved.
        try:
            return super().changeform_view(request, *args, **kwargs)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def delete_view(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return super().delete_view(request, *args, **kwargs)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    def response_action(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        # An action (the bulk delete included) that a service refuses shows why, saves nothing.
        try:
            return super().response_action(request, queryset)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
        return HttpResponseRedirect(request.get_full_path())
