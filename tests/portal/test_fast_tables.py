"""The hot tables' fast paths give what Django's own would: fast_reverse is reverse(), the
Jinja2 date filter is Django's date filter, fast_select marks and escapes like a Select."""

import datetime
import re
import uuid

import pytest
from django import forms
from django.template import engines
from django.template.defaultfilters import date as django_date
from django.urls import NoReverseMatch, clear_script_prefix, reverse, set_script_prefix
from django.utils import timezone

from portal.jinja import _date as jinja_date
from portal.links import cached_reverse, fast_reverse, fast_reverser
from portal.widgets import fast_select

SUB = uuid.UUID("c47f8260-e247-54da-b394-c0951db85341")


@pytest.mark.parametrize(
    "name",
    ["plain-name_1.x", "with space", "per%cent", "ünïcode", "slash/inside", "q?uery#frag", "&amp"],
)
def test_fast_reverse_is_reverse(name):
    if not re.fullmatch(r"[A-Za-z0-9_.-]{1,63}", name):
        # Not an ARM name: the URL converter refuses it (issue 10), reverse() refuses it, and so
        # does fast_reverse.
        with pytest.raises(NoReverseMatch):
            reverse("peering:peering_detail", args=[SUB, name, name])
        with pytest.raises(NoReverseMatch):
            fast_reverse("peering:peering_detail", SUB, name, name)
        with pytest.raises(NoReverseMatch):
            fast_reverser("peering:peering_detail", SUB, "rg-1")(name)
        return
    assert fast_reverse("peering:peering_detail", SUB, name, name) == reverse(
        "peering:peering_detail", args=[SUB, name, name]
    )
    assert fast_reverse("portal:resource_group_detail", SUB, name) == reverse(
        "portal:resource_group_detail", args=[SUB, name]
    )
    # A table's rows: the same URLs from the reverser, whatever came before.
    row_url = fast_reverser("peering:peering_detail", SUB, name)
    assert (
        row_url(name) == row_url(name) == reverse("peering:peering_detail", args=[SUB, name, name])
    )
    assert row_url("other-1") == reverse("peering:peering_detail", args=[SUB, name, "other-1"])


def test_fast_reverse_honours_the_script_prefix():
    """A site mounted under a prefix (SCRIPT_NAME) gets its own URLs: the pattern remembered
    at "/" is not reused under "/mounted/", nor the other way round."""
    args = [SUB, "rg-1", "peering-1"]
    at_root = fast_reverse("peering:peering_detail", *args)
    assert at_root == reverse("peering:peering_detail", args=args)
    set_script_prefix("/mounted/")
    try:
        mounted = fast_reverse("peering:peering_detail", *args)
        assert mounted == reverse("peering:peering_detail", args=args)
        assert mounted == "/mounted" + at_root
        assert cached_reverse("peering:peering_detail", args) == mounted
    finally:
        clear_script_prefix()
    assert fast_reverse("peering:peering_detail", *args) == at_root
    assert cached_reverse("peering:peering_detail", args) == at_root


@pytest.mark.parametrize(
    "fmt", ["c", "Y-m-d", "Y-m-d H:i", "D, d M Y H:i:s e", "Y-m-d H:i:s e", "H:i:s", "N j, Y"]
)
def test_jinja_date_is_djangos_date(fmt, settings):
    moment = datetime.datetime(2026, 3, 7, 21, 4, 5, 123456, tzinfo=datetime.UTC)
    with timezone.override("Europe/Amsterdam"):
        assert jinja_date(moment, fmt) == django_date(timezone.localtime(moment), fmt)
    assert jinja_date(None, fmt) == ""


def test_jinja_rows_escape():
    class Entry:
        operation_display = "<script>alert(1)</script>"
        operation = "op"
        message = ""
        status = "Succeeded"
        timestamp = timezone.now()
        subscription = type("S", (), {"display_name": "A & B"})()
        caller = "x"
        resource_id = "/r"

    html = engines["jinja2"].env.get_template("activity.jinja").render(rows=[Entry()])
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "A &amp; B" in html


class _Form(forms.Form):
    choice = forms.ChoiceField(
        required=False, choices=[("", "All"), ("a&b", "A & B"), ("<x>", "X")]
    )


def test_fast_select_marks_the_current_value_and_escapes():
    html = fast_select(_Form({"choice": "a&b"})["choice"])
    assert html.startswith('<select name="choice" id="id_choice">')
    assert '<option value="a&amp;b" selected>A &amp; B</option>' in html
    assert '<option value="&lt;x&gt;">X</option>' in html
    assert '<option value="" selected>' in fast_select(_Form()["choice"])
