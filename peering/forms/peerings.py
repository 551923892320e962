"""Forms of the peering blades: list filters and sorting, Tags, Deprovision."""

from __future__ import annotations

from dataclasses import dataclass, field

from django import forms
from django.core.exceptions import ValidationError

from peering.enums import ConnectionState, DirectPeeringType, Kind
from peering.forms.common import PortalFormMixin, errors_of, typed_text
from peering.selectors.peerings import PEERING_SORTS
from peering.services.connections import MAX_TAGS


class PeeringListFilterForm(PortalFormMixin, forms.Form):
    """Filters of the peering list (GET): resource group and kind."""

    resource_group = forms.ChoiceField(label="Resource group", required=False)
    kind = forms.ChoiceField(
        label="Kind", required=False, choices=[("", "All kinds"), *Kind.choices]
    )

    def __init__(self, *args, resource_group_names: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["resource_group"].choices = [
            ("", "All resource groups"),
            *((name, name) for name in resource_group_names),
        ]


# Row indices come from the client; keep them small so a forged form cannot make us loop.
MAX_TAG_INDEX = 999


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
        errors: list[str] = []
        raw_indices = data.getlist("tag_index")
        if len(raw_indices) > MAX_TAGS + 5:
            errors.append(f"Too many tag rows were sent; a resource has at most {MAX_TAGS} tags.")
        for raw in raw_indices[: MAX_TAGS + 5]:
            valid = raw.isascii() and raw.isdigit() and int(raw) <= MAX_TAG_INDEX
            # A row that cannot be read is an error, never a row dropped (saving the rest
            # would delete the tags it carried).
            if not valid or (f"tag-{raw}-name" not in data and f"tag-{raw}-value" not in data):
                errors.append(f"Tag row '{raw[:20]}' could not be read; reload the page.")
            elif int(raw) not in indices:
                indices.append(int(raw))
        rows = [
            TagRow(i, data.get(f"tag-{i}-name", "")[:600], data.get(f"tag-{i}-value", "")[:600])
            for i in indices
        ]
        if remove is not None:
            rows = [row for row in rows if str(row.index) != remove]
        if add or not rows or not rows[-1].is_blank:
            rows.append(TagRow(max((r.index for r in rows), default=-1) + 1))
        return cls(rows, errors)

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


class DeprovisionForm(PortalFormMixin, forms.Form):
    """Request deprovisioning: the reason, and the customers' confirmation when needed."""

    reason = typed_text(
        "Reason",
        2000,
        help_text="Microsoft's peering team reads this with the request.",
        strip=False,
        widget=forms.Textarea,
        rows="3",
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
