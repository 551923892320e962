"""Background tasks (django.tasks). Enqueued after commit so a rolled-back write sends nothing."""

from django.conf import settings
from django.core.mail import send_mail
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
    (peering.services.demo_motion). Stops silently if a person acted or DEMO_MOTION is off."""
    from peering.services.demo_motion import demo_step  # the services import this module

    return demo_step(connection_id=connection_id, expected_state=expected_state)
