"""Forms of the Peering Service blades. They parse and re-display input; the services decide.

"Create a peering service connection" is one HTML form whose tabs are views of the same values.
Only the current tab's fields are posted; everything typed is kept in the user's server-side
draft (`PeeringServiceDraft`, like Create a Peering's), so moving between tabs, reloading or
signing out loses nothing. The last check's outcome is kept in the draft too (`CheckResult`):
each error is shown next to its field for as long as the field still holds the value it was
given for, on whatever tab the user opens. `service_input` translates the wizard's values (a
provider picked by id, a country and a state) into the domain contract.
"""

from __future__ import annotations

import hashlib
import json

from django import forms
from django.core.exceptions import ValidationError
from django.forms.utils import ErrorDict, ErrorList
from django.http import QueryDict

from peering.contracts import PeeringServiceInput, PrefixInput
from peering.forms.common import PortalFormMixin, typed_text
from peering.services.peering_services import MAX_PREFIXES_PER_REQUEST, TOO_MANY_PREFIXES
from peering.services.prefix_validation import parse_public_ipv4
from portal.forms import ArmNameField
from portal.validators import validate_arm_name

TABS = (
    ("basics", "Basics"),
    ("configuration", "Configuration"),
    ("prefixes", "Prefixes"),
    ("review", "Review + create"),
)


TAB_KEYS = tuple(key for key, _ in TABS)


TAB_LABELS = dict(TABS)


BASICS_FIELDS = ("subscription", "resource_group", "new_resource_group", "name", "region")


CONFIGURATION_FIELDS = ("country", "state", "provider", "primary_location", "backup_location")


MAIN_FIELDS = BASICS_FIELDS + CONFIGURATION_FIELDS


REFRESHING_FIELDS = {
    "basics": ("subscription", "resource_group", "new_resource_group"),
    "configuration": ("country", "provider"),
}


PREFIX_FIELDS = ("name", "prefix", "prefix_key")


# Row indices come from the client: three digits at most.
MAX_ROW_INDEX = 999


MAX_VALUE_LENGTH = 100


# Where a service error key lands on the form (the service says `location`, the form asks for
# the state/province that completes it).
SERVICE_TO_FORM = {"location": "state"}


def _clean_text(value: object) -> str:
    return str(value or "").strip()[:MAX_VALUE_LENGTH]


def values_from(data: QueryDict) -> dict[str, str]:
    """The main fields' values as typed (trimmed and bounded)."""
    return {field: _clean_text(data.get(field, "")) for field in MAIN_FIELDS}


def posted_values(data: QueryDict) -> dict[str, str]:
    """The main fields this POST carries (the current tab's), as typed."""
    return {field: _clean_text(data.get(field, "")) for field in MAIN_FIELDS if field in data}


def draft_values(stored: object) -> dict[str, str]:
    """A stored draft's main values (every field present, as strings)."""
    stored = stored if isinstance(stored, dict) else {}
    return {field: _clean_text(stored.get(field, "")) for field in MAIN_FIELDS}


def draft_rows(stored: object) -> list[tuple[int, dict[str, str]]]:
    """A stored draft's prefix rows, bounded as posted rows are."""
    rows: list[tuple[int, dict[str, str]]] = []
    for item in stored if isinstance(stored, list) else []:
        if not (isinstance(item, list) and len(item) == 2 and isinstance(item[1], dict)):
            continue
        index, row = item
        if isinstance(index, int) and 0 <= index <= MAX_ROW_INDEX and index not in dict(rows):
            rows.append((index, {f: _clean_text(row.get(f, "")) for f in PREFIX_FIELDS}))
    return rows[:MAX_PREFIXES_PER_REQUEST]


def service_input(values: dict[str, str], rows, *, provider, with_prefixes: bool):
    """The wizard's values as the contract's PeeringServiceInput: the provider (picked by id)
    by its name, the location as "State, Country"; the prefix rows only when asked (Review
    + create judges them without keys)."""
    new_group = values["new_resource_group"]
    location = f"{values['state']}, {values['country']}" if values["state"] else ""
    return PeeringServiceInput(
        name=values["name"],
        resource_group=new_group or values["resource_group"],
        create_resource_group=bool(new_group),
        location=values["region"] if new_group or not values["resource_group"] else "",
        peering_service_location=location if values["country"] else "",
        peering_service_provider=provider.name if provider is not None else "",
        provider_primary_peering_location=values["primary_location"],
        provider_backup_peering_location=values["backup_location"],
        prefixes=[
            PrefixInput(
                name=row["name"], prefix=row["prefix"], peering_service_prefix_key=row["prefix_key"]
            )
            for _, row in rows
        ]
        if with_prefixes
        else [],
    )


