"""URLs of the Peering Service blades (app namespace `peering_services`), shaped like ARM ids."""

from django.urls import path

from peering.views import peering_services as views

app_name = "peering_services"

SERVICE = (
    "subscriptions/<uuid:subscription_id>/resourceGroups/<str:resource_group>"
    "/providers/Microsoft.Peering/peeringServices/<str:name>/"
)
PREFIX = f"{SERVICE}prefixes/<str:prefix_name>/"

urlpatterns = [
    path("peering-services/", views.peering_service_list, name="list"),
    path("peering-services/create/", views.peering_service_create, name="create"),
    path(SERVICE, views.peering_service_detail, name="detail"),
    path(f"{SERVICE}prefixes/", views.peering_service_prefixes, name="prefixes"),
    # Not under prefixes/: a prefix may be named "add".
    path(f"{SERVICE}add-prefix/", views.peering_service_prefix_add, name="prefix_add"),
    path(PREFIX, views.peering_service_prefix_detail, name="prefix_detail"),
    path(f"{PREFIX}delete/", views.peering_service_prefix_delete, name="prefix_delete"),
    path(f"{PREFIX}revalidate/", views.peering_service_prefix_revalidate, name="prefix_revalidate"),
    path(f"{SERVICE}delete/", views.peering_service_delete, name="delete"),
]
