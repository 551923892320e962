"""One helper puts a service's ValidationError onto a form (and a contact grid)."""

from django import forms
from django.core.exceptions import ValidationError

from peering.forms.common import PortalFormMixin, apply_service_errors


class NameForm(PortalFormMixin, forms.Form):
    name = forms.CharField(required=False)


def test_field_keys_go_next_to_their_fields_and_the_rest_on_top():
    form = NameForm({"name": "x"})
    form.is_valid()
    apply_service_errors(form, ValidationError({"name": ["Taken."], "region": ["Pick a region."]}))
    assert form.errors["name"] == ["Taken."]
    assert form.non_field_errors() == ["Pick a region."]
    assert "is-invalid" in form.fields["name"].widget.attrs["class"]


def test_a_plain_error_goes_on_top():
    form = NameForm({"name": "x"})
    form.is_valid()
    apply_service_errors(form, ValidationError("Nope."))
    assert form.non_field_errors() == ["Nope."]
    assert "name" not in form.errors


class Grid:
    def __init__(self):
        self.errors = []
        self.rows = {}

    def add_error(self, index, field, messages):
        if index != 0:
            return False
        self.rows.setdefault(field, []).extend(messages)
        return True


def test_contact_keys_go_on_the_grid_rows():
    form = NameForm({"name": "x"})
    form.is_valid()
    grid = Grid()
    apply_service_errors(
        form,
        ValidationError(
            {
                "contacts.0.email": ["Bad email."],
                "contacts.7.email": ["No such row."],
                "contacts": ["Add a NOC contact."],
            }
        ),
        grid=grid,
    )
    assert grid.rows == {"email": ["Bad email."]}
    assert grid.errors == ["No such row.", "Add a NOC contact."]
    assert not form.errors
