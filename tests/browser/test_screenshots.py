"""The two pictures of issue 12 render: a peering's Overview draws its received-routes chart
and a Peering Service prefix shows its validation checklist with evidence; the screenshots
(1280 px) go to PP_SCREENSHOTS_DIR when it is set (docs/screenshots/), see screenshots.py."""

import os
import struct
from pathlib import Path

import pytest

from tests.browser.screenshots import WIDTH, save

pytestmark = pytest.mark.browser


def _png_size(path: Path) -> tuple[int, int]:
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n", path
    return struct.unpack(">II", header[16:24])


def test_overview_chart_and_prefix_checklist_screenshots(page, sign_in, demo, tmp_path):
    out = Path(os.environ.get("PP_SCREENSHOTS_DIR") or tmp_path)
    chart, checklist = save(page, demo.url, sign_in, out)
    for path in (chart, checklist):
        width, height = _png_size(path)
        assert width == WIDTH and height > 400, path
    # What the pictures show is on the pages themselves.
    checklist_section = page.get_by_test_id("validation-checklist")
    assert checklist_section.locator("[data-status]").count() >= 3
    assert checklist_section.locator("[data-status] ul li").count() >= 1  # the evidence
