"""axe-core (vendored under static/vendor/axe-core/) finds no violation on the main pages,
at desktop width and at 390 px."""

import json
from pathlib import Path

import pytest
from django.conf import settings

from tests.browser.pages import USER, main_pages

pytestmark = pytest.mark.browser

AXE = Path(settings.BASE_DIR) / "static" / "vendor" / "axe-core" / "axe.min.js"
# WCAG 2.1 A/AA and axe's best practices.
RUN = """async () => {
  const result = await axe.run(document, {
    runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
  });
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 3).map(n => n.target.join(" ")),
  }));
}"""


def _violations(page) -> list[dict]:
    # Injected through the DevTools protocol, so the pages' CSP needs no exception for it.
    page.evaluate(AXE.read_text(encoding="utf-8"))
    return page.evaluate(RUN)


@pytest.mark.parametrize("width", [1280, 390])
def test_main_pages_have_no_axe_violations(page, sign_in, demo, width):
    pages = main_pages()
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(USER)
    found = {}
    for name, path in pages.items():
        page.goto(f"{demo.url}{path}")
        page.wait_for_load_state("load")
        violations = _violations(page)
        if violations:
            found[name] = violations
    assert found == {}, json.dumps(found, indent=1)
