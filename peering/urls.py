"""URLs of the peering blades (app namespace `peering`)."""

from django.urls import path  # noqa: F401

app_name = "peering"
urlpatterns: list = []
