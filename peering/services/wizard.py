"""Drafts of the Create a Peering wizard: what the user typed, kept server-side per user.

A draft holds the raw values exactly as typed (strings), in the shape `peering_validate` reads:
`{"basics": {...}, "configuration": {...}, "connections": [{...}, ...]}`, plus the tab the user
was last on (`tab`) and a connection row that was rejected and not yet corrected (`pending`).
Nothing is judged here — the rules live in `peering.services.peerings` — except that a value is
made storable: NUL characters (which PostgreSQL's jsonb refuses) become U+FFFD, so the value
still fails validation visibly instead of silently changing, and very long values are cut to a
length far beyond any valid one.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from peering.models import PeeringDraft
from peering.services.peerings import MAX_CONNECTIONS

TABS = ("basics", "configuration", "review")


SECTION_FIELDS = {
    "basics": (
        "subscription",
        "resource_group",
        "new_resource_group",
        "region",
        "name",
        "peer_asn",
    ),
    "configuration": ("peering_type", "microsoft_network", "sku", "metro"),
}


CONNECTION_FIELDS = (
    "facility",
    "session_address_provider",
    "bandwidth_mbps",
    "use_for_peering_service",
    "session_prefix_v4",
    "peer_session_ipv4_address",
    "microsoft_session_ipv4_address",
    "session_prefix_v6",
    "peer_session_ipv6_address",
    "microsoft_session_ipv6_address",
    "max_prefixes_advertised_v4",
    "max_prefixes_advertised_v6",
)


# Longer than any valid value (names 63, addresses 45) by far, so the message still applies.
MAX_VALUE_LENGTH = 1000


def storable(value: object) -> str:
    """A typed value as the draft keeps it: a string, NUL-free, of bounded length."""
    if value is None:
        return ""
    text = value if isinstance(value, str) else str(value)
    return text.replace("\x00", "\ufffd")[:MAX_VALUE_LENGTH]


def _clean(values: dict, fields: tuple[str, ...]) -> dict[str, str]:
    return {name: storable(values[name]) for name in fields if name in values}


def _section(data: dict, name: str) -> dict:
    value = data.get(name)
    return value if isinstance(value, dict) else {}


def _rows(data: dict) -> list[dict]:
    value = data.get("connections")
    if not isinstance(value, list):
        return []
    return [row if isinstance(row, dict) else {} for row in value]


def draft_get(*, user) -> PeeringDraft:
    """The user's draft, or an empty unsaved one (reading never creates a row)."""
    draft = PeeringDraft.objects.filter(user=user).first()
    if draft is None:
        draft = PeeringDraft(user=user, data={})
    if not isinstance(draft.data, dict):
        draft.data = {}
    return draft


def _locked(user) -> PeeringDraft:
    draft, _ = PeeringDraft.objects.select_for_update().get_or_create(
        user=user, defaults={"data": {}}
    )
    if not isinstance(draft.data, dict):
        draft.data = {}
    return draft


def draft_save(*, user, section: str, values: dict, tab: str | None = None) -> PeeringDraft:
    """Merge the typed values of one tab (`basics` or `configuration`) into the draft.

    Only the fields present in `values` change, so a field the tab did not show this time (the
    Microsoft network of an Exchange peering) keeps what was typed before. `tab` records where
    the user is, so the wizard resumes there.
    """
    if section not in SECTION_FIELDS:
        raise ValueError(f"Unknown draft section {section!r}.")
    if tab is not None and tab not in TABS:
        raise ValueError(f"Unknown wizard tab {tab!r}.")
    with transaction.atomic():
        draft = _locked(user)
        merged = {**_section(draft.data, section), **_clean(values, SECTION_FIELDS[section])}
        draft.data[section] = merged
        if tab is not None:
            draft.data["tab"] = tab
        draft.save(update_fields=["data", "updated_at"])
    return draft


def draft_set_tab(*, user, tab: str) -> None:
    """Remember the tab the user is on (only for an existing draft)."""
    if tab not in TABS:
        raise ValueError(f"Unknown wizard tab {tab!r}.")
    with transaction.atomic():
        draft = PeeringDraft.objects.select_for_update().filter(user=user).first()
        if draft is None or not isinstance(draft.data, dict) or draft.data.get("tab") == tab:
            return
        draft.data["tab"] = tab
        draft.save(update_fields=["data", "updated_at"])


def draft_connection_save(*, user, index: int | None, values: dict) -> int:
    """Store a connection row (already accepted by `connection_validate`): replace row `index`,
    or append a new one when `index` is None. Clears the pending row. Returns the row's index."""
    row = _clean(values, CONNECTION_FIELDS)
    with transaction.atomic():
        draft = _locked(user)
        rows = _rows(draft.data)
        if index is None:
            if len(rows) >= MAX_CONNECTIONS:
                raise ValidationError(
                    {"connections": [f"A peering can have at most {MAX_CONNECTIONS} connections."]}
                )
            rows.append(row)
            index = len(rows) - 1
        elif 0 <= index < len(rows):
            rows[index] = row
        else:
            raise IndexError(index)
        draft.data["connections"] = rows
        draft.data.pop("pending", None)
        draft.save(update_fields=["data", "updated_at"])
    return index


def draft_connection_remove(*, user, index: int) -> bool:
    """Delete connection row `index`; False when there is no such row."""
    with transaction.atomic():
        draft = _locked(user)
        rows = _rows(draft.data)
        if not 0 <= index < len(rows):
            return False
        del rows[index]
        draft.data["connections"] = rows
        # A pending edit of a row refers to it by index: after a removal it would point
        # elsewhere, so drop it.
        draft.data.pop("pending", None)
        draft.save(update_fields=["data", "updated_at"])
    return True


def draft_pending_set(*, user, index: int | None, values: dict) -> None:
    """Keep a rejected connection row as typed, so reopening the same row shows it again."""
    with transaction.atomic():
        draft = _locked(user)
        draft.data["pending"] = {
            "index": index,
            "values": _clean(values, CONNECTION_FIELDS),
        }
        draft.save(update_fields=["data", "updated_at"])


def draft_pending_clear(*, user) -> None:
    with transaction.atomic():
        draft = PeeringDraft.objects.select_for_update().filter(user=user).first()
        if draft is None or not isinstance(draft.data, dict) or "pending" not in draft.data:
            return
        draft.data.pop("pending", None)
        draft.save(update_fields=["data", "updated_at"])


def draft_pending_for(draft: PeeringDraft, index: int | None) -> dict | None:
    """The pending (rejected) values of row `index` (None = a new row), if any."""
    pending = draft.data.get("pending") if isinstance(draft.data, dict) else None
    if not isinstance(pending, dict) or pending.get("index") != index:
        return None
    values = pending.get("values")
    return values if isinstance(values, dict) else None


def draft_discard(*, user) -> None:
    """Forget the draft (Discard, or after Create)."""
    PeeringDraft.objects.filter(user=user).delete()


def draft_section(draft: PeeringDraft, section: str) -> dict[str, str]:
    """One tab's values as strings (whatever a stored draft holds)."""
    return _clean(_section(draft.data, section), SECTION_FIELDS[section])


def draft_rows(draft: PeeringDraft) -> list[dict[str, str]]:
    """The connection rows as strings."""
    return [_clean(row, CONNECTION_FIELDS) for row in _rows(draft.data)]
