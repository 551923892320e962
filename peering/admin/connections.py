"""The provisioning console: the queue of connections awaiting Microsoft, one action per
operator move of the state table (`peering.admin.moves`), session states, address allocation and
received-route upload. Its filters are in `peering.admin.filters`, the intermediate pages' forms
in `peering.admin.forms`."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import ActionLocation
from django.contrib.humanize.templatetags.humanize import naturaltime
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import DataError
from django.db.models import Count, Max
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html

from peering.admin.common import (
    IntermediatePageMixin,
    PeeringLinkMixin,
    ReadOnlyInline,
    ReadOnlyModelAdmin,
    _connection_label,
    _level,
    _plural,
    _refusal_text,
    act_on_each,
    operator_action,
)
from peering.admin.filters import MetroFilter, WaitingOnFilter
from peering.admin.forms import AllocateForm, NoteForm, SessionStateForm
from peering.admin.moves import MOVES, MOVES_BY_NAME, Move  # noqa: F401 (the actions by name)
from peering.enums import (
    ConnectionState,
    SessionAddressProvider,
)
from peering.models import (
    Actor,
    ConnectionTransition,
    PeeringConnection,
)
from peering.services.lifecycle import (
    MILESTONES,
    NEXT_STEPS,
    connection_allocate_addresses,
    connection_transition,
    session_state_set,
)
from peering.services.routes import received_routes_import_lines

MAX_ROUTES_UPLOAD_BYTES = 20 * 1024 * 1024
#: Rejected lines named in the message after an upload (all are counted).
MAX_SHOWN_REJECTED = 20


class ReceivedRoutesForm(forms.Form):
    """The routes Microsoft receives on one connection: a JSON-lines file, or pasted lines."""

    file = forms.FileField(
        label="Routes file",
        required=False,
        allow_empty_file=True,  # an empty file withdraws every route of the connection
        help_text=(
            "JSON lines (UTF-8), one route per line, at most 20 MB; see docs/received-routes.md. "
            "An empty file withdraws every route of the connection."
        ),
    )
    text = forms.CharField(
        label="Or paste the routes",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 8, "cols": 100, "spellcheck": "false"}),
        help_text=(
            'For a few routes, e.g. {"prefix": "45.60.10.0/24", "next_hop": "206.81.80.40", '
            '"as_path": "59999 65010", "communities": ["8075:8007"]}. Larger sets: upload a file.'
        ),
    )

    strict = forms.BooleanField(
        label="All or nothing",
        required=False,
        help_text="Import nothing if any line is wrong (default: reject the wrong lines, each "
        "reported with its number and reason, and import the rest).",
    )

    def clean_file(self):
        upload = self.cleaned_data.get("file")
        if not upload:
            return None
        if upload.size > MAX_ROUTES_UPLOAD_BYTES:
            raise ValidationError(
                f"The file is {upload.size / 1024 / 1024:.1f} MB; at most "
                f"{MAX_ROUTES_UPLOAD_BYTES // 1024 // 1024} MB can be uploaded."
            )
        data = upload.read()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise ValidationError(
                f"Line {line}: the file is not UTF-8 text (byte {exc.start + 1} cannot be read)."
            ) from None
        if "\x00" in text:
            raise ValidationError("The file is not text: it holds NUL characters.")
        return text

    def clean_text(self):
        text = self.cleaned_data.get("text", "")
        if "\x00" in text:
            raise ValidationError("The routes hold NUL characters.")
        return text

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        from_file, pasted = cleaned.get("file"), cleaned.get("text", "")
        if from_file is not None and pasted.strip():
            raise ValidationError("Upload a file or paste routes, not both.")
        if from_file is None and not pasted.strip():
            raise ValidationError(
                "Choose a file, or paste the routes. (To withdraw every route of the "
                "connection, upload an empty file.)"
            )
        cleaned["routes_field"] = "file" if from_file is not None else "text"
        cleaned["routes_text"] = from_file if from_file is not None else pasted
        return cleaned


class ConnectionTransitionInline(ReadOnlyInline):
    """The connection's timeline: every state change, who made it, and the note."""

    model = ConnectionTransition
    fields = ["created_at", "from_state", "to_state", "actor", "user", "note"]
    ordering = ["created_at", "id"]
    verbose_name = "state change"
    verbose_name_plural = "timeline"

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user")


