"""Field factories for the references every app declares the same way.

They return plain Django fields, so migrations see exactly what the long form would give.
"""

from django.conf import settings
from django.db import models


def optional_foreign_key(to, *, on_delete, related_name: str, **options) -> models.ForeignKey:
    """A reference that may be empty: NULL in the database, not required in forms and admin."""
    return models.ForeignKey(
        to, on_delete=on_delete, null=True, blank=True, related_name=related_name, **options
    )


def acting_user(**options) -> models.ForeignKey:
    """The user who did something (created, decided, imported): the record outlives the
    account (SET_NULL; the name is kept beside it where it matters) and the user model gets no
    reverse accessor."""
    return optional_foreign_key(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, related_name="+", **options
    )
