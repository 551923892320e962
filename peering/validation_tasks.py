"""Background validation of prefixes (django.tasks): Pending until the worker has run it."""

from functools import partial

from django.db import transaction
from django.tasks import task


@task()
def validate_prefix(*, prefix_id: int) -> str:
    """Run every check of a Peering Service prefix and record the outcome."""
    from peering.services.prefix_validation import prefix_validate

    prefix = prefix_validate(prefix_id=prefix_id)
    return prefix.validation_state if prefix else "Deleted"


@task()
def validate_registered_prefix(*, registered_prefix_id: int) -> str:
    """Run the checks of a provider's registered prefix and record the outcome."""
    from peering.services.prefix_validation import registered_prefix_validate

    registered = registered_prefix_validate(registered_prefix_id=registered_prefix_id)
    return registered.validation_state if registered else "Deleted"


def enqueue_prefix_validation(prefix_ids) -> None:
    """Queue validation of these customer prefixes once the current transaction commits."""
    for prefix_id in sorted(set(prefix_ids)):
        transaction.on_commit(partial(validate_prefix.enqueue, prefix_id=prefix_id))


def enqueue_registered_prefix_validation(registered_prefix_ids) -> None:
    for registered_id in sorted(set(registered_prefix_ids)):
        transaction.on_commit(
            partial(validate_registered_prefix.enqueue, registered_prefix_id=registered_id)
        )
