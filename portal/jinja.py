"""Jinja2: the portal's shell, its hot pages and the rows of its big tables (issue 11).

Measured on this project's pages, Django's template engine spent 15–60 ms on a 50-row table
body and ~4 ms on the shell alone (every `{{ }}` resolves through Context lookups, every
filter through the localisation machinery), against ~2 ms for a whole trivial signed-in
request. Jinja2 compiles templates to Python functions: the same markup costs a tenth. So:

* `templates/jinja/` holds Jinja2 templates, served by the second engine of TEMPLATES
  (`portal.jinja.Jinja2`, this module). `render(request, "name.jinja")` renders one as a page,
  with the same context processors as Django pages (request, user, messages, csp_nonce, the
  shell's subscriptions and bell) and `csrf_input` / `csrf_token`.
* `"name.jinja#block"` renders one block of it (the htmx fragments: `portal.htmx`), as
  `"name.html#partial"` does for a Django template's partial.
* The shell's pieces (`shell/*.jinja`) are written once: `base.jinja` includes them, and the
  Django `base.html` includes the same files through `{% jinja "shell/topbar.jinja" %}`
  (`portal.templatetags.jinja`), so both kinds of page share one top bar, menu and messages.

Autoescaping is on, as in Django templates; Django's SafeString (forms, format_html) passes
through unescaped. In tests, a rendered Jinja2 template sends `template_rendered` like a
Django one, so `response.context` and `response.templates` work for both.
"""

from __future__ import annotations

import functools
import html

import jinja2
import markupsafe
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.middleware.csrf import get_token
from django.template.backends import jinja2 as django_jinja2
from django.template.defaultfilters import date as django_date
from django.template.defaulttags import querystring as django_querystring
from django.templatetags.static import static
from django.test.signals import template_rendered
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django_htmx.jinja import htmx_script

from portal.links import fast_reverse
from portal.templatetags import charts, units
from portal.widgets import fast_choice, fast_input, fast_select

# Formats the tables use, with what Python writes for them directly (Django's date filter
# costs ~0.1 ms a call: it walks the format through translation and localisation).
_STRFTIME = {
    "Y-m-d": "%Y-%m-%d",
    "Y-m-d H:i": "%Y-%m-%d %H:%M",
    "H:i:s": "%H:%M:%S",
    "D, d M Y H:i:s e": "%a, %d %b %Y %H:%M:%S {tz}",
    "Y-m-d H:i:s e": "%Y-%m-%d %H:%M:%S {tz}",
}


def _date(value, fmt: str = "") -> str:
    """Django's `date` filter, in the current time zone as Django templates show it ("" for
    nothing, as Django's)."""
    if value in (None, "") or isinstance(value, jinja2.Undefined):
        return ""
    return _formatted(_local(value), fmt)


def _local(value):
    return timezone.localtime(value) if timezone.is_aware(value) else value


def _formatted(value, fmt: str) -> str:
    if fmt == "c":
        return value.isoformat()
    if fmt in _STRFTIME:
        return value.strftime(_STRFTIME[fmt]).replace("{tz}", value.tzname() or "")
    return django_date(value, fmt)


def _time_tag(value, fmt: str = "Y-m-d H:i") -> str:
    """`<time datetime="{{ value|date('c') }}">{{ value|date(fmt) }}</time>` in one call (the
    local time worked out once: a table row's two `date` calls were a third of its cost); for
    nothing, what those two write then."""
    if value in (None, "") or isinstance(value, jinja2.Undefined):
        return markupsafe.Markup('<time datetime=""></time>')
    value = _local(value)
    return markupsafe.Markup(  # noqa: S704 — both parts escaped as Django does
        f'<time datetime="{_escaped(value.isoformat())}">{_escaped(_formatted(value, fmt))}</time>'
    )


def _escaped(value) -> str:
    """What `{{ value }}` writes (`escape`, then Jinja2's autoescape), for markup built in
    Python."""
    return value.__html__() if hasattr(value, "__html__") else html.escape(str(value))


# The copy button's icon (static markup).
_COPY_ICON = (
    '<svg class="icon" aria-hidden="true" focusable="false" viewBox="0 0 16 16">'
    '<rect x="5.5" y="5.5" width="8" height="9" rx="1" fill="none" stroke="currentColor"'
    ' stroke-width="1.3"/><path d="M3.5 10.5h-.5a1 1 0 0 1-1-1v-7a1 1 0 0 1 1-1h6a1 1 0 0 1 1'
    ' 1v.5" fill="none" stroke="currentColor" stroke-width="1.3"/></svg>'
)


def copy_button(value, label: str = "") -> markupsafe.Markup:
    """Copy-to-clipboard of `value`; hidden until portal.js runs, since without JavaScript it
    could do nothing. `label` names what is copied. Written in Python, not as a macro: a
    table writes one a row, and two nested macro calls a row were a fifth of a row's cost
    (templates/jinja/portal/_copy_button.jinja is its Django templates' include)."""
    label = _escaped(label or "Copy to clipboard")
    return markupsafe.Markup(  # noqa: S704 — the values escaped as Django does
        f'<button type="button" class="btn-copy js-show" data-copy="{_escaped(value)}"'
        f' aria-label="{label}" title="{label}" hidden>{_COPY_ICON}</button>'
    )


def prefix_key(key, label: str) -> markupsafe.Markup:
    """A prefix key with its copy button; `label` names what the key belongs to (a row each in
    the Registered blades; templates/jinja/peering/registered/_prefix_key.jinja is its Django
    templates' include)."""
    return markupsafe.Markup(  # noqa: S704 — the key escaped as Django does
        f'<span class="prefix-key"><code data-testid="prefix-key">{_escaped(key)}</code>'
        f"{copy_button(key, label)}</span>"
    )


