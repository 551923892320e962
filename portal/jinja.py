"""Jinja2 for the rows of the hot tables (issue 11), inside Django template pages.

Measured at 50 rows on this project's pages, Django's template engine spent 15–60 ms on the
table bodies alone (every `{{ }}` resolves through Context lookups, every filter through the
localisation machinery), several times the cost of a trivial signed-in view. The same rows in
Jinja2, which compiles templates to Python functions, take about a millisecond. So the pages
stay Django templates (the shell, partials for htmx, forms), and only each table's `<tbody>`
rows are a Jinja2 template in `templates/jinja/`, rendered by `{% rows "name.jinja" … %}`
(`portal.templatetags.fast_tables`). Autoescaping is on, as in Django templates.
"""

from __future__ import annotations

from functools import cache

import jinja2
from django.conf import settings
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.template.defaultfilters import date as django_date
from django.utils import timezone

from portal.links import fast_reverse
from portal.templatetags.units import when

# Formats the tables use, with what Python writes for them directly (Django's date filter
# costs ~0.1 ms a call: it walks the format through translation and localisation).
_STRFTIME = {
    "Y-m-d": "%Y-%m-%d",
    "Y-m-d H:i": "%Y-%m-%d %H:%M",
    "D, d M Y H:i:s e": "%a, %d %b %Y %H:%M:%S {tz}",
}


def _date(value, fmt: str = "") -> str:
    """Django's `date` filter, in the current time zone as Django templates show it."""
    if value is None:
        return ""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    if fmt == "c":
        return value.isoformat()
    if fmt in _STRFTIME:
        return value.strftime(_STRFTIME[fmt]).replace("{tz}", value.tzname() or "")
    return django_date(value, fmt)


def _naturaltime(value) -> str:
    return naturaltime(value) if value is not None else ""


def _default(value, fallback: str = ""):
    """Django's `default`: the fallback for any falsy value (Jinja's only for undefined)."""
    return value if value else fallback


def _pluralize(count, suffix: str = "s") -> str:
    singular, _, plural = suffix.rpartition(",") if "," in suffix else ("", "", suffix)
    return singular if count == 1 else plural


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(settings.BASE_DIR / "templates" / "jinja"),
        autoescape=True,
        auto_reload=settings.DEBUG,
        undefined=jinja2.ChainableUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["url"] = fast_reverse
    # `when` is the Django filter of portal/templatetags/units.py: one way to show a time.
    env.filters.update(
        date=_date,
        naturaltime=_naturaltime,
        default=_default,
        pluralize=_pluralize,
        when=when,
    )
    return env


def render_rows(template: str, **context) -> str:
    return environment().get_template(template).render(**context)
