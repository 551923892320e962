"""The Create a Peering wizard's side of the domain: its draft, and its words.

A draft holds the raw values exactly as typed (strings):
`{"basics": {...}, "configuration": {...}, "connections": [{...}, ...]}`, plus the tab the user
was last on (`tab`) and a connection row that was rejected and not yet corrected (`pending`).
Nothing is judged here — the rules live in `peering.services.peerings` — except that a value is
made storable: NUL characters (which PostgreSQL's jsonb refuses) become U+FFFD, so the value
still fails validation visibly instead of silently changing, and very long values are cut to a
length far beyond any valid one.

The wizard speaks the portal's labels ("AS8075 with exchange route server", "Premium Free", a
facility picked from a list by its id); `draft_input` and `connection_input` translate them
into the domain contract (`peering.contracts`), and `draft_validate` / `draft_create` hand
that to `peering_validate` / `peering_create`. A value that cannot be read as the contract's
type is passed on so that the service refuses it next to its field: an unreadable number of
prefixes as 0, an unreadable bandwidth or facility as none.
"""

from __future__ import annotations

from functools import partial

from django.core.exceptions import ValidationError
from django.db import transaction

from peering.contracts import BgpSessionInput, ConnectionInput, PeeringInput
from peering.enums import DirectPeeringType, Kind, SkuName
from peering.models import Peering, PeeringDraft
from peering.models.abstracts import SESSION_FIELDS
from peering.services.peerings import (
    MAX_CONNECTIONS,
    Configuration,
    Connection,
    Errors,
    ValidatedPeering,
    Variant,
    basics_validate,
    configuration_validate,
    connection_validate,
    connections_check_addresses,
    connections_validate,
    peering_create,
    peering_validate,
    variant_lookup,
)
from portal import sql
from portal.models import Subscription
from portal.selectors import writable_subscriptions_for_user

# The portal's "Microsoft network" choices and the direct peering type each stands for
# (AS8069 is reserved and not offered).
NETWORK_AS8075 = "AS8075"


NETWORK_ROUTE_SERVER = "AS8075 with exchange route server"


NETWORK_VOICE = "AS8075 (with Voice)"


MICROSOFT_NETWORKS = (NETWORK_AS8075, NETWORK_ROUTE_SERVER, NETWORK_VOICE)


DIRECT_PEERING_TYPE_OF = {
    NETWORK_AS8075: DirectPeeringType.EDGE,
    NETWORK_ROUTE_SERVER: DirectPeeringType.IX_RS,
    NETWORK_VOICE: DirectPeeringType.VOICE,
}


# The portal's SKU tiers; the SKU name also depends on the kind.
SKU_BASIC_FREE = "Basic Free"


SKU_PREMIUM_FREE = "Premium Free"


SKU_TIERS = (SKU_BASIC_FREE, SKU_PREMIUM_FREE)


def sku_label(variant: Variant) -> str:
    """The portal's tier of a variant's SKU."""
    return SKU_PREMIUM_FREE if variant.sku_name.startswith("Premium") else SKU_BASIC_FREE


def network_label(variant: Variant) -> str:
    """The portal's Microsoft network of a Direct variant ("" for Exchange)."""
    return next(
        (n for n, t in DIRECT_PEERING_TYPE_OF.items() if t == variant.direct_peering_type), ""
    )


def _sku_name(sku: str, kind: str) -> str:
    if sku == SKU_BASIC_FREE:
        return SkuName.BASIC_EXCHANGE_FREE if kind == Kind.EXCHANGE else SkuName.BASIC_DIRECT_FREE
    if sku == SKU_PREMIUM_FREE:
        # Exchange has no Premium Free: the service refuses it with the reason.
        return SkuName.PREMIUM_DIRECT_FREE
    return ""


def configuration_fields(values: dict) -> dict[str, str]:
    """The Configuration tab's choices as the contract's kind, SKU name, direct peering type and
    peering location."""
    kind = _text(values.get("peering_type"), 16)
    network = _text(values.get("microsoft_network"), 64)
    return {
        "kind": kind,
        "sku_name": _sku_name(_text(values.get("sku"), 16), kind),
        "direct_peering_type": DIRECT_PEERING_TYPE_OF.get(network, "")
        if kind == Kind.DIRECT
        else "",
        "peering_location": _text(values.get("metro"), 64),
    }


def variant_for(
    *, peering_type: str, microsoft_network: str, sku: str, agreement_signed: bool
) -> tuple[Variant | None, dict[str, str]]:
    """The variant the Configuration tab's choices stand for, or why it is refused (keyed by
    the field to change); none while a choice is missing."""
    fields = configuration_fields(
        {"peering_type": peering_type, "microsoft_network": microsoft_network, "sku": sku}
    )
    if fields["kind"] not in Kind.values or not fields["sku_name"]:
        return None, {}
    if fields["kind"] == Kind.DIRECT and not fields["direct_peering_type"]:
        return None, {}
    return variant_lookup(
        kind=fields["kind"],
        sku_name=fields["sku_name"],
        direct_peering_type=fields["direct_peering_type"],
        agreement_signed=agreement_signed,
    )


def _text(value: object, max_length: int) -> str:
    if value is None:
        return ""
    return (value if isinstance(value, str) else str(value)).strip()[: max_length + 1]


