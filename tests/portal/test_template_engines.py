"""The second template engine (portal/jinja.py): pages and fragments in Jinja2, the shared
pieces included from Django templates, escaping as Django's, and the test client's record."""

import pytest
from django.template import Context, Template, TemplateDoesNotExist, engines
from django.template.loader import get_template, render_to_string
from django.test import RequestFactory
from django.urls import reverse

from portal.jinja import Template as JinjaTemplate


def jinja_from(source: str):
    return engines["jinja2"].from_string(source)


def test_a_jinja_template_escapes_as_django_does():
    html = jinja_from("{{ text }}|{{ safe }}").render({"text": "<b>O'Brien</b>", "safe": ""})
    django = Template("{{ text }}").render(Context({"text": "<b>O'Brien</b>"}))
    assert html.split("|")[0] == django == "&lt;b&gt;O&#x27;Brien&lt;/b&gt;"


def test_a_block_renders_alone_with_the_page_context():
    template = get_template("peering/_chart_axes.jinja")
    assert isinstance(template, JinjaTemplate)
    page = get_template("peering/wizard/_basics.jinja#region")
    assert page.name == "peering/wizard/_basics.jinja#region"
    html = page.render({"fixed_group": {"name": "rg-1", "region": {"display_name": "West US"}}})
    assert 'id="basics-region"' in html and "West US" in html
    assert "basics-groups" not in html  # only that block


def test_an_unknown_block_is_template_does_not_exist():
    with pytest.raises(TemplateDoesNotExist):
        get_template("peering/wizard/_basics.jinja#no-such-block")


def test_a_django_template_includes_a_jinja_piece_with_its_context_and_keywords():
    request = RequestFactory().get("/")
    html = Template(
        '{% load jinja %}{% jinja "peering/_live_status.jinja" no_refresh=True %}'
    ).render(Context({"live": True, "poll_seconds": 5, "request": request}))
    assert "updates every 5 s" in html
    assert "Refresh" not in html  # the keyword reached the Jinja2 template


def test_the_test_client_records_jinja_pages(client, owner):
    client.force_login(owner)
    response = client.get(reverse("wizard:tab", args=["basics"]))
    assert response.status_code == 200
    assert "peering/wizard/wizard.jinja" in [t.name for t in response.templates]
    assert response.context["tab"] == "basics"


def test_render_to_string_of_a_fragment():
    html = render_to_string(
        "peering/peering/connections.jinja#grid",
        {"connections": [], "can_write": True, "add_url": "/add", "peering": {"name": "p"}},
    )
    assert html.lstrip().startswith('<div id="connections-grid"')
    assert '<a href="/add">Add connections</a>' in html
