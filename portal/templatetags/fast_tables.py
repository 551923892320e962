"""Fast pieces for the hot tables (issue 11).

* `{% rows "peerings.jinja" rows=page request=request %}` renders a table's rows with Jinja2
  (`portal.jinja`): the keyword arguments are the Jinja2 template's whole context.
* `{{ form.field|fast_select }}`, `{{ form.field|fast_input }}`: a filter bar's fields in
  Python (`portal.widgets` says why), the same markup as `{{ form.field }}`.
"""

from django import template
from django.utils.safestring import mark_safe

from portal.jinja import render_rows
from portal.widgets import fast_input, fast_select

register = template.Library()
register.filter(fast_input)
register.filter(fast_select)


@register.simple_tag
def rows(template_name: str, **context):
    return mark_safe(render_rows(template_name, **context))  # noqa: S308 — autoescaped