def _number(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 12 else None


def _count(text: str) -> int | None:
    """A typed count: none when empty, 0 (refused by every count rule) when unreadable."""
    if not text:
        return None
    number = _number(text)
    return 0 if number is None else number


def _flag(value: object) -> bool:
    if isinstance(value, bool):
        return value
    return str(value or "").strip().lower() in {"1", "true", "on", "yes", "enabled"}


def connection_input(row: dict) -> ConnectionInput:
    """A connection row as typed (the wizard's or the modify form's) in the contract's words:
    the facility is the portal's id of the place picked from the list."""
    row = row if isinstance(row, dict) else {}
    session = {name: _text(row.get(name), 64) for name in SESSION_FIELDS}
    for name in ("max_prefixes_advertised_v4", "max_prefixes_advertised_v6"):
        session[name] = _count(_text(row.get(name), 12))
    bandwidth = _text(row.get("bandwidth_mbps"), 12).replace(",", "").replace("_", "")
    return ConnectionInput(
        facility_id=_number(_text(row.get("facility"), 20)),
        session_address_provider=_text(row.get("session_address_provider"), 16),
        bandwidth_in_mbps=_number(bandwidth),
        use_for_peering_service=_flag(row.get("use_for_peering_service")),
        bgp_session=BgpSessionInput(**session),
    )


def basics_fields(values: dict) -> dict:
    """The Basics tab's values as the contract's name, resource group and location."""
    new_group = _text(values.get("new_resource_group"), 63)
    return {
        "name": _text(values.get("name"), 63),
        "resource_group": new_group or _text(values.get("resource_group"), 63),
        "create_resource_group": bool(new_group),
        # With an existing group the peering is in the group's region (the field is hidden).
        "location": _text(values.get("region"), 40) if new_group else "",
        "peer_asn": _text(values.get("peer_asn"), 63),
    }


def draft_input(data: dict) -> PeeringInput:
    """The whole draft as the contract's PeeringInput."""
    data = data if isinstance(data, dict) else {}
    return PeeringInput(
        **basics_fields(_section(data, "basics")),
        **configuration_fields(_section(data, "configuration")),
        connections=[connection_input(row) for row in _rows(data)],
    )


def draft_subscription(*, user, values: dict, errors: Errors) -> Subscription | None:
    """The subscription the Basics chose, if the user may create in it; a choice that is not
    one of those is reported (none chosen is left to the service to say)."""
    text = _text(values.get("subscription"), 200).lower()
    if not text:
        return None
    found = next((s for s in writable_subscriptions_for_user(user=user) if str(s.pk) == text), None)
    if found is None:
        errors.add("basics.subscription", "You cannot create resources in that subscription.")
    return found


def draft_validate(*, user, data: dict) -> tuple[ValidatedPeering | None, Errors]:
    """Every check of creating the draft, writing nothing (Review + create)."""
    errors = Errors()
    data = data if isinstance(data, dict) else {}
    subscription = draft_subscription(user=user, values=_section(data, "basics"), errors=errors)
    return peering_validate(
        user=user, subscription=subscription, data=draft_input(data), errors=errors
    )


def draft_create(*, user, data: dict) -> Peering:
    """Create the peering the draft describes (`peering_create`); ValidationError keyed as the
    wizard shows them when anything is wrong."""
    errors = Errors()
    data = data if isinstance(data, dict) else {}
    subscription = draft_subscription(user=user, values=_section(data, "basics"), errors=errors)
    if errors:
        _, errors = peering_validate(
            user=user, subscription=None, data=draft_input(data), errors=errors
        )
        raise ValidationError(dict(errors))
    return peering_create(user=user, subscription=subscription, data=draft_input(data))


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
    *SESSION_FIELDS,
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
    # As SQL (`portal.sql`): every wizard page reads it first.
    rows = _DRAFT.rows("WHERE d.user_id = %s ORDER BY d.id LIMIT 1", [user.pk])
    draft = _DRAFT.read(rows[0]) if rows else None
    if draft is None:
        draft = PeeringDraft(user=user, data={})
    if not isinstance(draft.data, dict):
        draft.data = {}
    return draft


_DRAFT = sql.Joined(PeeringDraft, "d")


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


def basics_check(*, user, values: dict, errors: Errors):
    """The Basics tab's checks (leaving it forward): `basics_validate` on its values."""
    subscription = draft_subscription(user=user, values=values, errors=errors)
    return basics_validate(
        user=user,
        subscription=subscription,
        data=PeeringInput(**basics_fields(values)),
        errors=errors,
    )


def configuration_check(
    *, subscription: Subscription | None, values: dict, errors: Errors
) -> Configuration | None:
    """The Configuration tab's checks: `configuration_validate` on its choices."""
    return configuration_validate(
        subscription=subscription,
        data=PeeringInput(**configuration_fields(values)),
        errors=errors,
    )


def row_check(
    *,
    configuration: Configuration,
    subscription: Subscription,
    row: dict,
    index: int,
    errors: Errors,
) -> Connection | None:
    """A connection row's checks: `connection_validate` on it."""
    return connection_validate(
        configuration=configuration,
        subscription=subscription,
        data=connection_input(row),
        index=index,
        errors=errors,
    )


def connection_row_errors(
    *,
    configuration: Configuration,
    subscription: Subscription,
    rows: list[dict],
    index: int | None,
    values: dict,
) -> Errors:
    """The errors of one row of the wizard's Configuration grid (`values`, at `index` among
    `rows`, or a new row): `connection_validate` on it, then its addresses against the other
    rows and every live connection at the same place."""
    check = partial(connections_validate, configuration=configuration, subscription=subscription)
    errors = Errors()
    position = index if index is not None else len(rows)
    conn = check(rows=[(position, connection_input(values))], errors=errors).get(position)
    if conn is None:
        return errors
    others = check(
        rows=((i, connection_input(row)) for i, row in enumerate(rows) if i != index),
        errors=Errors(),
    )
    others[position] = conn
    clashes = Errors()
    connections_check_addresses(others, clashes)
    prefix = f"connections.{position}."
    for key, messages in clashes.items():
        if key.startswith(prefix):
            errors.setdefault(key, []).extend(messages)
    return errors
