"""Forms of a peering's connections after Create: Edit connection and Confirm delete. The
services in `peering.services.connections` decide.
"""

from __future__ import annotations

from django import forms

from peering.enums import Kind
from peering.forms.common import PortalFormMixin, typed_text
from peering.forms.wizard import BANDWIDTH_CHOICES, FIELD_LABELS, WizardForm
from peering.models import PeeringConnection


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

    confirm = typed_text(
        "Type the resource ID to confirm",
        600,
        strip=False,
        autocomplete="off",
        spellcheck="false",
    )