def row_indices(data: QueryDict) -> list[int]:
    """The prefix row indices the client sent, in order, de-duplicated. Every row is kept (up
    to the highest row index), so more than the service takes at once is refused with a
    message, never cut."""
    seen: list[int] = []
    for raw in data.getlist("prefix_index")[: MAX_ROW_INDEX + 1]:
        raw = raw.strip()
        if raw.isascii() and raw.isdigit() and len(raw) <= len(str(MAX_ROW_INDEX)):
            index = int(raw)
            if index not in seen:
                seen.append(index)
    return seen


def rows_from(data: QueryDict) -> list[tuple[int, dict[str, str]]]:
    """The prefix rows as typed: (client index, {name, prefix, prefix_key}). Every filled row
    is kept (too many are refused with a message, never cut); blank rows only up to the
    number the service takes at once, so forged indices cannot inflate the page."""
    rows = []
    for index in row_indices(data):
        row = {f: _clean_text(data.get(f"prefix-{index}-{f}", "")) for f in PREFIX_FIELDS}
        if not row_is_blank(row) or len(rows) < MAX_PREFIXES_PER_REQUEST:
            rows.append((index, row))
    return rows


def row_is_blank(row: dict[str, str]) -> bool:
    return not any(row.get(field) for field in PREFIX_FIELDS)


def tab_of(key: str) -> str:
    """The tab that holds the field an error is about."""
    if key in BASICS_FIELDS:
        return "basics"
    if key in CONFIGURATION_FIELDS:
        return "configuration"
    if key == "prefixes" or key.startswith("prefix-"):
        return "prefixes"
    return "review"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def value_for(key: str, values: dict[str, str], rows: list[tuple[int, dict[str, str]]]) -> str:
    """What an error's field holds now; an error is shown while this stays the same."""
    if key == "state":
        return f"{values.get('country', '')}\0{values.get('state', '')}"
    if key in values:
        return values[key]
    if key.startswith("prefix-"):
        _, index, field = key.split("-", 2)
        row = dict(rows).get(int(index)) if index.isdigit() else None
        return row.get(field, "") if row else "\0removed"
    if key == "prefixes":
        return "\0".join(f"{i}:{r['name']}:{r['prefix']}" for i, r in rows)
    return "\0".join(values.get(field, "") for field in MAIN_FIELDS)


class CheckResult:
    """The errors of the last check, each with a digest of the value it was about. Kept in the
    draft; the digests (not the values) keep typed keys out of it."""

    def __init__(self, errors: dict[str, list[str]] | None = None, digests=None, checked=False):
        self.errors = dict(errors or {})
        self.digests = dict(digests or {})
        self.checked = checked

    @classmethod
    def of(cls, errors: dict[str, list[str]], values, rows) -> CheckResult:
        digests = {key: _digest(value_for(key, values, rows)) for key in errors}
        return cls(errors, digests, checked=True)

    @classmethod
    def load(cls, stored: object) -> CheckResult:
        """From the draft (anything unexpected there counts as not checked)."""
        if not isinstance(stored, dict) or not stored:
            return cls()
        errors, digests = stored.get("e"), stored.get("d")
        if not isinstance(errors, dict) or not isinstance(digests, dict):
            return cls()
        return cls(errors, digests, checked=True)

    def dump(self) -> dict:
        """What the draft keeps."""
        if not self.checked:
            return {}
        return {"e": self.errors, "d": self.digests}

    def current(self, values, rows) -> dict[str, list[str]]:
        """The errors whose field still holds the value they were given for."""
        return {
            key: messages
            for key, messages in self.errors.items()
            if self.digests.get(key) == _digest(value_for(key, values, rows))
        }


