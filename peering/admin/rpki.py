"""Operators' admin for RPKI data: the VRP sets imported so far (newest first, stale ones
flagged), an upload that replaces the VRPs and ASPAs through `peering.services.rpki.vrps_import`,
and read-only lists of VRPs, ASPAs, prefix spans and validation runs."""

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from peering.admin.common import ReadOnlyModelAdmin
from peering.models import Aspa, PrefixSpan, ValidationRun, Vrp, VrpSet
from peering.services.rpki import vrps_import

MAX_UPLOAD = 512 * 1024 * 1024


class VrpUploadForm(forms.Form):
    """The relying party's JSON export: rpki-client `json`, Routinator `json` or `jsonext`."""

    file = forms.FileField(
        label="VRP export",
        help_text=(
            "rpki-client's JSON output (roas, aspas, metadata.buildtime) or Routinator's json / "
            "jsonext output. It replaces every VRP and ASPA."
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD:
            raise ValidationError("The file is larger than 512 MB.")
        try:
            return json.load(upload)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ValidationError(f"The file is not JSON: {exc}.") from None


@admin.register(VrpSet)
class VrpSetAdmin(ReadOnlyModelAdmin):
    list_display = [
        "imported_at",
        "source",
        "build_time",
        "stale",
        "vrp_count",
        "aspa_count",
        "routes_changed",
        "imported_by",
    ]
    search_fields = ["source", "file_name"]
    change_list_template = "admin/peering/vrpset/change_list.html"

    @admin.display(boolean=True, description="Older than 24 hours")
    def stale(self, obj):
        return obj.is_stale

    def get_urls(self):
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="peering_vrpset_import",
            ),
            *super().get_urls(),
        ]

    def import_view(self, request):
        form = VrpUploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            try:
                vrp_set = vrps_import(
                    data=form.cleaned_data["file"],
                    operator=request.user,
                    file_name=request.FILES["file"].name,
                )
            except PermissionDenied as exc:
                self.message_user(request, str(exc) or "Permission denied.", messages.ERROR)
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error("file", message)
            else:
                self.message_user(
                    request,
                    f"Imported {vrp_set.vrp_count} VRPs and {vrp_set.aspa_count} ASPAs from "
                    f"{vrp_set.source}; {vrp_set.routes_changed} received routes changed RPKI "
                    "state and their prefixes are validated again.",
                    messages.SUCCESS,
                )
                return redirect(reverse("admin:peering_vrpset_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "title": "Import VRPs",
            "opts": self.opts,
            "form": form,
        }
        return TemplateResponse(request, "admin/peering/vrpset/import.html", context)


@admin.register(Vrp)
class VrpAdmin(ReadOnlyModelAdmin):
    list_display = ["prefix", "max_length", "asn", "trust_anchor"]
    search_fields = ["prefix"]
    show_full_result_count = False


@admin.register(Aspa)
class AspaAdmin(ReadOnlyModelAdmin):
    list_display = ["customer_asn", "providers"]


@admin.register(PrefixSpan)
class PrefixSpanAdmin(ReadOnlyModelAdmin):
    list_display = ["cidr", "prefix", "start", "end"]
    search_fields = ["cidr"]


@admin.register(ValidationRun)
class ValidationRunAdmin(ReadOnlyModelAdmin):
    list_display = ["created_at", "prefix", "registered_prefix", "state", "message"]
    list_filter = ["state"]
    list_select_related = ["prefix", "registered_prefix"]
    search_fields = ["message"]
