"""Forms of the portal shell: resource group create and the list filters.

Forms only parse and check the shape of input; the rules (unique names, roles) live in
`portal.services`, whose ValidationError the views attach to these forms' fields.
"""

from datetime import timedelta

from django import forms
from django.db.models import QuerySet

from portal.models import ActivityStatus, AzureRegion, Subscription
from portal.validators import ARM_NAME_MESSAGE, validate_arm_name

ARM_NAME_MAX_LENGTH = 63


class ArmNameField(forms.CharField):
    """A resource name, at most 63 characters (ARM). The input gets no `maxlength`: a browser
    would cut a pasted name without a word. It gets `data-name-limit` instead, which the live
    counter reads (static/js/portal.js), and the server refuses a longer name with a message
    next to the field, the typed value shown again — with or without JavaScript."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", ARM_NAME_MAX_LENGTH)
        super().__init__(**kwargs)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        if attrs.pop("maxlength", None) is not None:
            attrs["data-name-limit"] = str(self.max_length)
        return attrs


class SubscriptionChoiceField(forms.ModelChoiceField):
    """Subscriptions shown as the Azure portal does: display name, then the GUID."""

    def label_from_instance(self, obj: Subscription) -> str:
        return f"{obj.display_name} ({obj.pk})"


class ResourceGroupCreateForm(forms.Form):
    """Basics of a new resource group: Subscription, Resource group name, Region."""

    subscription = SubscriptionChoiceField(
        queryset=Subscription.objects.none(),
        empty_label="Select a subscription",
        help_text="All resources in a subscription are billed and secured together.",
    )
    name = ArmNameField(
        label="Resource group",
        validators=[validate_arm_name],
        error_messages={"max_length": ARM_NAME_MESSAGE},
        help_text="1–63 letters, digits, underscores, periods and hyphens.",
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )
    region = forms.ModelChoiceField(
        queryset=AzureRegion.objects.all(),
        empty_label="Select a region",
        help_text="Where the resource group's metadata is stored.",
    )

    def __init__(self, *args, subscriptions: QuerySet[Subscription], **kwargs):
        super().__init__(*args, **kwargs)
        # Only subscriptions the caller may write to are offered; the view passes them from
        # `writable_subscriptions_for_user`, so a forged id is simply not a valid choice.
        self.fields["subscription"].queryset = subscriptions


SORT_CHOICES = [
    ("name", "Name"),
    ("-name", "Name (descending)"),
    ("subscription", "Subscription"),
    ("-subscription", "Subscription (descending)"),
    ("location", "Location"),
    ("-location", "Location (descending)"),
]


class SearchField(forms.CharField):
    """A list filter's free-text box: optional, at most `max_length` characters, an
    `<input type="search">` with a placeholder (and any other `attrs`)."""

    def __init__(self, *, label: str, placeholder: str, max_length: int, **attrs: str):
        super().__init__(
            label=label,
            required=False,
            max_length=max_length,
            widget=forms.TextInput(attrs={"type": "search", "placeholder": placeholder, **attrs}),
        )


class ResourceGroupFilterForm(forms.Form):
    """The filter box and sort order of the resource group list (a plain GET form)."""

    q = SearchField(
        label="Filter by name",
        placeholder="Filter for any field…",
        max_length=63,
        autocomplete="off",
    )
    sort = forms.ChoiceField(choices=SORT_CHOICES, required=False)

    def cleaned_or_default(self) -> dict:
        """Values to filter by; a malformed field is dropped rather than answered with 500."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {"q": (data.get("q") or "").strip(), "sort": data.get("sort") or "name"}


TIMESPANS: dict[str, tuple[str, timedelta | None]] = {
    "1h": ("Last 1 hour", timedelta(hours=1)),
    "24h": ("Last 24 hours", timedelta(hours=24)),
    "7d": ("Last 7 days", timedelta(days=7)),
    "30d": ("Last 30 days", timedelta(days=30)),
    "all": ("All", None),
}
DEFAULT_TIMESPAN = "7d"


class ActivityFilterForm(forms.Form):
    """Filters of the activity log, as in the Azure portal: Timespan, Status, free text."""

    timespan = forms.ChoiceField(
        label="Timespan",
        choices=[(key, label) for key, (label, _delta) in TIMESPANS.items()],
        required=False,
    )
    status = forms.ChoiceField(
        label="Status",
        choices=[("", "All")] + list(ActivityStatus.choices),
        required=False,
    )
    operation = SearchField(label="Operation", placeholder="Operation name", max_length=120)
    resource = SearchField(label="Resource", placeholder="Resource id contains", max_length=512)

    def __init__(self, data=None, *args, **kwargs):
        # The Azure portal opens the log on "Last 7 days": make that the bound default, so the
        # select shows it and the query uses it even before the user touches the form.
        if data is not None and not data.get("timespan"):
            data = data.copy()
            data["timespan"] = DEFAULT_TIMESPAN
        super().__init__(data, *args, **kwargs)

    def cleaned_or_default(self) -> dict:
        """Values to filter by; a malformed field is dropped rather than answered with 500."""
        self.is_valid()
        data = getattr(self, "cleaned_data", {})
        return {
            "timespan": data.get("timespan") or DEFAULT_TIMESPAN,
            "status": data.get("status") or "",
            "operation": (data.get("operation") or "").strip(),
            "resource": (data.get("resource") or "").strip(),
        }
