"""`manage.py load_reference_data`: Azure regions, peering metros (with their Direct facilities
and exchanges), Peering Service providers and customer locations, from the JSON files in
`peering/reference_data/`.

The whole load is checked before anything is written, then written in one transaction; a bad row
stops it with a CommandError naming the file, the row and the field. Rows are matched on their
natural keys and only saved when a value differs, so running it again changes nothing. Rows that
operators added by hand (and rows dropped from the files) are left alone: peerings and Peering
Services may point at them.

The row checks (`direct_facility_problems`, `exchange_problems`) are plain functions so that the
operators' admin forms apply exactly the same rules to a row typed by hand.
"""

import ipaddress
import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import models, transaction

from peering.enums import DirectPeeringType
from peering.models import (
    DirectFacility,
    Exchange,
    PeeringLocation,
    PeeringServiceLocation,
    PeeringServiceProvider,
    PeeringServiceProviderLocation,
)
from peering.models.reference import Source
from peering.validators import check_host_address, parse_address, parse_prefix
from portal.models import AzureRegion

DEFAULT_DIR = Path(__file__).resolve().parents[2] / "reference_data"
REGIONS_FILE = "azure-regions.json"
LOCATIONS_FILE = "peering-locations.json"
SERVICE_FILE = "peering-service.json"

REGION_NAME_RE = re.compile(r"[a-z0-9]{2,40}")
COUNTRY_CODE_RE = re.compile(r"[A-Z]{2}")
MAX_BANDWIDTH_MBPS = 400_000


# --- Row checks shared with the admin forms ------------------------------------------------


def direct_facility_problems(
    *, direct_peering_types: object, bandwidth_offers_mbps: object
) -> dict[str, str]:
    """What is wrong with a Direct facility's offer, keyed by field name (empty when fine)."""
    problems: dict[str, str] = {}
    valid = DirectPeeringType.values
    if not isinstance(direct_peering_types, list) or not direct_peering_types:
        problems["direct_peering_types"] = (
            f"Give a list of the supported direct peering types, from {', '.join(valid)}."
        )
    else:
        unknown = [t for t in direct_peering_types if t not in valid]
        if unknown:
            problems["direct_peering_types"] = (
                f"Unknown direct peering type(s) {', '.join(map(str, unknown))}; "
                f"use {', '.join(valid)}."
            )
        elif len(set(direct_peering_types)) != len(direct_peering_types):
            problems["direct_peering_types"] = "List each direct peering type once."
    if (
        not isinstance(bandwidth_offers_mbps, list)
        or not bandwidth_offers_mbps
        or not all(
            isinstance(b, int) and not isinstance(b, bool) and 0 < b <= MAX_BANDWIDTH_MBPS
            for b in bandwidth_offers_mbps
        )
    ):
        problems["bandwidth_offers_mbps"] = (
            f"Give a list of bandwidths in Mbps, whole numbers from 1 to {MAX_BANDWIDTH_MBPS}, "
            "e.g. [10000, 100000]."
        )
    elif len(set(bandwidth_offers_mbps)) != len(bandwidth_offers_mbps):
        problems["bandwidth_offers_mbps"] = "List each bandwidth once."
    return problems


def exchange_problems(
    *,
    ipv4_prefix: str,
    ipv6_prefix: str,
    microsoft_ipv4_address: str,
    microsoft_ipv6_address: str | None,
) -> dict[str, str]:
    """What is wrong with an exchange's LAN and Microsoft's addresses on it, keyed by field.

    The peering LAN must be a network (no host bits) and each of Microsoft's addresses must be a
    usable host inside the LAN of its family: peers' session addresses are checked against it.
    """
    problems: dict[str, str] = {}
    lans: dict[int, object] = {}
    for family, field, value in ((4, "ipv4_prefix", ipv4_prefix), (6, "ipv6_prefix", ipv6_prefix)):
        if family == 6 and not value:
            continue
        try:
            lans[family] = parse_prefix(value, family=family, label=f"{field} (peering LAN)")
        except ValidationError as exc:
            problems[field] = " ".join(exc.messages)
    addresses = (
        (4, "microsoft_ipv4_address", microsoft_ipv4_address, "ipv4_prefix"),
        (6, "microsoft_ipv6_address", microsoft_ipv6_address, "ipv6_prefix"),
    )
    for family, field, value, prefix_field in addresses:
        if family == 6 and not value:
            continue
        try:
            address = parse_address(value, family=family, label=f"Microsoft's address ({field})")
            if family not in lans:
                if prefix_field not in problems:
                    problems[field] = f"Give the exchange's peering LAN ({prefix_field}) too."
                continue
            check_host_address(
                address,
                lans[family],
                label=f"Microsoft's address ({field})",
                prefix_label=f"the peering LAN ({prefix_field})",
            )
        except ValidationError as exc:
            problems[field] = " ".join(exc.messages)
    return problems


