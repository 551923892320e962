"""What every form of the peering app shares: Bootstrap classes and `is-invalid` on widgets, and
the one way a service's ValidationError is put back on a form."""

from __future__ import annotations

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


def apply_service_errors(
    error: ValidationError, *, form: forms.Form, grid: ContactGrid | None = None
) -> None:
    """Map a service's ValidationError onto the form: top-level keys to fields,
    `contacts.<i>.<field>` to the row's field, `contacts` to the grid, anything else on top."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for key, errors in error.message_dict.items():
        if key.startswith("contacts") and grid is not None:
            parts = key.split(".")
            on_row = len(parts) == 3 and parts[1].isdigit()
            if not (on_row and grid.add_error(int(parts[1]), parts[2], errors)):
                grid.errors.extend(errors)
        elif key in form.fields:
            form.add_error(key, errors)
        else:
            form.add_error(None, errors)


def errors_of(exc: ValidationError) -> dict[str, list[str]]:
    """A service's ValidationError as {field: messages}; a plain one goes under `__all__`."""
    if hasattr(exc, "error_dict"):
        return exc.message_dict
    return {"__all__": exc.messages}


def apply_errors(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's messages next to the fields they name, the rest at the top."""
    for key, messages in errors_of(exc).items():
        form.add_error(key if key in form.fields else None, list(messages))
