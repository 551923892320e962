"""Settings for `make bench` only: production settings plus the trivial signed-in view.

The trivial view (`/bench/trivial`: login_required, answers "ok") runs through the same
middleware as every page, so a page's req/s divided by its req/s says what the page itself
costs. It exists only under these settings: `portal.urls` never routes it.
"""

from portal.settings import *  # noqa: F403

ROOT_URLCONF = "portal.urls_bench"
# The in-process client that counts queries asks for "testserver".
ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver"]  # noqa: F405
# Static files are not what is measured; no manifest needed.
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
LOGGING = {"version": 1, "disable_existing_loggers": False}