# --- Reading and checking the files --------------------------------------------------------


class ReferenceDataError(CommandError):
    """A row of a reference file that cannot be loaded; the message names file, row and field."""


def _fail(where: str, message: str) -> None:
    raise ReferenceDataError(f"{where}: {message}")


def _text(row: dict, key: str, where: str, *, required: bool = True, max_length: int = 0) -> str:
    value = row.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        _fail(where, f"'{key}' must be a non-empty string, not {value!r}.")
    value = value.strip()
    if max_length and len(value) > max_length:
        _fail(where, f"'{key}' is longer than {max_length} characters.")
    return value


def _optional_id(row: dict, key: str, where: str) -> int | None:
    value = row.get(key)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        _fail(where, f"'{key}' must be a positive whole number or null, not {value!r}.")
    return value


def _list(data: Any, key: str, where: str) -> list:
    value = data.get(key) if isinstance(data, dict) else None
    if not isinstance(value, list):
        _fail(where, f"expected a list under '{key}'.")
    return value


def _row(value: Any, where: str) -> dict:
    if not isinstance(value, dict):
        _fail(where, "expected an object.")
    return value


def _named_rows(data: Any, key: str, where: str, noun: str, *, max_length: int, within: str = ""):
    """(row, name, where) for each object listed under `key`: each named (`max_length` at most)
    and listed once — within a metro (`within`) names compare exactly, as the database's unique
    constraints do, metro names ignoring case. `where` says which entry a message is about."""
    names: set[str] = set()
    for index, raw in enumerate(_list(data, key, where)):
        row_where = f"{where} {key}[{index}]"
        raw = _row(raw, row_where)
        name = _text(raw, "name", row_where, max_length=max_length)
        row_where = f"{row_where} ({name})"
        seen = name if within else name.lower()
        if seen in names:
            _fail(row_where, f"{noun} {name} is listed twice{f' in {within}' if within else ''}.")
        names.add(seen)
        yield raw, name, row_where


def _fail_problems(where: str, problems: dict[str, str]) -> None:
    for field, message in problems.items():
        _fail(where, f"{field}: {message}")


