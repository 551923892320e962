"""Operators' admin for tenancy: subscriptions and their role holders, regions, resource groups,
the activity log and notifications.

Operators provision tenants here (subscriptions, who holds which role) and record the signed
Peering Service agreement. Resource groups belong to the tenant and are created through
`portal.services` in the portal or the API, so they are shown read-only; the activity log is an
audit trail and can never be edited.
"""

from django.contrib import admin
from django.contrib.admin.utils import flatten_fieldsets
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from portal import models


class ReadOnlyAdminMixin:
    """View-only in admin: the rows are written by services (or are an audit trail). Every
    shown field is read-only: `readonly_fields` default to `fields` or the fieldsets' fields."""

    def get_readonly_fields(self, request, obj=None):
        if self.readonly_fields:
            return self.readonly_fields
        if self.fieldsets:
            return flatten_fieldsets(self.fieldsets)
        return self.fields or []

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(models.AzureRegion)
class AzureRegionAdmin(admin.ModelAdmin):
    list_display = ["display_name", "name", "geography"]
    list_filter = ["geography"]
    search_fields = ["name", "display_name", "geography"]
    ordering = ["display_name"]


class RoleAssignmentInline(admin.TabularInline):
    model = models.RoleAssignment
    extra = 0
    fields = ["user", "role", "created_at"]
    readonly_fields = ["created_at"]
    autocomplete_fields = ["user"]


class ResourceGroupInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = models.ResourceGroup
    extra = 0
    fields = ["name", "region", "created_at"]
    show_change_link = True


@admin.register(models.Subscription)
class SubscriptionAdmin(admin.ModelAdmin):
    list_display = ["display_name", "id", "peering_service_agreement_signed", "created_at"]
    list_editable = ["peering_service_agreement_signed"]
    list_filter = ["peering_service_agreement_signed"]
    search_fields = ["display_name", "=id"]
    readonly_fields = ["id", "created_at"]
    fields = ["id", "display_name", "peering_service_agreement_signed", "created_at"]
    inlines = [RoleAssignmentInline, ResourceGroupInline]


@admin.register(models.RoleAssignment)
class RoleAssignmentAdmin(admin.ModelAdmin):
    list_display = ["user", "role", "subscription", "created_at"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__email", "subscription__display_name"]
    list_select_related = ["user", "subscription"]
    autocomplete_fields = ["user", "subscription"]
    readonly_fields = ["created_at"]


@admin.register(models.ResourceGroup)
class ResourceGroupAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Tenant-owned: created and changed through `resource_group_create` in the portal/API."""

    list_display = ["name", "subscription", "region", "created_at"]
    list_filter = ["region"]
    search_fields = ["name", "subscription__display_name"]
    list_select_related = ["subscription", "region"]
    fields = ["subscription", "name", "region", "tags", "created_at", "resource_id"]


@admin.register(models.ActivityLog)
class ActivityLogAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The audit trail: nobody adds, changes or deletes an entry."""

    list_display = [
        "timestamp",
        "operation_display",
        "status",
        "caller",
        "subscription",
        "resource_id",
    ]
    list_filter = ["status", "operation"]
    search_fields = ["caller", "operation", "resource_id", "message", "subscription__display_name"]
    list_select_related = ["subscription"]
    date_hierarchy = "timestamp"
    fields = [
        "timestamp",
        "subscription",
        "user",
        "caller",
        "operation",
        "operation_display",
        "resource_id",
        "resource_group",
        "status",
        "message",
    ]


@admin.register(models.Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Notifications are raised by services; operators may only look at them or clear them."""

    list_display = ["title", "user", "subscription", "level", "created_at", "read_at"]
    list_filter = ["level", ("read_at", admin.EmptyFieldListFilter)]
    search_fields = ["title", "body", "user__username", "subscription__display_name"]
    list_select_related = ["user", "subscription"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "user",
        "subscription",
        "level",
        "title",
        "body",
        "link",
        "created_at",
        "read_at",
    ]
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# The user page also lists the subscriptions the person holds a role on.
class UserRoleAssignmentInline(RoleAssignmentInline):
    fields = ["subscription", "role", "created_at"]
    autocomplete_fields = ["subscription"]
    verbose_name = "role on a subscription"
    verbose_name_plural = "roles on subscriptions"


User = get_user_model()
if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class PortalUserAdmin(UserAdmin):
    inlines = [*UserAdmin.inlines, UserRoleAssignmentInline]


@admin.register(models.ApiToken)
class ApiTokenAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Personal API tokens, for audit: who holds which, where it reaches, when it was last used.
    Only a digest is stored; people create and revoke their own on the API tokens page."""

    list_display = ["name", "user", "prefix", "subscription", "expires_at", "last_used_at"]
    list_filter = ["revoked_at"]
    search_fields = ["name", "user__username", "prefix"]
    fields = [
        "name",
        "user",
        "prefix",
        "subscription",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    ]
