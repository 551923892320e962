"""`{% url %}` (portal/templatetags/fast_url.py, a template builtin) answers what Django's tag
answers, remembered or not."""

import uuid

import pytest
from django.template import Context, Template
from django.test import override_settings
from django.urls import NoReverseMatch, reverse

from portal.templatetags.fast_url import CachedURLNode


def _render(text: str, **context) -> str:
    return Template(text).render(Context(context))


def test_it_is_the_builtin_url_tag():
    template = Template("{% url 'portal:home' %}")
    assert any(isinstance(node, CachedURLNode) for node in template.nodelist)


@pytest.mark.parametrize("_", range(2))  # the second time from memory
def test_same_answers_as_reverse(_):
    sub = uuid.UUID("12345678-1234-5678-1234-567812345678")
    args = [sub, "rg-1", "peering.one"]
    assert _render("{% url 'portal:home' %}") == reverse("portal:home")
    assert _render(
        "{% url 'peering:peering_detail' s g n %}", s=sub, g="rg-1", n="peering.one"
    ) == (reverse("peering:peering_detail", args=args))
    # Quoting and escaping are reverse()'s and the template's, as before.
    quoted = reverse("admin:auth_user_change", args=["a b&c"])
    assert _render("{% url 'admin:auth_user_change' x %}", x="a b&c") == quoted.replace(
        "&", "&amp;"
    )
    assert _render("{% url 'portal:home' as home %}[{{ home }}]") == f"[{reverse('portal:home')}]"


def test_a_url_that_does_not_reverse_still_fails():
    with pytest.raises(NoReverseMatch):
        _render("{% url 'peering:peering_detail' 'not-a-uuid' 'g' 'n' %}")
    assert _render("{% url 'no-such-url' as missing %}[{{ missing }}]") == "[]"


def test_another_urlconf_is_another_answer():
    first = _render("{% url 'bench_trivial' as u %}{{ u }}")
    with override_settings(ROOT_URLCONF="portal.urls_bench"):
        assert _render("{% url 'bench_trivial' %}") == "/bench/trivial"
    assert first == ""
