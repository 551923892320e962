"""The wizard's FastSelect writes exactly what Django's Select template writes."""

import pytest
from django import forms
from django.utils.safestring import mark_safe

from peering.forms.wizard import FastSelect

CHOICES = [
    ("", "Select one"),
    ("a", "A & <b>"),
    ("a", "the same value again"),
    (7, "seven"),
    (None, "none"),
    ("x\"'<", mark_safe("<em>safe</em>")),
]


def _both(value, *, attrs=None, disabled=(), choices=CHOICES, extra=None):
    fast = FastSelect(attrs=attrs, disabled_values=disabled)
    fast.choices = choices
    plain = forms.Select(attrs=attrs)
    plain.choices = choices
    expected = str(plain.render("field", value, attrs=extra))
    if disabled:  # Django's Select has no disabled options: add them as SelectWithDisabled did
        for text in disabled:
            expected = expected.replace(f'value="{text}">', f'value="{text}" disabled>', 1)
            expected = expected.replace(
                f'value="{text}" selected>', f'value="{text}" selected disabled>', 1
            )
    return str(fast.render("field", value, attrs=extra)), expected


@pytest.mark.parametrize("value", [None, "", "a", "7", 7, "x\"'<", "missing", ["a", "7"]])
def test_same_markup_as_djangos_select(value):
    fast, expected = _both(
        value,
        attrs={"class": "form-select", "data-x": '<">', "autofocus": True, "off": False},
        extra={"id": "id_field", "required": True, "aria-describedby": "help"},
    )
    assert fast == expected


def test_disabled_options_and_grouped_choices():
    fast, expected = _both("a", disabled=("a", "7"))
    assert fast == expected
    assert 'value="7" disabled>' in fast
    grouped = [("", "None"), ("Group", [("g1", "One"), ("g2", "Two")])]
    fast, expected = _both("g2", choices=grouped)
    assert fast == expected
    assert "<optgroup" in fast


def test_bound_field_renders_through_it():
    class Form(forms.Form):
        pick = forms.CharField(required=False, widget=FastSelect(attrs={"class": "form-select"}))

    form = Form(initial={"pick": "b"})
    form.fields["pick"].widget.choices = [("", "Pick"), ("b", "B")]
    plain = Form(initial={"pick": "b"})
    plain.fields["pick"].widget = forms.Select(attrs={"class": "form-select"})
    plain.fields["pick"].widget.choices = [("", "Pick"), ("b", "B")]
    assert str(form["pick"]) == str(plain["pick"])
    assert '<option value="b" selected>B</option>' in str(form["pick"])
