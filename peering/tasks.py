"""Background tasks (`django.tasks`; `manage.py db_worker` runs them): email, prefix validation,
demo motion. Each is small and idempotent: it reloads its rows and returns a short status.
"""

from functools import partial

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.tasks import task


@task()
def send_email(*, subject: str, body: str, recipients: list[str]) -> int:
    """Send one plain-text email to the given recipients."""
    if not recipients:
        return 0
    return send_mail(
        subject=subject,
        message=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        recipient_list=recipients,
        fail_silently=False,
    )


@task()
def demo_advance(*, connection_id: int, expected_state: str) -> str:
    """Demo motion: move one connection a step towards Active, then schedule the next step
    (peering.demo_motion). Stops silently if a person acted or DEMO_MOTION is off."""
    from peering.demo_motion import demo_step

    return demo_step(connection_id=connection_id, expected_state=expected_state)


@task()
def validate_prefix(*, prefix_id: int) -> str:
    """Run every check of a Peering Service prefix and record the outcome."""
    from peering.services.prefix_validation import prefix_validate

    prefix = prefix_validate(prefix_id=prefix_id)
    return prefix.validation_state if prefix else "Deleted"


@task()
def validate_prefixes(*, prefix_ids: list[int]) -> str:
    """Validate many customer prefixes at once (after a route or VRP import)."""
    from peering.services.prefix_validation import prefixes_validate

    return f"{len(prefixes_validate(prefix_ids=prefix_ids))} validated"


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


def enqueue_prefixes_validation(prefix_ids, *, batch: int = 500) -> None:
    """Queue validation of many customer prefixes, `batch` per task, once the transaction
    commits: each task reads what the checks need once for its whole batch."""
    ids = sorted(set(prefix_ids))
    for start in range(0, len(ids), batch):
        transaction.on_commit(
            partial(validate_prefixes.enqueue, prefix_ids=ids[start : start + batch])
        )


def enqueue_registered_prefix_validation(registered_prefix_ids) -> None:
    for registered_id in sorted(set(registered_prefix_ids)):
        transaction.on_commit(
            partial(validate_registered_prefix.enqueue, registered_prefix_id=registered_id)
        )
