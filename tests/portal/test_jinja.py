"""The Jinja2 engine (portal.jinja) writes what the Django templates write: it escapes as
Django does, querystring() is Django's {% querystring %}, and a page's view context wins over
the context processors."""

from datetime import UTC, datetime

import markupsafe
import pytest
from django.http import QueryDict
from django.template import engines
from django.test import RequestFactory
from django.utils import timezone
from django.utils.functional import lazystr
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe

from portal.jinja import escape

# (the request's query, the Django tag's arguments, the Jinja2 call's, their context)
CASES = [
    ("", "page=2", "page=2", {}),
    ("page=3&sort=-name", "page=None", "page=None", {}),
    ("q=a%26b&sort=name&page=4", "sort=s page=None", "sort=s, page=None", {"s": "-n<a>me"}),
    ("tag=a&tag=b&x=%3Cy%3E", "page=n", "page=n", {"n": 1}),
    ("tag=a&tag=b", "tag=values", "tag=values", {"values": ["c", None, "d"]}),
    ("tag=a&tag=b", "tag=values", "tag=values", {"values": [None]}),
    ("only=1", "only=None", "only=None", {}),
    ("a=1", "", "", {}),
    ("", "", "", {}),
    ("a=1&b=2", "mapping b=None", "mapping, b=None", {"mapping": QueryDict("c=3&a=9")}),
]


@pytest.mark.parametrize(("query", "tag", "call", "context"), CASES)
def test_querystring_is_djangos_tag(query, tag, call, context):
    request = RequestFactory().get(f"/list?{query}")
    django = engines["django"].from_string("{% querystring " + tag + " %}")
    jinja = engines["jinja2"].from_string("{{ querystring(" + call + ") }}")
    assert jinja.render(context, request) == django.render(context, request)


def test_the_views_context_wins_over_the_context_processors():
    request = RequestFactory().get("/")
    request.user = type("Anonymous", (), {"is_authenticated": False})()
    jinja = engines["jinja2"].from_string("{{ portal_name }}")
    assert jinja.render({"portal_name": "Mine"}, request) == "Mine"


class _Html:
    def __html__(self):
        return "<b>kept</b>"


@pytest.mark.parametrize(
    "value",
    [
        "plain",
        "<a href=\"x\" title='y'>&amp; &#34; &#39;</a>",
        "&#x27; already",
        "",
        None,
        0,
        12.5,
        ["<list>"],
        lazystr("<lazy 'text'>"),
        mark_safe("<safe>'"),
        _Html(),
    ],
)
def test_jinja_escapes_as_django_does(value):
    # What the engine writes: the finalized value, autoescaped by Jinja2 (markupsafe).
    assert str(markupsafe.escape(escape(value))) == str(conditional_escape(value))
    if not isinstance(value, _Html):  # a Django template writes str() of anything not SafeData
        django = engines["django"].from_string("{{ value }}").render({"value": value})
        assert engines["jinja2"].from_string("{{ value }}").render({"value": value}) == django


@pytest.mark.parametrize("fmt", ["Y-m-d", "Y-m-d H:i", "D, d M Y H:i:s e", "N j, Y"])
@pytest.mark.parametrize(
    "value",
    [
        datetime(2026, 12, 1, 23, 30, 5, 123456, tzinfo=UTC),
        datetime(2026, 12, 1, 23, 30, tzinfo=UTC),
        datetime(2026, 3, 1, 8, 0),  # naive
        None,
    ],
)
@pytest.mark.parametrize("zone", ["UTC", "Asia/Kolkata"])
def test_time_tag_writes_what_the_two_date_filters_write(value, fmt, zone):
    two = engines["jinja2"].from_string(
        """<time datetime="{{ value|date('c') }}">{{ value|date(fmt) }}</time>"""
    )
    one = engines["jinja2"].from_string("{{ value|time_tag(fmt) }}")
    with timezone.override(zone):
        expected = two.render({"value": value, "fmt": fmt})
        assert one.render({"value": value, "fmt": fmt}) == expected
