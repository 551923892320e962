"""Email plus in-portal notification for a milestone, both after the transaction commits."""

from functools import partial

from django.db import transaction
from django.template.loader import render_to_string

from peering.tasks import send_email
from portal.models import Subscription
from portal.services import notify_subscription


def email_after_commit(*, template: str, context: dict, recipients: list[str]) -> None:
    """Render `template` (first line is the subject) and enqueue it once the transaction commits."""
    if not recipients:
        return
    text = render_to_string(template, context).strip()
    subject, _, body = text.partition("\n")
    transaction.on_commit(
        partial(
            send_email.enqueue,
            subject=subject.strip(),
            body=body.strip() + "\n",
            recipients=sorted(set(recipients)),
        )
    )


def milestone(
    *,
    subscription: Subscription,
    title: str,
    body: str,
    link: str,
    level: str,
    email_template: str,
    email_context: dict,
    recipients: list[str],
) -> None:
    """Record a milestone: an in-portal notification now, an email after commit."""
    notify_subscription(subscription=subscription, title=title, body=body, link=link, level=level)
    email_after_commit(template=email_template, context=email_context, recipients=recipients)