def _transition_action(move: Move):
    def action(modeladmin, request, queryset):
        return modeladmin.run_move(request, queryset, move)

    action.__name__ = move.name
    plural = move.description.removesuffix("…")
    return operator_action(
        "operate", move.description, f"{plural} (selected connections){'…' if move.note else ''}"
    )(action)


def _next_step_text(connection: PeeringConnection, *, short: bool) -> str:
    """Who acts next on the connection and what they do: short in the list (who and the usual
    wait, the step as the tooltip), whole on the connection's page."""
    step = NEXT_STEPS.get(connection.connection_state)
    if step is None or step.actor is None:
        return "—" if short else "Nobody: traffic flows."
    who = Actor(step.actor).label
    if short:
        wait = f", usually {step.usual_wait}" if step.usual_wait else ""
        return format_html('<span title="{}">{}{}</span>', step.action, who, wait)
    wait = f" (usually {step.usual_wait})" if step.usual_wait else ""
    return f"{who}: {step.action}{wait}"


@admin.register(PeeringConnection)
class PeeringConnectionAdmin(PeeringLinkMixin, IntermediatePageMixin, ReadOnlyModelAdmin):
    """The operators' queue (connections waiting on Microsoft, oldest first) and their moves.

    Every field is read-only: the connection changes only through the actions, which call
    `connection_transition`, `session_state_set` and `connection_allocate_addresses` (the
    services lock the row, check the move against the state table, record the timeline and
    the Activity log and notify the peer).
    """

    list_display = [
        "place",
        "peering_link",
        "subscription",
        "connection_state",
        "ipv4_session",
        "ipv6_session",
        "addresses_by",
        "waiting_since",
        "next_step",
    ]
    list_display_links = ["place"]
    list_filter = [
        WaitingOnFilter,
        "connection_state",
        "peering__kind",
        MetroFilter,
        "session_address_provider",
        "use_for_peering_service",
    ]
    search_fields = [
        "=connection_identifier",
        "microsoft_tracking_id",
        "peering__name",
        "peering__subscription__display_name",
        "peer_session_ipv4_address",
        "peer_session_ipv6_address",
    ]
    list_select_related = [
        "peering__subscription",
        "direct_facility__location",
        "exchange__location",
    ]
    ordering = ["updated_at", "id"]
    inlines = [ConnectionTransitionInline]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "peering",
                    "connection_identifier",
                    "microsoft_tracking_id",
                    "direct_facility",
                    "exchange",
                    "session_address_provider",
                    "bandwidth_mbps",
                    "provisioned_bandwidth_mbps",
                    "use_for_peering_service",
                    "is_legacy",
                ]
            },
        ),
        (
            "State",
            {
                "description": (
                    "Move the connection with the actions above; the peer's contacts are "
                    "emailed at each milestone."
                ),
                "fields": [
                    "connection_state",
                    "error_message",
                    "next_step_detail",
                    "microsoft_moves",
                ],
            },
        ),
        (
            "IPv4 session",
            {
                "fields": [
                    "session_prefix_v4",
                    "peer_session_ipv4_address",
                    "microsoft_session_ipv4_address",
                    "session_state_v4",
                    "max_prefixes_advertised_v4",
                ]
            },
        ),
        (
            "IPv6 session",
            {
                "fields": [
                    "session_prefix_v6",
                    "peer_session_ipv6_address",
                    "microsoft_session_ipv6_address",
                    "session_state_v6",
                    "max_prefixes_advertised_v6",
                ]
            },
        ),
        (
            "Received routes",
            {
                "description": "Replace them with the “Upload received routes…” action above.",
                "fields": ["received_routes_summary"],
            },
        ),
        ("History", {"fields": ["created_at", "updated_at"]}),
    ]
    actions = [
        *(_transition_action(move) for move in MOVES),
        "set_ipv4_established",
        "set_ipv6_established",
        "set_session_state",
        "allocate_addresses",
        "upload_received_routes",
    ]

    QUEUE_TITLES = {
        "microsoft": "Connections awaiting Microsoft (oldest first)",
        "peer": "Connections awaiting the peer",
        "nobody": "Active connections",
        "all": "All connections",
    }

    def changelist_view(self, request, extra_context=None):
        waiting = request.GET.get(WaitingOnFilter.parameter_name, WaitingOnFilter.DEFAULT)
        title = self.QUEUE_TITLES.get(waiting, "Peering connections")
        return super().changelist_view(request, {"title": title, **(extra_context or {})})

    def has_operate_permission(self, request, obj=None):
        """Who may move connections: staff holding the model's change permission."""
        return request.user.is_staff and request.user.has_perm("peering.change_peeringconnection")

    def get_action_choices(
        self, request, default_choices=None, action_location=ActionLocation.CHANGE_LIST
    ):
        """On a connection's page, offer only the moves its current state allows. (A POST keeps
        every choice: the service decides, and says why if the state has changed.)"""
        choices = super().get_action_choices(
            request, default_choices=default_choices, action_location=action_location
        )
        if action_location != ActionLocation.CHANGE_FORM or request.method != "GET":
            return choices
        object_id = str((request.resolver_match.kwargs or {}).get("object_id", ""))
        if not object_id.isdigit():
            return choices
        row = (
            self.get_queryset(request)
            .filter(pk=int(object_id))
            .values_list("connection_state", "session_address_provider")
            .first()
        )
        if row is None:
            return choices
        state, provider = row
        hidden = {move.name for move in MOVES if not move.offered_from(state)}
        if provider != SessionAddressProvider.MICROSOFT or state == ConnectionState.PENDING_REMOVE:
            hidden.add("allocate_addresses")
        return [choice for choice in choices if choice[0] not in hidden]

    # --- list columns ---

    @admin.display(description="Facility / exchange")
    def place(self, obj):
        place = obj.direct_facility or obj.exchange
        if place is None:
            return "—"
        return f"{place.name} ({place.location.name})"

    @admin.display(description="IPv4 session", ordering="session_state_v4")
    def ipv4_session(self, obj):
        return obj.session_state_v4

    @admin.display(description="IPv6 session", ordering="session_state_v6")
    def ipv6_session(self, obj):
        return obj.session_state_v6

    @admin.display(description="Addresses by", ordering="session_address_provider")
    def addresses_by(self, obj):
        return obj.session_address_provider or "—"

    @admin.display(description="Waiting since", ordering="updated_at")
    def waiting_since(self, obj):
        return format_html(
            '<time datetime="{}" title="{}">{}</time>',
            obj.updated_at.isoformat(),
            date_format(timezone.localtime(obj.updated_at), "DATETIME_FORMAT"),
            naturaltime(obj.updated_at),
        )

    @admin.display(description="Next step")
    def next_step(self, obj):
        return _next_step_text(obj, short=True)

    @admin.display(description="Next step")
    def next_step_detail(self, obj):
        return _next_step_text(obj, short=False)

    @admin.display(description="Microsoft's possible moves")
    def microsoft_moves(self, obj):
        names = [move.description for move in MOVES if move.offered_from(obj.connection_state)]
        return ", ".join(names) or "None: the peer acts next, or the connection is being removed."

    # --- state moves ---

    def _apply_seen_states(self, request, connections) -> None:
        """On a confirmation page's POST, compare with the states the operator saw there."""
        for connection in connections:
            seen = request.POST.get(f"seen-{connection.pk}")
            if seen in ConnectionState.values:
                connection.connection_state = seen

    def run_move(self, request, queryset, move: Move):
        connections = list(
            queryset.select_related("peering", "direct_facility", "exchange").order_by("pk")
        )
        form = None
        note = ""
        if move.note:
            form = NoteForm(
                request.POST if "post" in request.POST else None,
                required=move.note == "required",
                help_text=move.note_help,
            )
            if not form.is_valid():
                return self._move_page(request, connections, move, form)
            note = form.cleaned_data["note"]
            self._apply_seen_states(request, connections)

        def move_one(connection):
            refusal = move.refusal(connection.connection_state)
            if refusal:
                raise ValidationError(refusal)
            connection_transition(
                connection=connection,
                to_state=move.to_state,
                user=request.user,
                actor=Actor.OPERATOR,
                note=note,
            )

        told = " The peer's contacts will be emailed." if move.to_state in MILESTONES else ""
        if not act_on_each(
            self,
            request,
            connections,
            move_one,
            name=_connection_label,
            noun="connection",
            refused=f"{{name}} was not moved to {move.to_state}",
            done=f"Moved {{count}} to {move.to_state}: {{names}}.{told}",
            form=form,
            field="note",
        ):
            return self._move_page(request, connections, move, form)
        return None

    def _move_page(self, request, connections, move: Move, form):
        if move.is_type_change_reject:
            intro = (
                "The type change requests of the selected connections will be rejected: they go "
                "back to Active, and the note is shown to the peer and emailed to its contacts."
            )
        else:
            intro = (
                f"The selected connections will move to {move.to_state}. The note is recorded "
                "in each connection's timeline and the Activity log, and the peer is told."
            )
        return self._action_page(
            request,
            action_name=move.name,
            title=move.description.removesuffix("…"),
            intro=intro,
            objects=connections,
            columns={
                "Connection": _connection_label,
                "Subscription": lambda c: c.peering.subscription.display_name,
                "Connection state": lambda c: c.connection_state,
                "Allowed": lambda c: (
                    "yes"
                    if move.offered_from(c.connection_state)
                    else f"no: {move.refusal(c.connection_state) or 'not from this state'}"
                ),
            },
            seen=lambda c: c.connection_state,
            form=form,
            submit_label=f"{move.description.removesuffix('…')} "
            f"({_plural(len(connections), 'connection')})",
        )

    # --- session states ---

    def _set_sessions(self, request, connections, states: dict[int, str]) -> None:
        done = []
        for connection in connections:
            label = _connection_label(connection)
            for family, state in states.items():
                try:
                    session_state_set(
                        connection=connection, family=family, state=state, operator=request.user
                    )
                except (ValidationError, PermissionDenied) as exc:
                    self.message_user(
                        request,
                        f"{label}: the IPv{family} session was not set to {state}: "
                        f"{_refusal_text(exc)}",
                        _level(exc),
                    )
                else:
                    done.append(f"{label} IPv{family} {state}")
        if done:
            self.message_user(request, f"Session states set: {'; '.join(done)}.", messages.SUCCESS)

    def _selected_connections(self, queryset):
        return list(
            queryset.select_related(
                "peering__subscription", "direct_facility__address_pool", "exchange"
            ).order_by("pk")
        )

    @operator_action(
        "operate",
        "Set IPv4 session Established",
        "Set IPv4 session Established (selected connections)",
    )
    def set_ipv4_established(self, request, queryset):
        self._set_sessions(request, self._selected_connections(queryset), {4: "Established"})

    @operator_action(
        "operate",
        "Set IPv6 session Established",
        "Set IPv6 session Established (selected connections)",
    )
    def set_ipv6_established(self, request, queryset):
        self._set_sessions(request, self._selected_connections(queryset), {6: "Established"})

    @operator_action("operate", "Set session states…", "Set session states (selected connections)…")
    def set_session_state(self, request, queryset):
        connections = self._selected_connections(queryset)
        form = SessionStateForm(request.POST if "post" in request.POST else None)
        if form.is_valid():
            states = {
                family: form.cleaned_data[f"state_v{family}"]
                for family in (4, 6)
                if form.cleaned_data[f"state_v{family}"]
            }
            self._set_sessions(request, connections, states)
            return None
        return self._action_page(
            request,
            action_name="set_session_state",
            title="Set BGP session states",
            intro="Record the BGP state of each address family's session, as seen on "
            "Microsoft's routers. The peer sees it in the Connections grid.",
            objects=connections,
            columns={
                "Connection": _connection_label,
                "Connection state": lambda c: c.connection_state,
                "IPv4 session": lambda c: (
                    c.session_state_v4 if c.session_prefix_v4 else "— (no IPv4 session)"
                ),
                "IPv6 session": lambda c: (
                    c.session_state_v6 if c.session_prefix_v6 else "— (no IPv6 session)"
                ),
            },
            form=form,
            submit_label="Set session states",
        )

    # --- session addresses ---

    @operator_action(
        "operate",
        "Allocate session addresses…",
        "Allocate session addresses (selected connections)…",
    )
    def allocate_addresses(self, request, queryset):
        connections = self._selected_connections(queryset)
        form = AllocateForm(
            request.POST if "post" in request.POST else None, count=len(connections)
        )
        if form.is_valid():
            typed = form.cleaned_data["source"] == AllocateForm.TYPED
            prefixes = {
                field: form.cleaned_data[field] if typed else ""
                for field in ("session_prefix_v4", "session_prefix_v6")
            }
            done, failures = [], []
            for connection in connections:
                try:
                    allocated = connection_allocate_addresses(
                        connection=connection, operator=request.user, **prefixes
                    )
                except (ValidationError, PermissionDenied) as exc:
                    failures.append((connection, exc))
                else:
                    done.append(allocated)
            if done or not failures:
                for connection, exc in failures:
                    self.message_user(
                        request,
                        f"{_connection_label(connection)}: no addresses allocated: "
                        f"{_refusal_text(exc)}",
                        _level(exc),
                    )
                if done:
                    summary = "; ".join(
                        f"{_connection_label(c)}: "
                        + ", ".join(p for p in (c.session_prefix_v4, c.session_prefix_v6) if p)
                        for c in done
                    )
                    self.message_user(
                        request,
                        f"Allocated session addresses for {_plural(len(done), 'connection')}: "
                        f"{summary}. The peer's contacts will be emailed.",
                        messages.SUCCESS,
                    )
                return None
            # Nothing was allocated: show why next to the fields.
            many = len(connections) > 1
            for connection, exc in failures:
                prefix = f"{_connection_label(connection)}: " if many else ""
                if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
                    for field, errors in exc.message_dict.items():
                        target = field if field in form.fields else None
                        for message in errors:
                            form.add_error(target, prefix + message)
                else:
                    form.add_error(None, prefix + _refusal_text(exc))
        return self._action_page(
            request,
            action_name="allocate_addresses",
            title="Allocate session addresses",
            intro=(
                "For connections whose session address provider is Microsoft: give each its "
                "session subnets. The first address of a subnet is the peer's, the next "
                "Microsoft's. The peer's contacts are emailed the addresses."
            ),
            objects=connections,
            columns={
                "Connection": _connection_label,
                "Provider": lambda c: c.session_address_provider or "—",
                "State": lambda c: c.connection_state,
                "IPv4 prefix": lambda c: c.session_prefix_v4 or "—",
                "IPv6 prefix": lambda c: c.session_prefix_v6 or "—",
                "Pool": self._pool_text,
            },
            form=form,
            submit_label="Allocate",
        )

    # --- received routes ---

    @admin.display(description="Received routes")
    def received_routes_summary(self, obj):
        summary = obj.received_routes.aggregate(count=Count("pk"), last=Max("received_at"))
        if not summary["count"]:
            return "None loaded."
        url = reverse("admin:peering_receivedroute_changelist")
        return format_html(
            '<a href="{}?connection__id__exact={}">{}</a>, last received {}',
            url,
            obj.pk,
            _plural(summary["count"], "route"),
            date_format(timezone.localtime(summary["last"]), "DATETIME_FORMAT"),
        )

    @operator_action(
        "operate", "Upload received routes…", "Upload received routes (one selected connection)…"
    )
    def upload_received_routes(self, request, queryset):
        """Replace one connection's received routes with an uploaded JSON-lines file (or pasted
        lines), through `peering.services.routes`: line by line, as `import_received_routes`."""
        connections = self._selected_connections(queryset)
        if len(connections) != 1:
            self.message_user(
                request,
                "Upload received routes for one connection at a time: "
                f"{_plural(len(connections), 'connection')} were selected.",
                messages.WARNING,
            )
            return None
        connection = connections[0]
        label = _connection_label(connection)
        form = ReceivedRoutesForm(
            request.POST if "post" in request.POST else None,
            request.FILES if "post" in request.POST else None,
        )
        if form.is_valid():
            field = form.cleaned_data["routes_field"]
            try:
                result, rejected = self._import_routes(
                    connection,
                    form.cleaned_data["routes_text"],
                    request.user,
                    strict=form.cleaned_data["strict"],
                )
            except PermissionDenied as exc:
                self.message_user(
                    request,
                    f"{label}: no routes were imported: {_refusal_text(exc)}",
                    messages.ERROR,
                )
                return None
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error(field, message)
            except DataError:
                form.add_error(
                    field, "The routes hold text the database cannot store; nothing was imported."
                )
            else:
                self.message_user(
                    request,
                    f"{label}: imported {_plural(result.routes, 'route')}: "
                    f"{len(result.announced)} announced, {len(result.withdrawn)} withdrawn, "
                    f"{_plural(len(result.origin_changed), 'origin change')}; "
                    f"{_plural(result.events, 'prefix event')} recorded, "
                    f"{result.revalidated} Peering Service "
                    f"prefix{'' if result.revalidated == 1 else 'es'} queued for validation "
                    "again.",
                    messages.SUCCESS,
                )
                if rejected:
                    shown = "; ".join(reason for _number, reason in rejected[:MAX_SHOWN_REJECTED])
                    more = len(rejected) - MAX_SHOWN_REJECTED
                    self.message_user(
                        request,
                        f"{label}: {_plural(len(rejected), 'line')} rejected (the rest imported): "
                        f"{shown}" + (f"; and {more} more." if more > 0 else ""),
                        messages.WARNING,
                    )
                return None
        current = connection.received_routes.count()
        return self._action_page(
            request,
            action_name="upload_received_routes",
            title="Upload received routes",
            intro=(
                "The routes Microsoft receives on this connection are replaced by these: "
                "JSON lines, one route per line (docs/received-routes.md). A line may name "
                "this connection's identifier or none; a wrong line is rejected with its "
                "number and reason and the rest imported, unless All or nothing is ticked. "
                "Announcements, withdrawals and origin changes of Peering Service "
                "prefixes are recorded as prefix events and those prefixes validated again."
            ),
            objects=[connection],
            columns={
                "Connection": lambda c: label,
                "Identifier": lambda c: c.connection_identifier,
                "Connection state": lambda c: c.connection_state,
                "Received routes now": lambda c: current,
            },
            form=form,
            submit_label="Upload and replace the routes",
        )

    @staticmethod
    def _import_routes(connection, text: str, operator, *, strict: bool = False):
        """The same line-by-line importer as `import_received_routes`: a bad line is rejected
        with its number and reason and the rest imported (all or nothing with `strict`); lines
        naming another connection refuse the upload. (result, rejected lines)."""
        results, rejected = received_routes_import_lines(
            lines=text.splitlines(),
            operator=operator,
            connection=connection,
            strict=strict,
            only_connection=True,
        )
        return results[0], rejected

    @staticmethod
    def _pool_text(connection) -> str:
        facility = connection.direct_facility
        if facility is None:
            return "— (exchange)"
        pool = getattr(facility, "address_pool", None)
        if pool is None:
            return f"{facility.name} has no pool"
        return ", ".join(p for p in (pool.ipv4_pool, pool.ipv6_pool) if p)


@admin.register(ConnectionTransition)
class ConnectionTransitionAdmin(ReadOnlyModelAdmin):
    """Every connection state change: the audit trail behind each connection's timeline."""

    list_display = ["created_at", "connection", "from_state", "to_state", "actor", "user", "note"]
    list_filter = ["to_state", "from_state", "actor"]
    search_fields = ["connection__peering__name", "note", "user__username", "=connection__pk"]
    list_select_related = [
        "connection__peering",
        "connection__direct_facility",
        "connection__exchange",
        "user",
    ]
    date_hierarchy = "created_at"
    fields = [
        "connection",
        "from_state",
        "to_state",
        "actor",
        "user",
        "note",
        "created_at",
    ]
