"""Both wizards speak alike (issue 12, item 6): the Basics fields they share have the same
labels and required marks, the footers the same button words, and each tab names itself in a
heading that takes the focus after a step."""

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

SHARED = ("Subscription", "Resource group", "or Create new", "Name", "Region")


def _labels(page: str) -> dict[str, bool]:
    """Each field label's text → whether it carries the required mark."""
    found = {}
    for inner in re.findall(r'<label class="form-label"[^>]*>(.*?)</label>', page, flags=re.S):
        text = re.sub(r"<[^>]+>", "", inner).replace("*", "").strip()
        found[text] = "required-mark" in inner
    return found


def _footer_words(page: str) -> list[str]:
    (footer,) = re.findall(r'<div class="form-footer[^"]*">(.*?)</div>', page, flags=re.S)
    words = [
        re.sub(r"<[^>]+>", "", w).strip() for w in re.findall(r">([^<>]+)</(?:button|a)>", footer)
    ]
    return [w.replace("&lt;", "<").replace("&gt;", ">") for w in words if w]


def test_both_wizards_share_labels_marks_and_button_words(client, owner, subscription, region):
    client.force_login(owner)
    peering = client.get(reverse("wizard:start")).content.decode()
    service = client.get(reverse("peering_services:create")).content.decode()
    peering_labels, service_labels = _labels(peering), _labels(service)
    for label in SHARED:
        assert label in peering_labels and label in service_labels, label
        assert peering_labels[label] == service_labels[label], label
    assert peering_labels["Name"] is True and peering_labels["or Create new"] is False
    assert _footer_words(peering) == [
        "Review + create",
        "< Previous",
        "Next: Configuration >",
        "Cancel",
    ]
    assert _footer_words(service) == _footer_words(peering)
    for page in (peering, service):
        assert re.search(r'<h2 class="tab-heading[^"]*"[^>]*autofocus[^>]*>Basics</h2>', page)
