"""Load the routes Microsoft receives on connections from a JSON-lines file.

Each import replaces the named connection's previous set, records prefix events for the affected
Peering Service prefixes and re-validates them. The file is streamed line by line; a bad line is
reported with its number and reason and the rest imported, unless --strict. Format:
docs/received-routes.md.
"""

import sys

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from peering.management.operator import add_operator_argument, staff_operator
from peering.models import PeeringConnection
from peering.services.routes import received_routes_import_lines, uuid_or_none


class Command(BaseCommand):
    help = "Import received routes (JSON lines) for one or more connections."

    def add_arguments(self, parser):
        parser.add_argument("file", help="JSON-lines file; '-' reads standard input.")
        parser.add_argument(
            "--connection",
            help="Connection identifier (GUID) for every line that does not name one.",
        )
        add_operator_argument(parser)
        parser.add_argument(
            "--strict",
            action="store_true",
            help="Import nothing if any line is wrong (default: reject bad lines, import the rest)",
        )

    def handle(self, *args, **options):
        operator = staff_operator(options)
        path = options["file"]
        try:
            stream = sys.stdin if path == "-" else open(path, encoding="utf-8")  # noqa: SIM115
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc}") from exc
        connection = None
        if options["connection"]:
            guid = uuid_or_none(options["connection"])
            connection = (
                PeeringConnection.objects.filter(connection_identifier=guid).first()
                if guid
                else None
            )
            if connection is None:
                raise CommandError(f"No connection with identifier {options['connection']}.")
        try:
            with stream:
                results, rejected = received_routes_import_lines(
                    lines=stream,
                    operator=operator,
                    connection=connection,
                    strict=options["strict"],
                )
        except UnicodeDecodeError as exc:
            raise CommandError(f"Cannot read {path}: {exc}") from exc
        except (ValidationError, PermissionDenied, ValueError) as exc:
            messages = getattr(exc, "messages", [str(exc)])
            raise CommandError("Nothing imported:\n  " + "\n  ".join(messages)) from exc
        if rejected:
            self.stdout.write(
                f"{len(rejected)} line{'' if len(rejected) == 1 else 's'} rejected "
                "(the rest imported):"
            )
            for _number, reason in rejected:
                self.stdout.write(f"  {reason}")
        for result in results:
            self.stdout.write(
                f"{result.connection.connection_identifier} ({result.connection.facility_name}): "
                f"{result.routes} routes, {len(result.announced)} announced, "
                f"{len(result.withdrawn)} withdrawn, {len(result.origin_changed)} origin "
                f"changes, {result.events} prefix events, {result.revalidated} prefixes "
                "re-validated."
            )
