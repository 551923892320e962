"""Forms of the Create a Peering wizard. They only carry and re-display what was typed.

Every field is an optional string (choices are rendered as selects or radios but not checked
here), because `peering.services.peerings` judges every value; its errors, keyed
`<section>.<field>` or `connections.<i>.<field>`, are put back on these fields by
`form_with_errors`.
"""

from __future__ import annotations

from django import forms
from django.utils.choices import BaseChoiceIterator

from peering.enums import Kind, SessionAddressProvider
from peering.services.peerings import BANDWIDTH_MAX_MBPS, BANDWIDTH_STEP_MBPS
from peering.services.wizard import MICROSOFT_NETWORKS, SKU_TIERS
from portal.forms import ARM_NAME_MAX_LENGTH
from portal.templatetags.units import place
from portal.widgets import FastSelect

BANDWIDTH_CHOICES = [
    (str(mbps), f"{mbps // 1000} Gbps")
    for mbps in range(BANDWIDTH_STEP_MBPS, BANDWIDTH_MAX_MBPS + 1, BANDWIDTH_STEP_MBPS)
]


FIELD_LABELS = {
    "subscription": "Subscription",
    "resource_group": "Resource group",
    "new_resource_group": "New resource group",
    "region": "Region",
    "name": "Name",
    "peer_asn": "PeerASN",
    "peering_type": "Peering type",
    "microsoft_network": "Microsoft network",
    "sku": "SKU",
    "metro": "Metro",
    "facility": "Peering facility",
    "session_address_provider": "Session Address Provider",
    "bandwidth_mbps": "Bandwidth",
    "use_for_peering_service": "Use for Peering Service",
    "session_prefix_v4": "Session IPv4 prefix",
    "peer_session_ipv4_address": "Peer session IPv4 address",
    "microsoft_session_ipv4_address": "Microsoft session IPv4 address",
    "session_prefix_v6": "Session IPv6 prefix",
    "peer_session_ipv6_address": "Peer session IPv6 address",
    "microsoft_session_ipv6_address": "Microsoft session IPv6 address",
    "max_prefixes_advertised_v4": "Maximum advertised IPv4 prefixes",
    "max_prefixes_advertised_v6": "Maximum advertised IPv6 prefixes",
}


EXCHANGE_LABELS = {
    "peer_session_ipv4_address": "IPv4 address",
    "peer_session_ipv6_address": "IPv6 address",
}


def field_label(name: str, *, exchange: bool = False) -> str:
    if exchange and name in EXCHANGE_LABELS:
        return EXCHANGE_LABELS[name]
    return FIELD_LABELS.get(name, name.replace("_", " ").capitalize())


def values_from(data, fields: tuple[str, ...]) -> dict[str, str]:
    """The typed values of `fields` in a POST (only those sent)."""
    return {name: data.get(name, "") for name in fields if name in data}


def _text(label: str, **attrs) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        strip=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", **attrs}),
    )


def _select(label: str) -> forms.CharField:
    # A CharField with a Select widget: the form never refuses a value, the service does.
    return forms.CharField(label=label, required=False, strip=False, widget=FastSelect)