def _read_json(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        raise CommandError(f"Reference file {path} not found.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise CommandError(f"Cannot read {path}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise CommandError(f"{path.name}: not valid JSON ({exc}).") from None


def _source(row: dict, where: str) -> str:
    value = row.get("source", Source.OPERATOR)
    if value not in Source.values:
        _fail(where, f"'source' must be one of {', '.join(Source.values)}, not {value!r}.")
    return value


def parse_regions(data: Any) -> list[dict]:
    rows, seen = [], set()
    for index, raw in enumerate(_list(data, "regions", REGIONS_FILE)):
        where = f"{REGIONS_FILE} regions[{index}]"
        raw = _row(raw, where)
        name = _text(raw, "name", where)
        where = f"{where} ({name})"
        if not REGION_NAME_RE.fullmatch(name):
            _fail(where, "'name' must be the programmatic region name, e.g. eastus.")
        if name in seen:
            _fail(where, f"region {name} is listed twice.")
        seen.add(name)
        rows.append(
            {
                "name": name,
                "display_name": _text(raw, "display_name", where, max_length=80),
                "geography": _text(raw, "geography", where, required=False, max_length=80),
            }
        )
    return rows


def parse_locations(data: Any, region_names: set[str]) -> list[dict]:
    asn = data.get("microsoft_asn") if isinstance(data, dict) else None
    if asn is not None and asn != settings.MICROSOFT_ASN:
        _fail(
            LOCATIONS_FILE, f"microsoft_asn is {asn!r}; this portal is AS{settings.MICROSOFT_ASN}."
        )
    metros = []
    for raw, name, where in _named_rows(data, "metros", LOCATIONS_FILE, "metro", max_length=64):
        country = _text(raw, "country", where)
        if not COUNTRY_CODE_RE.fullmatch(country):
            _fail(
                where, f"'country' must be an ISO 3166-1 alpha-2 code such as US, not {country!r}."
            )
        region = _text(raw, "azure_region", where, required=False)
        if region and region not in region_names:
            _fail(where, f"azure_region {region!r} is not a known Azure region.")

        facilities = []
        for f_raw, f_name, f_where in _named_rows(
            raw, "direct", where, "facility", max_length=120, within=name
        ):
            row = {
                "name": f_name,
                "address": _text(f_raw, "address", f_where, required=False, max_length=200),
                "peeringdb_facility_id": _optional_id(f_raw, "peeringdb_facility_id", f_where),
                "direct_peering_types": f_raw.get("direct_peering_types"),
                "bandwidth_offers_mbps": f_raw.get("bandwidth_offers_mbps"),
                "source": _source(f_raw, f_where),
            }
            problems = direct_facility_problems(
                direct_peering_types=row["direct_peering_types"],
                bandwidth_offers_mbps=row["bandwidth_offers_mbps"],
            )
            _fail_problems(f_where, problems)
            facilities.append(row)

        exchanges = []
        for e_raw, e_name, e_where in _named_rows(
            raw, "exchange", where, "exchange", max_length=120, within=name
        ):
            row = {
                "name": e_name,
                "peeringdb_ix_id": _optional_id(e_raw, "peeringdb_ix_id", e_where),
                "ipv4_prefix": _text(e_raw, "ipv4_prefix", e_where, max_length=43),
                "ipv6_prefix": _text(e_raw, "ipv6_prefix", e_where, required=False, max_length=43),
                "microsoft_ipv4_address": _text(e_raw, "microsoft_ipv4_address", e_where),
                "microsoft_ipv6_address": (
                    _text(e_raw, "microsoft_ipv6_address", e_where, required=False) or None
                ),
                "source": _source(e_raw, e_where),
            }
            problems = exchange_problems(
                ipv4_prefix=row["ipv4_prefix"],
                ipv6_prefix=row["ipv6_prefix"],
                microsoft_ipv4_address=row["microsoft_ipv4_address"],
                microsoft_ipv6_address=row["microsoft_ipv6_address"],
            )
            _fail_problems(e_where, problems)
            # Store the canonical spelling, so a re-run compares equal to what the database holds.
            row["ipv4_prefix"] = str(ipaddress.ip_network(row["ipv4_prefix"]))
            if row["ipv6_prefix"]:
                row["ipv6_prefix"] = str(ipaddress.ip_network(row["ipv6_prefix"]))
            row["microsoft_ipv4_address"] = str(ipaddress.ip_address(row["microsoft_ipv4_address"]))
            if row["microsoft_ipv6_address"]:
                row["microsoft_ipv6_address"] = str(
                    ipaddress.ip_address(row["microsoft_ipv6_address"])
                )
            exchanges.append(row)

        metros.append(
            {
                "name": name,
                "country": country,
                "azure_region": region,
                "direct": facilities,
                "exchange": exchanges,
            }
        )
    return metros


def parse_service(data: Any, region_names: set[str]) -> tuple[list[dict], list[dict]]:
    kinds = PeeringServiceProvider.ProviderKind.values
    providers, seen = [], set()
    for index, raw in enumerate(_list(data, "providers", SERVICE_FILE)):
        where = f"{SERVICE_FILE} providers[{index}]"
        raw = _row(raw, where)
        name = _text(raw, "name", where, max_length=100)
        where = f"{where} ({name})"
        if name.lower() in seen:
            _fail(where, f"provider {name} is listed twice.")
        seen.add(name.lower())
        kind = raw.get("kind")
        if kind not in kinds:
            _fail(where, f"'kind' must be one of {', '.join(kinds)}, not {kind!r}.")
        places = _list(raw, "peering_locations", where)
        if not all(isinstance(p, str) and p.strip() and len(p.strip()) <= 64 for p in places):
            _fail(where, "'peering_locations' must be a list of location names (1–64 characters).")
        places = [p.strip() for p in places]
        if len(set(places)) != len(places):
            _fail(where, "'peering_locations' lists a location twice.")
        providers.append({"name": name, "kind": kind, "peering_locations": places})

    locations, seen_places = [], set()
    for index, raw in enumerate(_list(data, "locations", SERVICE_FILE)):
        where = f"{SERVICE_FILE} locations[{index}]"
        raw = _row(raw, where)
        country = _text(raw, "country", where, max_length=64)
        state = _text(raw, "state", where, max_length=64)
        where = f"{where} ({state}, {country})"
        if (country, state) in seen_places:
            _fail(where, "this country and state are listed twice.")
        seen_places.add((country, state))
        region = _text(raw, "azure_region", where, required=False)
        if region and region not in region_names:
            _fail(where, f"azure_region {region!r} is not a known Azure region.")
        locations.append({"country": country, "state": state, "azure_region": region})
    return providers, locations


# --- Writing -------------------------------------------------------------------------------


def upsert(model: type[models.Model], lookup: dict, values: dict) -> tuple[models.Model, str]:
    """Create the row matching `lookup`, or update it when a value differs.

    Returns the row and what happened: "created", "updated" or "unchanged".
    """
    obj = model.objects.filter(**lookup).first()
    if obj is None:
        fields = {k: v for k, v in lookup.items() if "__" not in k}
        return model.objects.create(**fields, **values), "created"
    changed = [name for name, value in values.items() if getattr(obj, name) != value]
    if not changed:
        return obj, "unchanged"
    for name in changed:
        setattr(obj, name, values[name])
    obj.save(update_fields=changed)
    return obj, "updated"


class Command(BaseCommand):
    help = (
        "Load Azure regions, peering locations (facilities and exchanges) and Peering Service "
        "providers and locations from JSON. Idempotent: running it again changes nothing."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--path",
            type=Path,
            default=DEFAULT_DIR,
            help=(
                f"Directory holding {REGIONS_FILE}, {LOCATIONS_FILE} and {SERVICE_FILE} "
                "(default: peering/reference_data/)."
            ),
        )

    def handle(self, *args, path: Path, **options):
        directory = Path(path)
        if not directory.is_dir():
            raise CommandError(f"{directory} is not a directory.")
        regions = parse_regions(_read_json(directory / REGIONS_FILE))
        region_names = {row["name"] for row in regions}
        # Regions an operator added by hand count as known too.
        region_names |= set(AzureRegion.objects.values_list("name", flat=True))
        metros = parse_locations(_read_json(directory / LOCATIONS_FILE), region_names)
        providers, service_locations = parse_service(
            _read_json(directory / SERVICE_FILE), region_names
        )

        counts: dict[str, Counter] = {}

        def load(label: str, model, lookup: dict, values: dict):
            """`upsert` one row, counted under `label`."""
            obj, outcome = upsert(model, lookup, values)
            counts.setdefault(label, Counter())[outcome] += 1
            return obj

        places = (
            ("direct", DirectFacility, "Direct facilities"),
            ("exchange", Exchange, "Exchanges"),
        )
        with transaction.atomic():
            for row in regions:
                load(
                    "Azure regions",
                    AzureRegion,
                    {"name": row["name"]},
                    {"display_name": row["display_name"], "geography": row["geography"]},
                )
            region_by_name = {r.name: r for r in AzureRegion.objects.all()}

            for metro in metros:
                location = load(
                    "Peering locations",
                    PeeringLocation,
                    {"name__iexact": metro["name"]},
                    {
                        "name": metro["name"],
                        "country": metro["country"],
                        "azure_region": region_by_name.get(metro["azure_region"]),
                    },
                )
                for key, model, label in places:
                    for row in metro[key]:
                        values = {k: v for k, v in row.items() if k != "name"}
                        load(label, model, {"location": location, "name": row["name"]}, values)

            for row in providers:
                provider = load(
                    "Peering Service providers",
                    PeeringServiceProvider,
                    {"name__iexact": row["name"]},
                    {"name": row["name"], "kind": row["kind"]},
                )
                for place in row["peering_locations"]:
                    load(
                        "Provider peering locations",
                        PeeringServiceProviderLocation,
                        {"provider": provider, "name": place},
                        {},
                    )

            for row in service_locations:
                load(
                    "Peering Service locations",
                    PeeringServiceLocation,
                    {"country": row["country"], "state": row["state"]},
                    {"azure_region": region_by_name.get(row["azure_region"])},
                )

        self.stdout.write(f"Reference data from {directory}:")
        width = max(len(label) for label in counts) if counts else 0
        for label, tallies in counts.items():
            total = sum(tallies.values())
            self.stdout.write(
                f"  {label:<{width}}  {total:>4}  ({tallies['created']} created, "
                f"{tallies['updated']} updated, {tallies['unchanged']} unchanged)"
            )
        self.stdout.write(self.style.SUCCESS("Reference data loaded."))
