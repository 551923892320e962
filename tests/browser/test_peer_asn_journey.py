"""The foundation's journey in Chromium: a peer associates an ASN, an operator approves it."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def test_associate_then_operator_approves(page, demo, sign_in, sign_out):
    # The exchange provider associates a second ASN of its network.
    sign_in("exchange")
    page.get_by_role("link", name="Peer ASNs", exact=True).first.click()
    page.get_by_role("link", name=re.compile("Associate a Peer ASN")).first.click()
    page.get_by_label("Name").first.fill("contoso-ix-backup")
    page.get_by_label("Peer name").fill("Contoso IX")
    page.get_by_label("Peer ASN").fill("AS64512")
    page.get_by_label("Email").first.fill("noc@contoso-ix.example")
    page.get_by_label("Phone").first.fill("+1 206 555 0199")
    page.get_by_test_id("create").click()

    # A private ASN is refused next to its field, and what was typed is still there.
    expect(page.get_by_text("RFC 6996")).to_be_visible()
    expect(page.get_by_label("Peer name")).to_have_value("Contoso IX")
    expect(page.get_by_label("Email").first).to_have_value("noc@contoso-ix.example")

    page.get_by_label("Peer ASN").fill("59998")
    page.get_by_test_id("create").click()
    expect(page.get_by_text("Peer ASN association submitted")).to_be_visible()
    expect(page.locator(".state-pending").first).to_be_visible()
    page.get_by_role("link", name="Peer ASNs", exact=True).first.click()
    row = page.get_by_role("row", name=re.compile("contoso-ix-backup"))
    expect(row).to_contain_text("Pending")
    sign_out()

    # The operator approves it in Django admin.
    sign_in("operator")
    page.goto(f"{demo.url}/admin/peering/peerasn/")
    admin_row = page.get_by_role("row", name=re.compile("contoso-ix-backup"))
    admin_row.get_by_role("checkbox").check()
    page.get_by_role("combobox", name=re.compile("Action")).select_option(
        label="Approve selected Peer ASNs"
    )
    page.get_by_role("button", name="Run").or_(page.get_by_role("button", name="Go")).click()
    expect(page.get_by_text(re.compile("Approved 1 Peer ASN|1 Peer ASN.*approved"))).to_be_visible()
    page.goto(f"{demo.url}/")
    sign_out()

    # The peer sees it Approved and the notification in the top bar.
    sign_in("exchange")
    expect(page.get_by_test_id("unread-count")).to_have_text(re.compile(r"[1-9]"))
    page.get_by_role("link", name=re.compile("Notifications")).first.click()
    expect(page.get_by_role("link", name=re.compile("contoso-ix-backup.*approved"))).to_be_visible()
    page.get_by_role("link", name="Peer ASNs", exact=True).first.click()
    row = page.get_by_role("row", name=re.compile("contoso-ix-backup"))
    expect(row).to_contain_text("Approved")