def service_errors(exc: ValidationError, rows: list[tuple[int, dict]]) -> dict[str, list[str]]:
    """The service's error dict keyed by form field: `prefixes.<position>.<field>` becomes the
    row's `prefix-<index>-<field>`; anything without a field goes to `__all__`."""
    if not hasattr(exc, "error_dict"):
        return {"__all__": list(exc.messages)}
    result: dict[str, list[str]] = {}
    for key, errors in exc.message_dict.items():
        target = SERVICE_TO_FORM.get(key, key)
        if key.startswith("prefixes."):
            _, position, field = (key.split(".", 2) + ["", ""])[:3]
            if position.isdigit() and int(position) < len(rows) and field in PREFIX_FIELDS:
                target = f"prefix-{rows[int(position)][0]}-{field}"
            else:
                target = "prefixes"
        elif target not in MAIN_FIELDS and target != "prefixes":
            target = "__all__"
        result.setdefault(target, []).extend(errors)
    return result


def prefix_row_errors(rows: list[tuple[int, dict[str, str]]]) -> dict[str, list[str]]:
    """What can be said about prefix rows before Create without judging keys: the name, the
    prefix's format, a key present. The key itself is matched (and wrong keys counted) only by
    the service on Create."""
    errors: dict[str, list[str]] = {}
    names: set[str] = set()
    filled = [(index, row) for index, row in rows if not row_is_blank(row)]
    if len(filled) > MAX_PREFIXES_PER_REQUEST:
        errors["prefixes"] = [TOO_MANY_PREFIXES]
    for index, row in filled:
        try:
            validate_arm_name(row["name"])
        except ValidationError as exc:
            errors[f"prefix-{index}-name"] = exc.messages
        else:
            if row["name"].lower() in names:
                errors[f"prefix-{index}-name"] = [
                    f"A prefix named '{row['name']}' already exists here."
                ]
        names.add(row["name"].lower())
        network, problem = parse_public_ipv4(row["prefix"])
        if network is None:
            errors[f"prefix-{index}-prefix"] = [problem]
        if not row["prefix_key"]:
            errors[f"prefix-{index}-prefix_key"] = ["Enter the prefix key your provider gave you."]
    return errors


def _show_errors(form: forms.Form, errors: dict[str, list[str]]) -> None:
    """Put errors on an unbound form for display, marking the fields invalid."""
    form._errors = ErrorDict()
    for name, messages in errors.items():
        if name in form.fields:
            form._errors[name] = ErrorList(messages)
            widget = form.fields[name].widget
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()
            widget.attrs["aria-invalid"] = "true"


