"""`{% url %}` that reverses each distinct URL once per process (a template builtin, so every
template uses it without `{% load %}`).

This tag is Django's — same parsing, same arguments, same errors — with its `reverse()` call
answered by `portal.links.cached_reverse`, the cache Jinja2's `url()` shares, keyed by the URL
name, the arguments, the current app, the script prefix and the URLconf.
"""

from __future__ import annotations

from django import template
from django.template import defaulttags
from django.urls import NoReverseMatch
from django.utils.html import conditional_escape

from portal.links import cached_reverse

register = template.Library()


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
        url = ""
        try:
            url = cached_reverse(view_name, args, kwargs, current_app)
        except NoReverseMatch:
            if self.asvar is None:
                raise
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
