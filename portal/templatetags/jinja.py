"""`{% jinja "shell/topbar.jinja" %}`: a Jinja2 template (templates/jinja/) rendered inside a
Django template with that template's whole context, plus any keyword arguments given.

This is how the Django pages share the pieces written once in Jinja2 (the shell's top bar,
menu and messages; see portal/jinja.py) instead of keeping a second copy of them."""

from django import template
from django.template import engines
from django.utils.safestring import mark_safe

register = template.Library()


@register.simple_tag(takes_context=True)
def jinja(context, template_name: str, **extra):
    values = context.flatten()
    values.update(extra)
    html = engines["jinja2"].env.get_template(template_name).render(values)
    return mark_safe(html)  # noqa: S308 — Jinja2 autoescaped it
