"""fast_input, fast_select and fast_choice (portal.widgets) write what Django's widgets
render, for the filter forms of the lists and for bound, unbound, invalid and required fields
alike."""

import re

import pytest
from django import forms

from peering.forms.peer_asns import PeerAsnListFilterForm
from peering.forms.peerings import PeeringListForm
from portal.forms import ActivityFilterForm, ResourceGroupFilterForm
from portal.widgets import fast_choice, fast_input, fast_select


def _tight(html: str) -> str:
    """Django's select template puts newlines between its options."""
    return re.sub(r">\s+<", "><", str(html)).strip()


class _Every(forms.Form):
    text = forms.CharField(max_length=5, help_text="Five at most.")
    search = forms.CharField(
        required=False, widget=forms.TextInput(attrs={"type": "search", "placeholder": "<a&b>"})
    )
    hidden = forms.CharField(required=False, widget=forms.HiddenInput)
    number = forms.IntegerField(required=False, disabled=True)
    choice = forms.ChoiceField(
        choices=[("", "All"), ("a&b", "A & B"), ("<x>", "X"), ("a&b", "again")],
        help_text="Pick one.",
    )


FORMS = [
    lambda: _Every(),
    lambda: _Every({"text": "toolong<", "search": '"q"', "hidden": "h&", "choice": "<x>"}),
    lambda: _Every({"text": "ok", "choice": "a&b"}),
    lambda: _Every({"choice": "nope"}),
    lambda: PeeringListForm(
        {"resource_group": "rg-1", "kind": "bogus", "sort": "-name"},
        resource_group_names=["rg-1", "r&g"],
    ),
    lambda: PeeringListForm(None, resource_group_names=[]),
    lambda: PeerAsnListFilterForm({"q": "x" * 200, "state": "bogus", "sort": "asn"}),
    lambda: PeerAsnListFilterForm(None),
    lambda: ActivityFilterForm({"status": "Failed", "operation": "<op>"}),
    lambda: ActivityFilterForm({}),
    lambda: ResourceGroupFilterForm({"q": "a&b", "sort": "bogus"}),
]


@pytest.mark.parametrize("make", FORMS)
def test_fast_widgets_render_what_django_renders(make):
    form = make()
    for field in form:
        widget = field.field.widget
        fast = fast_select if isinstance(widget, forms.Select) else fast_input
        assert _tight(fast(field)) == _tight(field.as_widget()), field.name


def test_other_widgets_are_left_to_django():
    class Other(forms.Form):
        secret = forms.CharField(widget=forms.PasswordInput(render_value=False))
        many = forms.MultipleChoiceField(choices=[("a", "A")])
        grouped = forms.ChoiceField(choices=[("G", [("a", "A")])])

    form = Other({"secret": "s3cret", "many": ["a"], "grouped": "a"})
    assert fast_input(form["secret"]) == str(form["secret"])
    assert "s3cret" not in fast_input(form["secret"])
    assert fast_select(form["many"]) == str(form["many"])
    assert fast_select(form["grouped"]) == str(form["grouped"])


class _Choices(forms.Form):
    radio = forms.ChoiceField(
        choices=[("a", "A"), ('b"<&', "B"), (3, "three")],
        widget=forms.RadioSelect(attrs={"hx-post": "/u?a=1&b=2", "data-on": True, "off": False}),
    )
    boxes = forms.MultipleChoiceField(
        required=False, choices=[("x", "X"), ("y", "Y")], widget=forms.CheckboxSelectMultiple
    )


@pytest.mark.parametrize(
    "data", [None, {"radio": "a"}, {"radio": 'b"<&', "boxes": ["y"]}, {"radio": "nope"}]
)
def test_fast_choice_writes_each_option_as_django_does(data):
    form = _Choices(data)
    if data is not None:
        form.is_valid()
    for name in ("radio", "boxes"):
        options = list(form[name])
        assert options
        for option in options:
            assert str(fast_choice(option)) == str(option.tag())
