"""Replace the VRPs (and ASPAs) with a relying party's JSON export.

Reads rpki-client's `json` output (roas, aspas, metadata.buildtime) or Routinator's `json` /
`jsonext` output (metadata.generatedTime). The set is replaced atomically; every received route's
RPKI state is recomputed (RFC 6811) and the prefixes whose routes changed are validated again.
"""

import json
import sys

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError

from peering.management.operator import add_operator_argument, staff_operator
from peering.services.rpki import vrps_import


class Command(BaseCommand):
    help = "Import VRPs and ASPAs from an rpki-client or Routinator JSON export."

    def add_arguments(self, parser):
        parser.add_argument("file", help="JSON export; '-' reads standard input.")
        add_operator_argument(parser)

    def handle(self, *args, **options):
        operator = staff_operator(options)
        path = options["file"]
        try:
            if path == "-":
                data = json.load(sys.stdin)
            else:
                with open(path, encoding="utf-8") as stream:
                    data = json.load(stream)
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read {path}: {exc}") from exc
        except json.JSONDecodeError as exc:
            raise CommandError(f"{path} is not JSON: {exc}") from exc
        try:
            vrp_set = vrps_import(data=data, operator=operator, file_name=str(path))
        except (ValidationError, PermissionDenied) as exc:
            messages = getattr(exc, "messages", [str(exc)])
            raise CommandError("Nothing imported:\n  " + "\n  ".join(messages)) from exc
        built = vrp_set.build_time.isoformat() if vrp_set.build_time else "unknown"
        self.stdout.write(
            f"{vrp_set.vrp_count} VRPs and {vrp_set.aspa_count} ASPAs from {vrp_set.source} "
            f"(built {built}); {vrp_set.routes_changed} received routes changed RPKI state."
        )
        if vrp_set.is_stale:
            self.stdout.write(self.style.WARNING("The export is older than 24 hours."))
