"""Forms of the Registered ASNs, Registered prefixes and Received routes blades.

The add forms check what they can at once with the same validators the services use, and keep
what was typed; the services in `peering.services.peering_services` decide, and their
ValidationError dicts go back next to the fields with `forms.common.apply_service_errors`.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError

from peering.forms.common import PortalFormMixin
from peering.selectors.registered import PREFIX_CONTAINS, PREFIX_EXACT, RouteFilters
from peering.services.prefix_validation import parse_public_ipv4
from peering.validators import validate_public_asn
from portal.templatetags.units import place
from portal.validators import validate_arm_name

# Route validation states as the API spells them (free strings in the model).
VALIDATION_STATES = ["Valid", "Invalid", "NotFound", "Unknown"]


class _NamedAddForm(PortalFormMixin, forms.Form):
    """An add form of a peering's child resource: its Name (the ARM rule), then its own
    fields; nothing is filled in by the browser."""

    NAME_HELP = "Letters, digits, '_', '.' and '-', up to 63 characters."

    name = forms.CharField(label="Name", max_length=200)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].help_text = self.NAME_HELP
        for field in self.fields.values():
            field.widget.attrs.update(autocomplete="off")

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        validate_arm_name(name)
        return name


class RegisteredAsnForm(_NamedAddForm):
    """Register an ASN: Name (the customer) and ASN."""

    NAME_HELP = "The customer's name, e.g. fabrikam. Letters, digits, '_', '.' and '-'."

    asn = forms.CharField(
        label="ASN",
        max_length=20,
        help_text="The customer's public ASN, e.g. 8100 or AS8100.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["asn"].widget.attrs.update(inputmode="numeric")

    def clean_asn(self) -> int:
        return validate_public_asn(self.cleaned_data["asn"])


class RegisteredPrefixForm(_NamedAddForm):
    """Add registered prefix: Name and IPv4 prefix."""

    prefix = forms.CharField(
        label="IPv4 prefix",
        max_length=64,
        help_text="A public IPv4 prefix in CIDR notation with no host bits, e.g. 45.60.10.0/24.",
    )

    def clean_prefix(self) -> str:
        network, problem = parse_public_ipv4(self.cleaned_data["prefix"])
        if network is None:
            raise ValidationError(problem)
        return str(network)


class ReceivedRouteFilterForm(PortalFormMixin, forms.Form):
    """Filters of the Received routes blade (GET). A bad value in one filter is ignored; the
    others still apply."""

    prefix = forms.CharField(label="Prefix", required=False, max_length=64)
    prefix_match = forms.ChoiceField(
        label="Prefix match",
        required=False,
        choices=[(PREFIX_CONTAINS, "Contains"), (PREFIX_EXACT, "Exact")],
    )
    as_path = forms.CharField(label="AS path contains", required=False, max_length=200)
    connection = forms.ChoiceField(label="Connection", required=False)
    origin_as_validation_state = forms.ChoiceField(
        label="Origin AS validation",
        required=False,
        choices=[("", "Any state"), *((s, s) for s in VALIDATION_STATES)],
    )
    rpki_validation_state = forms.ChoiceField(
        label="RPKI validation",
        required=False,
        choices=[("", "Any state"), *((s, s) for s in VALIDATION_STATES)],
    )

    def __init__(self, *args, connections=(), **kwargs):
        super().__init__(*args, **kwargs)
        self._connections = {str(c.connection_identifier): c.pk for c in connections}
        self.fields["connection"].choices = [
            ("", "All connections"),
            *(
                (
                    str(c.connection_identifier),
                    " · ".join(
                        part for part in (place(c), c.peer_session_ipv4_address or "") if part
                    )
                    or str(c.connection_identifier),
                )
                for c in connections
            ),
        ]
        self.fields["prefix"].widget.attrs.update(
            placeholder="e.g. 45.60. or 45.60.10.0/24", autocomplete="off"
        )
        self.fields["as_path"].widget.attrs.update(placeholder="e.g. 59999", autocomplete="off")

    def filters(self) -> RouteFilters:
        """The valid filters; invalid fields are dropped rather than failing the page."""
        if self.is_bound:
            self.is_valid()
            data = {
                name: self.cleaned_data.get(name, "")
                for name in self.fields
                if name not in self.errors
            }
        else:
            data = {}
        return RouteFilters(
            prefix=(data.get("prefix") or "").strip(),
            prefix_match=data.get("prefix_match") or PREFIX_CONTAINS,
            as_path=(data.get("as_path") or "").strip(),
            connection_id=self._connections.get(data.get("connection") or ""),
            origin_as_validation_state=data.get("origin_as_validation_state") or "",
            rpki_validation_state=data.get("rpki_validation_state") or "",
        )
