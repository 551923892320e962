"""`manage.py create_api_token USER`: an API token for operators to hand to automation."""

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from portal import services
from portal.models import Subscription


class Command(BaseCommand):
    help = "Create an API token for USER and print it (it is shown only once)."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="cli", help="Token name (default: cli).")
        parser.add_argument("--days", default="90", help="Days until it expires (default 90).")
        parser.add_argument("--subscription", default="", help="Restrict it to one subscription.")

    def handle(self, *args, username, name, days, subscription, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No user named '{username}'.")
        chosen = None
        if subscription:
            chosen = Subscription.objects.filter(pk=subscription).first()
            if chosen is None:
                raise CommandError(f"No subscription '{subscription}'.")
        try:
            token, raw = services.api_token_create(
                user=user, name=name, expires_in_days=days, subscription=chosen
            )
        except ValidationError as exc:
            raise CommandError(
                "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items())
            ) from None
        self.stderr.write(
            f"Token '{token.name}' for {username}, expires {token.expires_at:%Y-%m-%d}."
        )
        self.stdout.write(raw)