def _naturaltime(value) -> str:
    return naturaltime(value) if value is not None else ""


def _default(value, fallback: str = ""):
    """Django's `default`: the fallback for any falsy value (Jinja's only for undefined)."""
    return value if value else fallback


def _pluralize(count, suffix: str = "s") -> str:
    singular, _, plural = suffix.rpartition(",") if "," in suffix else ("", "", suffix)
    return singular if count == 1 else plural


def escape(value):
    """Django's `conditional_escape` for every `{{ }}` (the engine's `finalize`), at Jinja2's
    speed: text without quotes is left to Jinja2's own autoescaping (markupsafe, in C), which
    escapes & < > as Django does; text with quotes is escaped here as Django does (`"` is
    &quot; and `'` &#x27;, where markupsafe writes &#34; and &#39;). Django's escape on every
    value (lazy-aware, through html.escape) was most of a table's render time. Anything with
    `__html__` (Markup, Django's SafeString, forms) passes as it is."""
    if hasattr(value, "__html__"):
        return value
    text = str(value)
    if '"' in text or "'" in text:
        return markupsafe.Markup(html.escape(text))  # noqa: S704 — escaped as Django does
    return text


def url(name: str, *args: object, **kwargs: object) -> str:
    """`{% url %}` for Jinja2: positional arguments through `fast_reverse` (one reverse per
    URL name), keyword arguments through `reverse`."""
    if kwargs:
        return reverse(name, kwargs=kwargs)
    return fast_reverse(name, *args)


@jinja2.pass_context
def querystring(context, *args, **kwargs) -> str:
    """`{% querystring page=2 %}` for Jinja2: `querystring(page=2)`. Django's own tag does the
    work (the request's GET, updated by the arguments; None drops a key), so both engines write
    the same links."""
    return django_querystring(_RequestOf(context["request"]), *args, **kwargs)


def _csrf_input(token) -> SafeString:
    return format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', token)


class _RequestOf:
    """What Django's querystring tag reads of its template context."""

    __slots__ = ("request",)

    def __init__(self, request):
        self.request = request


GLOBALS = {
    "url": url,
    "static": static,
    "htmx_script": htmx_script,
    "querystring": querystring,
    "line_chart": charts.line_chart,
    "event_axis": charts.event_axis,
    "gbps": units.gbps,
    "place": units.place,
    "copy_button": copy_button,
    "prefix_key": prefix_key,
}
FILTERS = {
    "date": _date,
    "time_tag": _time_tag,
    "naturaltime": _naturaltime,
    "default": _default,
    "pluralize": _pluralize,
    "when": units.when,
    "utc": units.utc,
    "gbps": units.gbps,
    "place": units.place,
    "fast_input": fast_input,
    "fast_select": fast_select,
    "fast_choice": fast_choice,
}


def environment(**options) -> jinja2.Environment:
    """The Jinja2 engine's environment (TEMPLATES' `environment` option): Django's filters the
    templates use, written for Jinja2, the filter bars' `fast_input` / `fast_select`
    and the radios' `fast_choice` (portal.widgets), and `url`, `static`, `htmx_script`,
    `querystring`."""
    options.pop("autoescape", None)
    options.update(
        undefined=jinja2.ChainableUndefined,  # a missing attribute is "", as in Django templates
        trim_blocks=True,
        lstrip_blocks=True,
        # Escape as Django does (`'` is &#x27;, markupsafe writes &#39;): one page's text
        # reads the same whichever engine rendered it.
        finalize=escape,
    )
    env = jinja2.Environment(autoescape=True, **options)
    # What a template calls, `name(…)`, and what it filters with, `value|name`; `gbps` and
    # `place` are both (rows call them, detail pages filter with them).
    env.globals.update(GLOBALS)
    env.filters.update(FILTERS)
    return env


class Template(django_jinja2.Template):
    """A Jinja2 template as Django's backend serves it, or one block of it (`name#block`)."""

    def __init__(self, template, backend, block: str = ""):
        super().__init__(template, backend)
        self.block = block
        self.name = (template.name or "<string>") + (f"#{block}" if block else "")

    def render(self, context=None, request=None):
        view_context, context = context or {}, {}
        if request is not None:
            context["request"] = request
            # One masked token per render (the shell writes it three times; each
            # `get_token` call masks the secret anew with 32 random characters).
            token = lazy(functools.cache(functools.partial(get_token, request)), str)()
            context["csrf_token"] = token
            context["csrf_input"] = lazy(functools.partial(_csrf_input, token), SafeString)()
            for context_processor in self.backend.template_context_processors:
                context.update(context_processor(request))
        # The view's values win over the context processors', as in a Django template.
        context.update(view_context)
        if template_rendered.receivers:  # the test client's record of what was rendered
            template_rendered.send(sender=self, template=self, context=context)
        if not self.block:
            return self.template.render(context)
        render_block = self.template.blocks[self.block]
        return "".join(render_block(self.template.new_context(context)))


class Jinja2(django_jinja2.Jinja2):
    """Django's Jinja2 backend, with `name.jinja#block` and the test client's signal."""

    def from_string(self, template_code):
        return Template(self.env.from_string(template_code), self)

    def get_template(self, template_name):
        name, _, block = template_name.partition("#")
        template = super().get_template(name).template
        if block and block not in template.blocks:
            raise django_jinja2.TemplateDoesNotExist(template_name, backend=self)
        return Template(template, self, block)
