"""Root URL configuration: the portal shell, the peering blades, auth and the operators' admin."""

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

admin.site.site_header = "Peering Portal — Microsoft operators"
admin.site.site_title = "Peering operators"
admin.site.index_title = "Operations"

urlpatterns = [
    path("", include("portal.portal_urls")),
    path("peerings/create/", include("peering.wizard_urls")),
    path("", include("peering.registered_urls")),
    path("", include("peering.peering_service_urls")),
    path("", include("peering.urls")),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/",
        auth_views.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/password/done/",
        auth_views.PasswordChangeDoneView.as_view(),
        name="password_change_done",
    ),
    path("admin/", admin.site.urls),
]