class WizardForm(forms.Form):
    """Bootstrap classes on every widget; `is-invalid` once a field has an error."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.RadioSelect | forms.CheckboxInput):
                base = "form-check-input"
            elif isinstance(widget, forms.Select):
                base = "form-select"
            else:
                base = "form-control"
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {base}".strip()

    def add_error(self, field, error):
        super().add_error(field, error)
        if field in self.fields:
            attrs = self.fields[field].widget.attrs
            if "is-invalid" not in attrs.get("class", ""):
                attrs["class"] = f"{attrs.get('class', '')} is-invalid".strip()

    def set_choices(self, name: str, choices) -> None:
        """`choices`: (value, label) pairs of text, as Django's normalisation would leave them
        (it walks every label again: more than the rest of Basics' ~650 options' work)."""
        self.fields[name].widget.choices = _TextChoices(choices)


class _TextChoices(BaseChoiceIterator):
    """Choices that are already (value, label) pairs of text, kept as they are."""

    def __init__(self, choices):
        self.choices = list(choices)

    def __iter__(self):
        return iter(self.choices)


def form_with_errors(form_class, values: dict, errors: dict | None, prefix: str, **kwargs):
    """The form showing `values`; with `errors` (a service's dict) the messages whose key starts
    with `prefix` go next to their fields, the others to the top of the form."""
    if errors is None:
        return form_class(initial=values, **kwargs)
    form = form_class(data=values, **kwargs)
    form.is_valid()
    for key, messages in errors.items():
        if not key.startswith(prefix):
            continue
        name = key[len(prefix) :]
        form.add_error(name if name in form.fields else None, list(messages))
    return form


class BasicsForm(WizardForm):
    """Basics: Project details (Subscription, Resource group) and Instance details."""

    subscription = _select("Subscription")
    resource_group = _select("Resource group")
    # The live name counter (static/js/portal.js) on both names; the services check the length.
    new_resource_group = _text(
        "or Create new",
        placeholder="Name of a new resource group",
        **{"data-name-limit": str(ARM_NAME_MAX_LENGTH)},
    )
    region = _select("Region")
    name = _text("Name", **{"data-name-limit": str(ARM_NAME_MAX_LENGTH)})
    peer_asn = forms.CharField(label="PeerASN", required=False, strip=False, widget=FastSelect)

    def __init__(
        self,
        *args,
        subscriptions=(),
        resource_groups=(),
        regions=(),
        peer_asns=(),
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.set_choices(
            "subscription",
            [("", "Select a subscription")] + [(str(s.pk), s.display_name) for s in subscriptions],
        )
        self.set_choices(
            "resource_group",
            [("", "Select a resource group")] + [(g.name, g.name) for g in resource_groups],
        )
        self.set_choices(
            "region", [("", "Select a region")] + [(r.name, r.display_name) for r in regions]
        )
        choices = [("", "Select a PeerASN")]
        disabled = []
        for peer_asn in peer_asns:
            label = f"{peer_asn.name} (AS{peer_asn.peer_asn})"
            if not peer_asn.is_approved:
                label = f"{label} — {peer_asn.validation_state}, cannot be used"
                disabled.append(peer_asn.name)
            choices.append((peer_asn.name, label))
        self.set_choices("peer_asn", choices)
        self.fields["peer_asn"].widget.disabled_values = set(disabled)
        self.fields["name"].help_text = (
            "The peering's resource name: letters, digits, _ . - (up to 63). Basics cannot be "
            "changed after creation."
        )
        self.fields[
            "new_resource_group"
        ].help_text = "Type a name to create a new resource group with the peering."


class ConfigurationForm(WizardForm):
    """Configuration: Peering type, Microsoft network, SKU, Metro."""

    peering_type = forms.CharField(
        label="Peering type",
        required=False,
        widget=forms.RadioSelect(choices=[(Kind.DIRECT, "Direct"), (Kind.EXCHANGE, "Exchange")]),
    )
    microsoft_network = _select("Microsoft network")
    sku = forms.CharField(
        label="SKU",
        required=False,
        widget=forms.RadioSelect(choices=[(tier, tier) for tier in SKU_TIERS]),
    )
    metro = _select("Metro")

    def __init__(self, *args, metros=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.set_choices(
            "microsoft_network",
            [("", "Select the Microsoft network")] + [(n, n) for n in MICROSOFT_NETWORKS],
        )
        self.set_choices("metro", [("", "Select a metro")] + [(m.name, m.name) for m in metros])
        self.fields[
            "microsoft_network"
        ].help_text = "Direct peering only. AS8069 is reserved and not offered."
        self.fields["sku"].help_text = (
            "Route server and Voice need Premium Free; otherwise Premium Free is reserved for "
            "Peering Service."
        )


class ConnectionForm(WizardForm):
    """The Direct Peering Connection form (and its Exchange variant: fewer fields shown)."""

    facility = _select("Peering facility")
    session_address_provider = _select("Session Address Provider")
    bandwidth_mbps = _select("Bandwidth")
    use_for_peering_service = forms.BooleanField(label="Use for Peering Service", required=False)
    session_prefix_v4 = _text("Session IPv4 prefix")
    peer_session_ipv4_address = _text("Peer session IPv4 address")
    microsoft_session_ipv4_address = _text("Microsoft session IPv4 address")
    session_prefix_v6 = _text("Session IPv6 prefix")
    peer_session_ipv6_address = _text("Peer session IPv6 address")
    microsoft_session_ipv6_address = _text("Microsoft session IPv6 address")
    max_prefixes_advertised_v4 = _text("Maximum advertised IPv4 prefixes", inputmode="numeric")
    max_prefixes_advertised_v6 = _text("Maximum advertised IPv6 prefixes", inputmode="numeric")

    def __init__(
        self,
        *args,
        places=(),
        exchange: bool = False,
        fixed_provider: str = "",
        fixed_provider_reason: str = "",
        agreement_signed: bool = False,
        **kwargs,
    ):
        super().__init__(*args, **kwargs)
        self.exchange = exchange
        self.fixed_provider = fixed_provider
        self.set_choices(
            "facility",
            [("", "Select an exchange" if exchange else "Select a peering facility")]
            # "Equinix SE2 (PeeringDB facility 42)": the id tells same-named sites apart.
            + [(str(p.pk), place(p)) for p in places],
        )
        self.set_choices(
            "session_address_provider",
            [("", "Select a provider")] + list(SessionAddressProvider.choices),
        )
        self.set_choices("bandwidth_mbps", [("", "Select a bandwidth"), *BANDWIDTH_CHOICES])
        if exchange:
            self.fields["peer_session_ipv4_address"].label = EXCHANGE_LABELS[
                "peer_session_ipv4_address"
            ]
            self.fields["peer_session_ipv6_address"].label = EXCHANGE_LABELS[
                "peer_session_ipv6_address"
            ]
            self.fields[
                "peer_session_ipv4_address"
            ].help_text = "Your router's address on the exchange's IPv4 peering LAN."
            self.fields[
                "peer_session_ipv6_address"
            ].help_text = "Your router's address on the exchange's IPv6 peering LAN (optional)."
        if fixed_provider:
            provider = self.fields["session_address_provider"]
            provider.disabled = True
            provider.help_text = fixed_provider_reason
            self.initial["session_address_provider"] = fixed_provider
        if not agreement_signed:
            ps = self.fields["use_for_peering_service"]
            ps.disabled = True
            ps.help_text = "Requires a signed Peering Service agreement."
        self.fields["facility"].widget.attrs["autofocus"] = True
        self.fields["max_prefixes_advertised_v4"].help_text = "From 1 to 20000."
        self.fields["max_prefixes_advertised_v6"].help_text = "From 1 to 2000."
