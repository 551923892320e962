"""What every form of the peering app shares: Bootstrap classes and `is-invalid` on widgets, and
the one way a service's ValidationError is put back on a form."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from django import forms
from django.core.exceptions import ValidationError

if TYPE_CHECKING:
    from peering.forms.peer_asns import ContactGrid


class PortalFormMixin:
    """Bootstrap classes on every widget, and `is-invalid` on a field once it has an error,
    whether the error came from the form itself or from a service."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            base = "form-select" if isinstance(widget, forms.Select) else "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {base}".strip()

    def add_error(self, field, error):
        super().add_error(field, error)
        for name in self.errors:
            if name in self.fields:
                attrs = self.fields[name].widget.attrs
                if "is-invalid" not in attrs.get("class", ""):
                    attrs["class"] = f"{attrs.get('class', '')} is-invalid".strip()


def errors_of(exc: ValidationError) -> dict[str, list[str]]:
    """A service's ValidationError as {field: messages}; a plain one goes under `__all__`."""
    if hasattr(exc, "error_dict"):
        return exc.message_dict
    return {"__all__": exc.messages}


def apply_service_errors(
    form: forms.Form, exc: ValidationError, *, grid: ContactGrid | None = None
) -> None:
    """Put a service's messages next to the fields they name, the rest at the top of the form.

    With a contact `grid`, `contacts.<i>.<field>` goes on that row's field and any other
    `contacts…` key on the grid."""
    for key, messages in errors_of(exc).items():
        if grid is not None and key.startswith("contacts"):
            parts = key.split(".")
            on_row = len(parts) == 3 and parts[1].isdigit()
            if not (on_row and grid.add_error(int(parts[1]), parts[2], messages)):
                grid.errors.extend(messages)
        else:
            form.add_error(key if key in form.fields else None, list(messages))


def service_accepts(form: forms.Form, call: Callable[[dict], object]) -> bool:
    """Clean the posted `form` and hand its values to a service (`call(form.cleaned_data)`).
    The service has the last word, so it runs even when a field is invalid and its refusals
    land on the form (`apply_service_errors`). True when the service accepted."""
    form.is_valid()
    try:
        call(form.cleaned_data)
    except ValidationError as exc:
        apply_service_errors(form, exc)
        return False
    return True


def typed_text(
    label: str,
    max_length: int,
    *,
    help_text: str = "",
    strip: bool = True,
    widget: type[forms.Widget] = forms.TextInput,
    **attrs: str,
) -> forms.CharField:
    """An optional text field kept as typed (at most `max_length` characters): the form
    decides nothing more, the service says what an empty or wrong value means."""
    return forms.CharField(
        label=label,
        required=False,
        max_length=max_length,
        strip=strip,
        help_text=help_text,
        widget=widget(attrs=attrs),
    )