class PeeringServiceForm(PortalFormMixin, forms.Form):
    """Basics and Configuration of "Create a peering service connection". Never bound: it shows
    the values the view holds, with the choices that fit them, and the errors of the last check.
    """

    subscription = forms.ChoiceField(
        label="Subscription",
        help_text="Only subscriptions where you are Owner or Contributor are listed.",
    )
    resource_group = forms.ChoiceField(label="Resource group", required=False)
    # Labels and required marks as in Create a Peering (the template marks the required ones).
    new_resource_group = ArmNameField(
        label="or Create new",
        required=False,
        help_text="Type a name to create a new resource group with the Peering Service.",
        widget=forms.TextInput(attrs={"placeholder": "Name of a new resource group"}),
    )
    name = ArmNameField(
        label="Name",
        help_text="The Peering Service's name: letters, digits, _ . - (up to 63).",
    )
    region = forms.ChoiceField(label="Region", required=False)
    country = forms.ChoiceField(label="Country")
    state = forms.ChoiceField(label="State/Province")
    provider = forms.ChoiceField(label="Provider")
    primary_location = forms.ChoiceField(
        label="Provider primary peering location",
        help_text="The provider's peering location closest to you.",
    )
    backup_location = forms.ChoiceField(
        label="Provider backup peering location",
        required=False,
        help_text=(
            "The next closest location, used only if the primary location fails. None: "
            "failover goes over the internet, without geo-redundancy."
        ),
    )

    def __init__(
        self,
        *,
        values: dict[str, str],
        subscriptions,
        resource_groups,
        regions,
        countries,
        states,
        providers,
        provider_locations,
        errors: dict[str, list[str]] | None = None,
        focus: str = "",
    ):
        super().__init__(initial=values)
        self.fields["subscription"].choices = [
            (str(sub.pk), sub.display_name) for sub in subscriptions
        ]
        self.fields["resource_group"].choices = [("", "Select a resource group")] + [
            (group.name, group.name) for group in resource_groups
        ]
        self.fields["region"].choices = [("", "Select a region")] + [
            (region.name, region.display_name) for region in regions
        ]
        self.fields["country"].choices = [("", "Select a country")] + [
            (country, country) for country in countries
        ]
        self.fields["state"].choices = [
            ("", "Select a state/province" if states else "Select a country first")
        ] + [(state, state) for state in states]
        self.fields["provider"].choices = [("", "Select a provider")] + [
            (str(provider.pk), provider.name) for provider in providers
        ]
        pick = "Select a location" if provider_locations else "Select a provider first"
        self.fields["primary_location"].choices = [("", pick)] + [
            (name, name) for name in provider_locations
        ]
        self.fields["backup_location"].choices = [("", "None")] + [
            (name, name) for name in provider_locations
        ]
        self.fields["new_resource_group"].widget.attrs["autocomplete"] = "off"
        self.fields["name"].widget.attrs["autocomplete"] = "off"
        _show_errors(self, errors or {})
        if focus in self.fields:
            self.fields[focus].widget.attrs["autofocus"] = True

    def refresh_on_change(self, *, url: str, tab: str) -> None:
        """With htmx, a change of a field others depend on re-renders the tab (the subscription's
        resource groups, the group's region, the country's states, the provider's locations);
        without JavaScript the tab's "Update" button does the same."""
        for name in REFRESHING_FIELDS.get(tab, ()):
            self.fields[name].widget.attrs.update(
                {"hx-post": url, "hx-trigger": "change", "hx-vals": json.dumps({"goto": tab})}
            )


class PrefixRowForm(PortalFormMixin, forms.Form):
    """One prefix row: Name, Prefix and the Prefix key from the provider. The key is a normal
    text field (it is no secret from its owner) that browsers are asked not to remember."""

    name = ArmNameField(label="Name", required=False)
    prefix = typed_text("Prefix", 43, placeholder="a.b.c.d/len", spellcheck="false")
    prefix_key = typed_text(
        "Prefix key",
        64,
        autocomplete="off",
        spellcheck="false",
        placeholder="00000000-0000-0000-0000-000000000000",
    )

    def __init__(self, *, index: int, values: dict[str, str], errors=None, focus: str = ""):
        super().__init__(prefix=f"prefix-{index}", initial=values)
        self.index = index
        row_errors = {
            field: messages
            for field in PREFIX_FIELDS
            if (messages := (errors or {}).get(f"prefix-{index}-{field}"))
        }
        _show_errors(self, row_errors)
        for field in PREFIX_FIELDS:
            if focus == f"prefix-{index}-{field}":
                self.fields[field].widget.attrs["autofocus"] = True


class PrefixAddForm(PortalFormMixin, forms.Form):
    """ "+ Add prefix" on the Prefixes blade. Bound to the POST; the service decides."""

    name = ArmNameField(label="Name", required=False)
    prefix = typed_text(
        "Prefix",
        43,
        help_text="A public IPv4 prefix in CIDR notation (a.b.c.d/len).",
        spellcheck="false",
    )
    prefix_key = typed_text(
        "Prefix key",
        64,
        help_text="The key your provider gave you for this prefix or your ASN.",
        autocomplete="off",
        spellcheck="false",
    )

    def apply_service_errors(self, exc: ValidationError) -> None:
        """`prefixes.0.<field>` lands on the field; anything else above the form."""
        if not hasattr(exc, "error_dict"):
            for message in exc.messages:
                self.add_error(None, message)
            return
        for key, messages in exc.message_dict.items():
            field = key.rsplit(".", 1)[-1] if key.startswith("prefixes.") else None
            for message in messages:
                self.add_error(field if field in self.fields else None, message)


class DeleteConfirmForm(forms.Form):
    """Type "yes" to delete the whole Peering Service (the service checks it)."""

    confirm = forms.CharField(
        label='Type "yes" to confirm',
        required=False,
        max_length=10,
        widget=forms.TextInput(attrs={"autocomplete": "off", "class": "form-control"}),
    )
