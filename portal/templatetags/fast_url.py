"""`{% url %}` that reverses each distinct URL once per process (a template builtin, so every
template uses it without `{% load %}`).

Django's tag calls `reverse()` on every render, and `reverse()` walks the URLconf each time
(tens of microseconds): the shell alone (top bar, side menu, forms) asks for a dozen URLs on
every page, the same ones every time. This tag is Django's — same parsing, same arguments,
same errors — and remembers each answer by everything `reverse()` depends on: the URL name,
the arguments (only plain text, numbers and UUIDs are remembered; anything else reverses as
before), the current app, the script prefix and the URLconf. A URL that does not reverse is
never remembered, so it raises (or gives "" with `as var`) exactly as it always did.
"""

from __future__ import annotations

from uuid import UUID

from django import template
from django.conf import settings
from django.template import defaulttags
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape

register = template.Library()

_PLAIN = (str, int, UUID)
_MAX_ENTRIES = 20_000
_reversed: dict[tuple, str] = {}


def _plain(values) -> bool:
    # bool is an int whose reverse() text differs ("True"), and True == 1 as a key: refused.
    return all(isinstance(v, _PLAIN) and not isinstance(v, bool) for v in values)


class CachedURLNode(defaulttags.URLNode):
    def render(self, context):
        args = [arg.resolve(context) for arg in self.args]
        kwargs = {k: v.resolve(context) for k, v in self.kwargs.items()}
        view_name = self.view_name.resolve(context)
        try:
            current_app = context.request.current_app
        except AttributeError:
            try:
                current_app = context.request.resolver_match.namespace
            except AttributeError:
                current_app = None
        key = None
        if isinstance(view_name, str) and _plain(args) and _plain(kwargs.values()):
            key = (
                view_name,
                tuple((type(a), a) for a in args),
                tuple(sorted((k, type(v), v) for k, v in kwargs.items())),
                current_app,
                get_script_prefix(),
                get_urlconf() or settings.ROOT_URLCONF,
            )
        url = _reversed.get(key) if key is not None else None
        if url is None:
            url = ""
            try:
                url = reverse(view_name, args=args, kwargs=kwargs, current_app=current_app)
            except NoReverseMatch:
                if self.asvar is None:
                    raise
            else:
                if key is not None:
                    if len(_reversed) >= _MAX_ENTRIES:
                        _reversed.clear()
                    _reversed[key] = url
        if self.asvar:
            context[self.asvar] = url
            return ""
        return conditional_escape(url) if context.autoescape else url


@register.tag
def url(parser, token):
    """Django's `{% url %}` (same syntax), remembering each answer (see the module)."""
    node = defaulttags.url(parser, token)
    node.__class__ = CachedURLNode
    return node
