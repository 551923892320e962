"""The forms of the admin's intermediate pages: a note, a reason, BGP session states, session
addresses. They parse what the operator typed; the services in `peering.services.lifecycle`
decide."""

from django import forms
from django.core.exceptions import ValidationError

from peering.enums import SessionState


class NoteForm(forms.Form):
    note = forms.CharField(
        label="Note", widget=forms.Textarea(attrs={"rows": 4, "cols": 80}), max_length=2000
    )

    def __init__(self, *args, required: bool = True, help_text: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["note"].required = required
        self.fields["note"].help_text = help_text


class ReasonForm(forms.Form):
    """The reason an operator gives on an intermediate page (reject a Peer ASN, decline a
    deprovisioning request); `help_text` says who reads it. Its length and characters are the
    deciding service's to check."""

    reason = forms.CharField(label="Reason", widget=forms.Textarea(attrs={"rows": 4, "cols": 80}))

    def __init__(self, *args, help_text: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].help_text = help_text


SESSION_CHOICES = [("", "Leave unchanged"), *SessionState.choices]


class SessionStateForm(forms.Form):
    state_v4 = forms.ChoiceField(
        label="IPv4 session state", choices=SESSION_CHOICES, required=False
    )
    state_v6 = forms.ChoiceField(
        label="IPv6 session state", choices=SESSION_CHOICES, required=False
    )

    def clean(self):
        cleaned = super().clean()
        if not (cleaned.get("state_v4") or cleaned.get("state_v6")):
            raise ValidationError("Choose a state for the IPv4 session, the IPv6 session or both.")
        return cleaned


class AllocateForm(forms.Form):
    POOL, TYPED = "pool", "typed"
    source = forms.ChoiceField(
        label="Addresses",
        choices=[
            (POOL, "Next free /31 and /127 from the facility's pool"),
            (TYPED, "The prefixes typed below"),
        ],
        initial=POOL,
        widget=forms.RadioSelect,
    )
    session_prefix_v4 = forms.CharField(
        label="Session IPv4 prefix",
        required=False,
        max_length=18,
        help_text="A /31 (or /30), e.g. 203.0.113.8/31. The first address is the peer's.",
    )
    session_prefix_v6 = forms.CharField(
        label="Session IPv6 prefix",
        required=False,
        max_length=43,
        help_text=(
            "A /127 (or /126), e.g. 2001:db8:8075::8/127. Left empty, IPv6 comes from the pool "
            "if the facility has an IPv6 pool."
        ),
    )

    def __init__(self, *args, count: int = 1, **kwargs):
        super().__init__(*args, **kwargs)
        self.count = count

    def clean(self):
        cleaned = super().clean()
        typed = [f for f in ("session_prefix_v4", "session_prefix_v6") if cleaned.get(f)]
        if cleaned.get("source") == self.POOL:
            for field in typed:
                self.add_error(field, "Clear this prefix, or choose “The prefixes typed below”.")
        elif cleaned.get("source") == self.TYPED:
            if not typed:
                self.add_error("session_prefix_v4", "Type the session prefix to allocate.")
            if self.count > 1:
                raise ValidationError(
                    "Typed prefixes are for one connection at a time: select one connection, "
                    "or allocate from the pool."
                )
        return cleaned
