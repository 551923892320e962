"""Forms of the Peer ASN blades: the list filter, Associate a Peer ASN and its contact rows.

A form checks only what a browser can get wrong on its own (required, length, control characters);
every domain rule lives in `peering.services.peer_asns`.
"""

from django import forms
from django.http import QueryDict

from peering.enums import ContactRole, ValidationState
from peering.forms.common import PortalFormMixin
from peering.services.peer_asns import MAX_CONTACTS
from portal.forms import ArmNameField, SearchField

# Row indices come from the client; keep them small so a forged form cannot make us loop.
MAX_CONTACT_INDEX = 999


class PeerAsnListFilterForm(PortalFormMixin, forms.Form):
    """Filter box and sort order of the Peer ASN list (GET)."""

    SORTS = {
        "name": "name",
        "asn": "peer_asn",
        "peer_name": "peer_name",
        "state": "validation_state",
        "subscription": "subscription__display_name",
        "contacts": "contact_count",
        "peerings": "peering_count",
    }

    q = SearchField(
        label="Filter by name, ASN or peer name",
        placeholder="Filter by name, ASN…",
        max_length=100,
    )
    state = forms.ChoiceField(
        label="Validation state",
        required=False,
        choices=[("", "All validation states"), *ValidationState.choices],
    )
    sort = forms.CharField(required=False, max_length=20, widget=forms.HiddenInput)

    def clean_sort(self) -> str:
        sort = self.cleaned_data["sort"]
        return sort if sort.lstrip("-") in self.SORTS else ""

    def ordering(self) -> list[str]:
        """ORDER BY for the chosen column, with the name as a stable tie-breaker."""
        sort = self.cleaned_data.get("sort", "") if self.is_valid() else ""
        if not sort:
            return ["subscription__display_name", "name", "pk"]
        column = self.SORTS[sort.lstrip("-")]
        prefix = "-" if sort.startswith("-") else ""
        return [f"{prefix}{column}", "name", "pk"]


class PeerAsnForm(PortalFormMixin, forms.Form):
    """Associate a Peer ASN: Project details and Instance details (the contacts are rows)."""

    name = ArmNameField(
        label="Name",
        help_text="The resource name: letters, digits, _ . - (up to 63).",
    )
    subscription = forms.ChoiceField(label="Subscription")
    peer_name = forms.CharField(
        label="Peer name",
        max_length=100,
        help_text="Your company name, as close as possible to your PeeringDB record.",
    )
    peer_asn = forms.CharField(
        label="Peer ASN",
        max_length=12,
        help_text="Your network's public ASN, e.g. 37100 or AS37100.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args, subscriptions, **kwargs):
        super().__init__(*args, **kwargs)
        self.subscriptions = {str(sub.pk): sub for sub in subscriptions}
        self.fields["subscription"].choices = [
            (pk, f"{sub.display_name} ({pk})") for pk, sub in self.subscriptions.items()
        ]
        self.fields["subscription"].error_messages["invalid_choice"] = (
            "Select one of your subscriptions where you are Owner or Contributor."
        )

    def chosen_subscription(self):
        return self.subscriptions.get(self.cleaned_data.get("subscription", ""))


class ContactRowForm(PortalFormMixin, forms.Form):
    """One row of the Contact grid. Blank rows are allowed; the service skips them."""

    role = forms.ChoiceField(label="Role", required=False, choices=ContactRole.choices)
    email = forms.CharField(
        label="Email",
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    phone = forms.CharField(
        label="Phone",
        required=False,
        max_length=32,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )


class ContactGrid:
    """The Contact grid: rows keyed by a client-side index that survives add and remove.

    The page posts `contact_index` once per row (in display order) and `contact-<i>-role`,
    `contact-<i>-email`, `contact-<i>-phone`. Indices need not be contiguous, so a row can be
    appended by htmx without renumbering the others.
    """

    def __init__(self, rows: list[tuple[int, ContactRowForm]], errors: list[str] | None = None):
        self.rows = rows
        self.errors: list[str] = list(errors or [])

    @staticmethod
    def row_form(index: int, data: QueryDict | None = None, initial=None) -> ContactRowForm:
        return ContactRowForm(data, prefix=f"contact-{index}", initial=initial)

    @classmethod
    def initial(cls) -> "ContactGrid":
        """A new form starts with one NOC row."""
        return cls([(0, cls.row_form(0, initial={"role": ContactRole.NOC}))])

    @staticmethod
    def indices(data: QueryDict) -> list[int]:
        """The row indices the client sent, in order, de-duplicated and bounded."""
        seen: list[int] = []
        for raw in data.getlist("contact_index")[: MAX_CONTACT_INDEX + 1]:
            raw = raw.strip()
            if raw.isascii() and raw.isdigit() and len(raw) <= 3:
                index = int(raw)
                if index not in seen:
                    seen.append(index)
        return seen

    @classmethod
    def next_index(cls, data: QueryDict) -> int:
        indices = cls.indices(data)
        return min(max(indices, default=-1) + 1, MAX_CONTACT_INDEX)

    @classmethod
    def from_post(
        cls, data: QueryDict, *, bind: bool, add: bool = False, remove: str | None = None
    ) -> "ContactGrid":
        """Rebuild the grid from a submission, optionally adding an empty row or removing one.

        Bound rows are validated; unbound ones (add/remove) only re-display what was typed."""
        indices = cls.indices(data)
        errors: list[str] = []
        if remove is not None:
            remove = remove.strip()
            if remove.isascii() and remove.isdigit() and int(remove) in indices:
                indices.remove(int(remove))
        if len(indices) > MAX_CONTACTS:
            indices = indices[:MAX_CONTACTS]
            errors.append(f"Add at most {MAX_CONTACTS} contacts.")
        if bind:
            rows = [(index, cls.row_form(index, data)) for index in indices]
        else:
            rows = [
                (
                    index,
                    cls.row_form(
                        index,
                        initial={
                            field: data.get(f"contact-{index}-{field}", "")
                            for field in ContactRowForm.base_fields
                        },
                    ),
                )
                for index in indices
            ]
        if add:
            if len(rows) >= MAX_CONTACTS:
                errors.append(f"Add at most {MAX_CONTACTS} contacts.")
            else:
                index = cls.next_index(data)
                if any(existing == index for existing, _ in rows):
                    index = max(i for i, _ in rows) + 1
                rows.append((index, cls.row_form(index, initial={"role": ContactRole.NOC})))
        return cls(rows, errors)

    def is_valid(self) -> bool:
        """Run each bound row's own checks (lengths, control characters)."""
        valid = True
        for _, form in self.rows:
            if form.is_bound and not form.is_valid():
                valid = False
        return valid and not self.errors

    def values(self) -> list[dict[str, str]]:
        """The rows as the service takes them, in display order."""
        return [
            {
                "role": form.cleaned_data.get("role", ""),
                "email": form.cleaned_data.get("email", ""),
                "phone": form.cleaned_data.get("phone", ""),
            }
            for _, form in self.rows
        ]

    def add_error(self, position: int, field: str, messages: list[str]) -> bool:
        """Put a service error `contacts.<position>.<field>` on its row; False if no such row."""
        if not 0 <= position < len(self.rows):
            return False
        form = self.rows[position][1]
        form.add_error(field if field in form.fields else None, messages)
        return True
