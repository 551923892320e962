"""The `--operator` option of the import commands: the staff user an import is recorded as."""

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError


def add_operator_argument(parser) -> None:
    parser.add_argument(
        "--operator",
        default="operator",
        help="Username of the staff user the import is recorded as (default: operator).",
    )


def staff_operator(options: dict):
    """The staff user named by --operator, or CommandError."""
    operator = get_user_model().objects.filter(username=options["operator"]).first()
    if operator is None or not operator.is_staff:
        raise CommandError(f"No staff user named {options['operator']!r}.")
    return operator
