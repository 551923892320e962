"""URLs of the portal shell (app namespace `portal`)."""

from django.urls import path  # noqa: F401

app_name = "portal"
urlpatterns: list = []
