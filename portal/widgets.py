"""Form fields written in Python, for Django and Jinja2 templates alike (issue 11).

Django renders a widget through its form templates: a template per <input>, and one per
<option> of a <select>. A filter bar with a hundred resource groups spent more time there than
on its table, and a Jinja2 page would still run Django's template engine for every field. These
write the same markup as Django's TextInput/HiddenInput/Select (tests/portal/test_widgets.py,
tests/peering/forms/test_wizard_widgets.py compare them), with the attributes
`BoundField.as_widget` gives (the widget's own, id, required, aria-invalid, aria-describedby):

* `FastSelect`, a Select widget (the wizard's forms use it);
* the Jinja2 filters `fast_select` / `fast_input` (`{{ form.field|fast_select }}`,
  `portal.jinja`), for a form's plain Select and <input> widgets;
* `fast_choice` (`{{ radio|fast_choice }}`), one radio button or checkbox of a RadioSelect /
  CheckboxSelectMultiple, as `BoundWidget.tag()` writes it.
"""

from __future__ import annotations

import html

from django.forms import Select
from django.forms.boundfield import BoundField, BoundWidget
from django.utils.html import conditional_escape, escape
from django.utils.safestring import SafeString, mark_safe

# Django's <input> widgets whose template is input.html as it is.
PLAIN_INPUTS = {
    f"django/forms/widgets/{kind}.html"
    for kind in ("text", "search", "hidden", "email", "url", "tel", "number")
}


class FastSelect(Select):
    """Django's Select, written out in Python: byte for byte the markup of its template
    (`django/forms/widgets/select.html`, one `option.html` per choice), without a template
    render per option. The wizard's selects hold hundreds of options (every resource group and
    Peer ASN of the user's subscriptions), a list's filter bar a hundred resource groups;
    through the templates they cost more than the rest of the page. Options in
    `disabled_values` are shown but cannot be chosen. Grouped choices and multiple selection
    go through Django's own rendering."""

    def __init__(self, *args, disabled_values=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.disabled_values = set(disabled_values)

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        if str(value) in self.disabled_values:
            option["attrs"]["disabled"] = True
        return option

    def render(self, name, value, attrs=None, renderer=None):
        choices = list(self.choices)
        if self.allow_multiple_selected or any(
            isinstance(label, list | tuple | dict) for _value, label in choices
        ):
            return super().render(name, value, attrs, renderer)
        wanted = self.format_value(value)
        parts = [f'<select name="{conditional_escape(name)}"']
        parts.extend(_attributes(self.build_attrs(self.attrs, attrs)))
        parts.append(">")
        has_selected = False
        for option_value, label in choices:
            text = "" if option_value is None else str(option_value)
            selected = not has_selected and text in wanted
            has_selected |= selected
            # Django's escape is html.escape behind a lazy-text check (most of a hundred
            # options' time): plain text goes to html.escape itself, the same characters.
            shown = html.escape(label) if type(label) is str else conditional_escape(label)
            parts.append(
                f'\n  <option value="{html.escape(text)}"{" selected" if selected else ""}'
                f"{' disabled' if text in self.disabled_values else ''}>"
                f"{shown}</option>\n"
            )
        parts.append("\n</select>")
        return mark_safe("".join(parts))  # noqa: S308 — every value is escaped above


def _attributes(attrs: dict) -> list[str]:
    """`django/forms/widgets/attrs.html`: False leaves an attribute out, True writes it bare."""
    out = []
    for key, value in attrs.items():
        if value is False:
            continue
        out.append(f" {conditional_escape(key)}")
        if value is not True:
            out.append(f'="{escape(str(value))}"')
    return out


def widget_attrs(field: BoundField) -> dict:
    """The widget's attributes as `BoundField.as_widget` builds them."""
    widget = field.field.widget
    attrs = field.build_widget_attrs({}, widget)
    if field.auto_id and "id" not in widget.attrs:
        attrs.setdefault("id", field.auto_id)
    return widget.build_attrs(widget.attrs, attrs)


def fast_input(field: BoundField) -> SafeString:
    """`{{ field }}` for an <input> widget (text, search, hidden …)."""
    widget = field.field.widget
    if widget.template_name not in PLAIN_INPUTS:
        return mark_safe(str(field))  # noqa: S308 — Django rendered and escaped it
    value = widget.format_value(field.value())
    shown = "" if value is None else f' value="{escape(str(value))}"'
    return mark_safe(  # noqa: S308 — every part is escaped
        f'<input type="{conditional_escape(widget.input_type)}"'
        f' name="{conditional_escape(field.html_name)}"{shown}'
        + "".join(_attributes(widget_attrs(field)))
        + ">"
    )


def fast_select(field: BoundField) -> SafeString:
    """`{{ field }}` for a plain Select widget, through FastSelect (anything else: Django)."""
    widget = field.field.widget
    if type(widget) is not Select:
        return mark_safe(str(field))  # noqa: S308 — Django rendered and escaped it
    return field.as_widget(FastSelect(attrs=widget.attrs, choices=widget.choices))


CHOICE_INPUTS = {
    "django/forms/widgets/radio_option.html",
    "django/forms/widgets/checkbox_option.html",
}


def fast_choice(option: BoundWidget) -> SafeString:
    """`option.tag()` for one option of a RadioSelect or CheckboxSelectMultiple (its <input>,
    unwrapped): a template render per option through Django's engine cost more than the rest
    of a wizard tab's radios."""
    data = option.data
    if data.get("template_name") not in CHOICE_INPUTS:
        return option.tag()
    value = data["value"]
    shown = "" if value is None else f' value="{escape(str(value))}"'
    return mark_safe(  # noqa: S308 — every part is escaped
        f'<input type="{conditional_escape(data["type"])}"'
        f' name="{conditional_escape(data["name"])}"{shown}'
        + "".join(_attributes(data["attrs"]))
        + ">"
    )
