"""Forms of a peering's blades after Create: the list filters, Tags, Edit connection, Confirm
delete and Deprovision. They parse and re-display what was typed; the services in
`peering.services.modify` and `peering.services.deprovision` decide, and their ValidationError
dicts are put back on these forms with `apply_errors`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django import forms
from django.core.exceptions import ValidationError

from peering.enums import ConnectionState, DirectPeeringType, Kind
from peering.forms import PortalFormMixin
from peering.forms_wizard import BANDWIDTH_CHOICES, FIELD_LABELS, WizardForm
from peering.models import PeeringConnection
from peering.selectors import PEERING_SORTS
from peering.services.modify import MAX_TAGS

# Row indices come from the client; keep them small so a forged form cannot make us loop.
MAX_TAG_INDEX = 999


def errors_of(exc: ValidationError) -> dict[str, list[str]]:
    """A service's ValidationError as {field: messages}; a plain one goes under `__all__`."""
    if hasattr(exc, "error_dict"):
        return exc.message_dict
    return {"__all__": exc.messages}


def apply_errors(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's messages next to the fields they name, the rest at the top."""
    for key, messages in errors_of(exc).items():
        form.add_error(key if key in form.fields else None, list(messages))


class PeeringListForm(PortalFormMixin, forms.Form):
    """Filters and sort order of the peering list (GET). A bad value in one filter is ignored;
    the others still apply."""

    resource_group = forms.ChoiceField(label="Resource group", required=False)
    kind = forms.ChoiceField(
        label="Kind", required=False, choices=[("", "All kinds"), *Kind.choices]
    )
    direct_peering_type = forms.ChoiceField(
        label="Direct peering type",
        required=False,
        choices=[("", "All types"), *DirectPeeringType.choices],
    )
    connection_state = forms.ChoiceField(
        label="Connection state",
        required=False,
        choices=[("", "Any connection state"), *ConnectionState.choices],
        help_text="Peerings with at least one connection in this state.",
    )
    sort = forms.CharField(required=False, max_length=20, widget=forms.HiddenInput)

    def __init__(self, *args, resource_group_names: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["resource_group"].choices = [
            ("", "All resource groups"),
            *((name, name) for name in resource_group_names),
        ]

    def clean_sort(self) -> str:
        sort = self.cleaned_data["sort"]
        return sort if sort.lstrip("-") in PEERING_SORTS else ""

    def filters(self) -> dict[str, str]:
        """The valid filters (an invalid one is dropped, not the whole form)."""
        self.is_valid()
        cleaned = getattr(self, "cleaned_data", {})
        return {
            name: cleaned.get(name) or ""
            for name in (
                "resource_group",
                "kind",
                "direct_peering_type",
                "connection_state",
                "sort",
            )
        }


# --- Tags ---------------------------------------------------------------------------------------


@dataclass
class TagRow:
    index: int
    name: str = ""
    value: str = ""
    errors: dict[str, list[str]] = field(default_factory=dict)

    @property
    def is_blank(self) -> bool:
        return not self.name.strip() and not self.value.strip()


@dataclass
class TagGrid:
    """The Tags blade's name/value rows. "+ Add tag" and "Delete" are submit buttons, so rows
    are added and removed without JavaScript; every typed value is kept."""

    rows: list[TagRow]
    errors: list[str] = field(default_factory=list)

    @classmethod
    def from_tags(cls, tags: dict) -> TagGrid:
        rows = [TagRow(i, str(k), str(v)) for i, (k, v) in enumerate((tags or {}).items())]
        rows.append(TagRow(len(rows)))
        return cls(rows)

    @classmethod
    def from_post(cls, data, *, add: bool = False, remove: str | None = None) -> TagGrid:
        indices: list[int] = []
        for raw in data.getlist("tag_index")[: MAX_TAGS + 5]:
            valid = raw.isascii() and raw.isdigit() and int(raw) <= MAX_TAG_INDEX
            if valid and int(raw) not in indices:
                indices.append(int(raw))
        rows = [
            TagRow(i, data.get(f"tag-{i}-name", "")[:600], data.get(f"tag-{i}-value", "")[:600])
            for i in indices
        ]
        if remove is not None:
            rows = [row for row in rows if str(row.index) != remove]
        if add or not rows or not rows[-1].is_blank:
            rows.append(TagRow(max((r.index for r in rows), default=-1) + 1))
        return cls(rows)

    def tags(self) -> tuple[dict[str, str], list[TagRow]]:
        """The tags to save (blank rows skipped), with the row behind each, in order. Checks
        only what a dict cannot carry: a value without a name, or one name twice."""
        tags: dict[str, str] = {}
        used: list[TagRow] = []
        for row in self.rows:
            if row.is_blank:
                continue
            name = row.name.strip()
            if not name:
                row.errors["name"] = ["Enter a name for this tag."]
                continue
            if name in tags:
                row.errors["name"] = [f"The tag name '{name}' is used twice."]
                continue
            tags[name] = row.value
            used.append(row)
        return tags, used

    @property
    def has_errors(self) -> bool:
        return bool(self.errors) or any(row.errors for row in self.rows)

    def apply(self, exc: ValidationError, used: list[TagRow]) -> None:
        """`tags.<i>.name|value` (i: position among the saved tags) onto its row."""
        for key, messages in errors_of(exc).items():
            parts = key.split(".")
            if len(parts) == 3 and parts[0] == "tags" and parts[1].isdigit():
                position = int(parts[1])
                if position < len(used):
                    used[position].errors.setdefault(parts[2], []).extend(messages)
                    continue
            self.errors.extend(messages)


# --- Connections --------------------------------------------------------------------------------


class EditConnectionForm(WizardForm):
    """Edit connection (Active connections): add the IPv4 or IPv6 session the connection lacks,
    change the maximum advertised prefixes, upgrade the bandwidth (Direct)."""

    session_prefix_v4 = forms.CharField(required=False, strip=False)
    peer_session_ipv4_address = forms.CharField(required=False, strip=False)
    microsoft_session_ipv4_address = forms.CharField(required=False, strip=False)
    session_prefix_v6 = forms.CharField(required=False, strip=False)
    peer_session_ipv6_address = forms.CharField(required=False, strip=False)
    microsoft_session_ipv6_address = forms.CharField(required=False, strip=False)
    max_prefixes_advertised_v4 = forms.CharField(required=False, strip=False)
    max_prefixes_advertised_v6 = forms.CharField(required=False, strip=False)
    bandwidth_mbps = forms.CharField(required=False, strip=False, widget=forms.Select)

    def __init__(self, *args, connection: PeeringConnection, **kwargs):
        self.connection = connection
        peering = connection.peering
        exchange = connection.exchange_id is not None
        initial = kwargs.setdefault("initial", {})
        for name in ("max_prefixes_advertised_v4", "max_prefixes_advertised_v6"):
            value = getattr(connection, name)
            initial.setdefault(name, "" if value is None else str(value))
        if connection.bandwidth_mbps:
            initial.setdefault("bandwidth_mbps", str(connection.bandwidth_mbps))
        super().__init__(*args, **kwargs)
        for name, form_field in self.fields.items():
            form_field.label = FIELD_LABELS.get(name, name)
            form_field.widget.attrs.setdefault("autocomplete", "off")
            form_field.widget.attrs.setdefault("spellcheck", "false")
        # The families that can be added: the peer supplies the addresses (or the exchange
        # LAN does); Microsoft-provided sessions are allocated by Microsoft.
        self.addable_families: list[int] = []
        peer_supplies = exchange or connection.session_address_provider == "Peer"
        for family in (4, 6):
            ip = f"ipv{family}"
            names = [
                f"session_prefix_v{family}",
                f"peer_session_{ip}_address",
                f"microsoft_session_{ip}_address",
            ]
            if peer_supplies and not getattr(connection, f"peer_session_{ip}_address"):
                self.addable_families.append(family)
                if exchange:
                    # Exchange rows carry only the peer's address on the exchange LAN.
                    for name in (names[0], names[2]):
                        del self.fields[name]
                    self.fields[names[1]].label = f"IPv{family} address"
                    self.fields[
                        names[1]
                    ].help_text = (
                        f"Your router's address on the exchange's IPv{family} peering LAN."
                    )
            else:
                for name in names:
                    del self.fields[name]
        self.fields["max_prefixes_advertised_v4"].help_text = "From 1 to 20000."
        self.fields["max_prefixes_advertised_v6"].help_text = "From 1 to 2000."
        if peering.kind == Kind.DIRECT and not exchange:
            current = connection.bandwidth_mbps or 0
            self.set_choices(
                "bandwidth_mbps",
                [(value, label) for value, label in BANDWIDTH_CHOICES if int(value) >= current],
            )
            self.fields[
                "bandwidth_mbps"
            ].help_text = (
                "Bandwidth can be upgraded here; ask Microsoft's peering team to downgrade."
            )
        else:
            del self.fields["bandwidth_mbps"]

    def session_fields(self, family: int) -> list[forms.BoundField]:
        ip = f"ipv{family}"
        names = (
            f"session_prefix_v{family}",
            f"peer_session_{ip}_address",
            f"microsoft_session_{ip}_address",
        )
        return [self[name] for name in names if name in self.fields]

    @property
    def v4_fields(self) -> list[forms.BoundField]:
        return self.session_fields(4)

    @property
    def v6_fields(self) -> list[forms.BoundField]:
        return self.session_fields(6)

    def data_for_service(self) -> dict[str, str]:
        """What was typed, as the service's `data` (only the fields shown)."""
        return {name: str(self.data.get(name, "")) for name in self.fields}


class DeleteConnectionForm(PortalFormMixin, forms.Form):
    """Confirm delete: the user types the peering's resource ID."""

    confirm = forms.CharField(
        label="Type the resource ID to confirm",
        required=False,
        max_length=600,
        strip=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )


class DeprovisionForm(PortalFormMixin, forms.Form):
    """Request deprovisioning: the reason, and the customers' confirmation when needed."""

    reason = forms.CharField(
        label="Reason",
        required=False,
        max_length=2000,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Microsoft's peering team reads this with the request.",
    )
    confirm_customers = forms.BooleanField(
        label="I understand these customers lose Peering Service",
        required=False,
    )

    def __init__(self, *args, customers: list[str] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.customers = list(customers)
        if not self.customers:
            del self.fields["confirm_customers"]
        else:
            self.fields["confirm_customers"].widget.attrs["class"] = "form-check-input"
