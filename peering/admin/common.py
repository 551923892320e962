"""Shared pieces of the operators' admin: read-only admins and inlines (one mixin,
`portal.admin.ReadOnlyAdminMixin`), intermediate action pages, messages for refusals."""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.options import ActionLocation
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html

from peering.models import (
    PeeringConnection,
)
from portal.admin import ReadOnlyAdminMixin

BOTH_LOCATIONS = [ActionLocation.CHANGE_LIST, ActionLocation.CHANGE_FORM]

# The ARM tracked resource's fields (`peering.models.abstracts.TrackedResource`), first on its page.
TRACKED_RESOURCE_FIELDS = ["name", "resource_id", "subscription", "resource_group", "region"]


def operator_action(permission: str, description: str, plural: str):
    """An operator's action: Django's `admin.action` gated by one permission
    (`has_<permission>_permission` on the admin), named `description` on a row's page and
    `plural` on the change list, and offered in both places, as every action here is."""
    return admin.action(
        permissions=[permission],
        description=description,
        description_plural=plural,
        location=BOTH_LOCATIONS,
    )


def _refusal_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return " ".join(exc.messages)
    return str(exc) or "Permission denied."


def related_column(path: str, description: str):
    """A column (and read-only field) showing a related row's value, `path` in lookup form
    (`peering__subscription__display_name`), and sortable by it."""
    names = path.split("__")

    @admin.display(description=description, ordering=path)
    def column(self, obj):
        for name in names:
            obj = getattr(obj, name)
        return obj

    return column


class ReadOnlyModelAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """A model whose rows only services write: operators look, and act through actions."""


class ReadOnlyInline(ReadOnlyAdminMixin, admin.TabularInline):
    """Related rows shown on their parent's page, never edited there. Every listed field is
    read-only (`readonly_fields` defaults to `fields`)."""

    extra = 0


class ResourceIdMixin:
    """The ARM resource ID: a column and read-only field of every tenant resource's admin."""

    @admin.display(description="Resource ID")
    def resource_id(self, obj):
        return obj.resource_id


class PeeringLinkMixin(ResourceIdMixin):
    """Columns of a peering's child rows (connections, registered ASNs and prefixes): the
    peering as a link to its page, its subscription and resource ID."""

    @admin.display(description="Peering", ordering="peering__name")
    def peering_link(self, obj):
        url = reverse("admin:peering_peering_change", args=[obj.peering_id])
        return format_html('<a href="{}">{}</a>', url, obj.peering.name)

    subscription = related_column("peering__subscription__display_name", "Subscription")


def _connection_label(connection: PeeringConnection) -> str:
    """How a connection is named in messages: peering, place and the start of its identifier
    (a Direct peering usually has two connections at one facility)."""
    return (
        f"{connection.peering.name} at {connection.facility_name} "
        f"({str(connection.connection_identifier)[:8]})"
    )


def _level(exc: Exception) -> int:
    return messages.WARNING if isinstance(exc, ValidationError) else messages.ERROR


def _field_errors(exc: Exception, field: str) -> list[str] | None:
    if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
        return exc.message_dict.get(field)
    return None


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def act_on_each(
    modeladmin,
    request,
    items,
    act,
    *,
    name,
    noun: str,
    refused: str,
    done: str,
    form: forms.Form | None = None,
    field: str = "",
) -> bool:
    """Run `act(item)` on each selected item in order: tell the operator which were refused and
    why, and sum up those done, so every action words its outcome the same way.

    `refused` and `done` are the messages' templates: `{name}` is `name(item)`; `{count}` is
    e.g. "2 Peer ASNs" (`noun`) and `{names}` the done ones. With `form`, a refusal of its
    `field` (the reason or note the operator typed, the same for every item) before anything
    was done goes on that field instead and stops the loop: False means "show the page again".
    """
    names = []
    for item in items:
        try:
            act(item)
        except (ValidationError, PermissionDenied) as exc:
            field_errors = _field_errors(exc, field) if form is not None else None
            if field_errors and not names:
                for message in field_errors:
                    form.add_error(field, message)
                return False
            modeladmin.message_user(
                request,
                f"{refused.format(name=name(item))}: {_refusal_text(exc)}",
                _level(exc),
            )
        else:
            names.append(name(item))
    if names:
        modeladmin.message_user(
            request,
            done.format(count=_plural(len(names), noun), names=", ".join(names)),
            messages.SUCCESS,
        )
    return True


class IntermediatePageMixin:
    """Intermediate pages of actions (a reason, a note, a choice): re-post the selection to the
    same action, from the changelist or from the change form."""

    action_template = "admin/peering/action_form.html"

    def _action_page(
        self,
        request,
        *,
        action_name: str,
        title: str,
        intro: str,
        objects: list,
        columns: dict[str, Callable[[Any], object]],
        form: forms.Form,
        submit_label: str,
        seen: Callable[[Any], str] | None = None,
    ):
        """The selected `objects` as a table, one cell per column (header: the cell of an
        object), above the `form`. `seen` is the state the operator saw of an object, posted
        back so the action can tell what changed meanwhile."""
        rows = [
            (obj.pk, seen(obj) if seen else "", [cell(obj) for cell in columns.values()])
            for obj in objects
        ]
        on_change_form = f"{ActionLocation.CHANGE_FORM.value}-action" in request.POST
        opts = self.opts
        if on_change_form and len(rows) == 1:
            cancel_url = reverse(
                f"admin:{opts.app_label}_{opts.model_name}_change", args=[rows[0][0]]
            )
        else:
            cancel_url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "subtitle": None,
            "opts": opts,
            "intro": intro,
            "columns": list(columns),
            "rows": rows,
            "form": form,
            "action_name": action_name,
            "action_field_name": (
                f"{ActionLocation.CHANGE_FORM.value}-action" if on_change_form else "action"
            ),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "submit_label": submit_label,
            "cancel_url": cancel_url,
            "media": self.media + form.media,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, self.action_template, context, status=200)
