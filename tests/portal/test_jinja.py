"""The Jinja2 engine (portal.jinja) writes what the Django templates write: querystring() is
Django's {% querystring %}, and a page's view context wins over the context processors."""

import pytest
from django.http import QueryDict
from django.template import engines
from django.test import RequestFactory

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
