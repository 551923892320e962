"""Fast pieces for the hot tables (issue 11).

* `{% rows "peerings.jinja" rows=page request=request %}` renders a table's rows with Jinja2
  (`portal.jinja`): the keyword arguments are the Jinja2 template's whole context.
* `{{ form.field|fast_select }}`: a filter bar's <select> in Python. Django renders a Select
  widget through a template per option; a filter bar with a hundred resource groups spent
  more time there than on its table. Same markup (name, id, attributes, selected option).
"""

from django import template
from django.forms.boundfield import BoundField
from django.utils.html import escape
from django.utils.safestring import mark_safe

from portal.jinja import render_rows

register = template.Library()


@register.simple_tag
def rows(template_name: str, **context):
    return mark_safe(render_rows(template_name, **context))  # noqa: S308 — autoescaped


@register.filter
def fast_select(field: BoundField):
    value = field.value()
    current = "" if value is None else str(value)
    attrs = {**field.field.widget.attrs, "name": field.html_name, "id": field.auto_id}
    options = "".join(
        f'<option value="{escape(choice)}"{" selected" if str(choice) == current else ""}>'
        f"{escape(label)}</option>"
        for choice, label in field.field.choices
    )
    attributes = "".join(f' {escape(k)}="{escape(v)}"' for k, v in attrs.items() if v)
    return mark_safe(f"<select{attributes}>{options}</select>")  # noqa: S308 — all escaped
