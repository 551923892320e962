"""Routing benchmark (issue 9), on PostgreSQL: `make bench-routes` (not collected as a test).

Generates ROUTES received routes (default 1,000,000, spread over 5 connections of one provider)
and VRPS VRPs (default 500,000) synthetically, then prints:

* the route import (`manage.py import_received_routes`, in a child process): wall time and the
  import process's own peak memory (resource.getrusage(RUSAGE_SELF).ru_maxrss, in the child);
* the re-import of the same file;
* the VRP import (`manage.py import_vrps` of a changed set, recomputing every route's state);
* validation throughput (`prefix_validate`, evidence stored) with 1k and with 40k stored
  Peering Service prefixes;
* a new connection's first import (one connection's share of the routes) with those 40k
  prefixes held.

Sizes: BENCH_ROUTES, BENCH_VRPS, BENCH_SAMPLE (prefixes timed). The database is
DATABASE_URL (default postgres://postgres@127.0.0.1:5432/pp_routing); its tables are emptied.
"""

import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/pp_routing")
os.environ.setdefault("DJANGO_DEBUG", "1")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

ROUTES = int(os.environ.get("BENCH_ROUTES", "1000000"))
VRPS = int(os.environ.get("BENCH_VRPS", "500000"))
SAMPLE = int(os.environ.get("BENCH_SAMPLE", "1000"))
CONNECTIONS = 5
PROVIDER_ASN = 59999
ORIGINS = range(150000, 151000)  # registered customer ASNs


def ensure_database() -> None:
    import psycopg
    from django.conf import settings

    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        sys.exit("The routing benchmark runs on PostgreSQL: set DATABASE_URL.")
    with psycopg.connect(
        host=db["HOST"],
        port=db["PORT"] or 5432,
        user=db["USER"],
        dbname="postgres",
        autocommit=True,
    ) as conn:
        if not conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [db["NAME"]]
        ).fetchone():
            conn.execute(f'CREATE DATABASE "{db["NAME"]}"')


# Runs manage.py and reports the child's own peak RSS (children's ru_maxrss would be the
# largest child so far, not this one).
CHILD = (
    "import resource, runpy, sys\n"
    "sys.argv = sys.argv[1:]\n"
    "try:\n"
    "    runpy.run_path(sys.argv[0], run_name='__main__')\n"
    "finally:\n"
    "    usage = resource.getrusage(resource.RUSAGE_SELF)\n"
    "    print(f'PEAK_KB={usage.ru_maxrss}', file=sys.stderr)\n"
    "    print(f'CPU_S={usage.ru_utime + usage.ru_stime}', file=sys.stderr)\n"
)


def child(*args: str) -> tuple[float, float]:
    """Run manage.py in a child process: (seconds, the child's peak RSS in MB). The child's
    own CPU time and the load average are printed too: on a shared machine the wall time
    mostly measures the other processes."""
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(ROOT / "manage.py"), *args],
        check=True,
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
    )
    seconds = time.perf_counter() - start
    peak = [line for line in done.stderr.splitlines() if line.startswith("PEAK_KB=")]
    cpu = [line for line in done.stderr.splitlines() if line.startswith("CPU_S=")]
    if cpu:
        load = os.getloadavg()[0]
        print(
            f"  ({args[0]}: {float(cpu[-1].split('=')[1]):.1f} s CPU in the import process, "
            f"load average {load:.1f} on {os.cpu_count()} cores)"
        )
    return seconds, int(peak[-1].split("=")[1]) / 1024 if peak else float("nan")


def network(index: int, base: int) -> str:
    value = base + index * 256
    return f"{value >> 24}.{(value >> 16) & 255}.{(value >> 8) & 255}.0/24"


def main() -> None:
    import django

    django.setup()
    ensure_database()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from peering.enums import ConnectionState
    from peering.models import (
        PeeringServicePrefix,
        RegisteredAsn,
    )
    from peering.services.prefix_validation import (
        BATCH_SIZE,
        prefix_validate,
        prefixes_validate,
    )
    from tests import factories

    # The benchmark's database is its own: start from empty tables every time.
    tables = [
        "peering_receivedroute",
        "peering_vrp",
        "peering_aspa",
        "peering_vrpset",
        "peering_validationrun",
        "peering_prefixspan",
        "peering_prefixevent",
        "peering_peeringserviceprefix",
        "peering_peeringservice",
        "peering_registeredasn",
        "peering_registeredprefix",
        "peering_peeringconnection",
        "peering_peering",
        "peering_peerasn",
        "peering_peeringserviceprovider",
        "peering_peeringlocation",
        "peering_peeringservicelocation",
        "portal_activitylog",
        "portal_notification",
        "django_tasks_database_dbtaskresult",
    ]
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE")
    rng = random.Random(9)
    from django.contrib.auth import get_user_model

    get_user_model().objects.update_or_create(
        username="operator", defaults={"is_staff": True, "is_superuser": True}
    )
    world = factories.provider_world(announce=False, roa=False)
    # A third session in Seattle and a second in Ashburn: five connections in all.
    extra = [
        factories.PeeringConnectionFactory(
            peering=peering,
            direct_facility=sessions[0].direct_facility,
            connection_state=ConnectionState.ACTIVE,
            use_for_peering_service=True,
        )
        for peering, sessions in (
            (world.peering, world.primary_connections),
            (world.backup_peering, world.backup_connections),
        )
    ]
    connections = world.connections + extra
    assert len(connections) == CONNECTIONS
    registered = {world.registered.asn: world.registered}
    for asn in ORIGINS:
        if asn not in registered:
            registered[asn] = RegisteredAsn.objects.create(
                peering=world.peering, name=f"c{asn}", asn=asn
            )

    per_connection = ROUTES // CONNECTIONS
    prefixes = [network(i, 11 << 24) for i in range(per_connection)]
    origin_of = {p: rng.choice(ORIGINS) for p in prefixes}
    tmp = Path(tempfile.mkdtemp(prefix="routes-bench-"))
    routes_file = tmp / "routes.jsonl"
    with routes_file.open("w") as out:
        for connection_row in connections:
            ident = str(connection_row.connection_identifier)
            hop = connection_row.peer_session_ipv4_address or "192.0.2.1"
            for prefix in prefixes:
                out.write(
                    json.dumps(
                        {
                            "connection": ident,
                            "prefix": prefix,
                            "next_hop": hop,
                            "as_path": f"{PROVIDER_ASN} {origin_of[prefix]}",
                            "communities": ["8075:8007"],
                            "rpki_validation_state": "Valid",
                        }
                    )
                    + "\n"
                )

    def vrp_export(changed: float) -> Path:
        roas = []
        covered = min(len(prefixes), VRPS)
        for prefix in prefixes[:covered]:
            asn = origin_of[prefix] if rng.random() >= changed else 64999
            roas.append({"asn": asn, "prefix": prefix, "maxLength": 24, "ta": "arin"})
        for j in range(VRPS - covered):
            roas.append(
                {"asn": rng.randrange(1, 400000), "prefix": network(j, 60 << 24), "maxLength": 24}
            )
        path = tmp / f"vrps-{changed}.json"
        path.write_text(
            json.dumps({"metadata": {"buildtime": "2026-12-01T06:00:00Z"}, "roas": roas})
        )
        return path

    first_vrps = vrp_export(0.0)
    seconds, peak = child("import_vrps", str(first_vrps))
    print(f"VRP import, {VRPS} VRPs, no routes yet: {seconds:.1f} s, peak memory {peak:.0f} MB")

    seconds, peak = child("import_received_routes", str(routes_file))
    print(
        f"Route import, {ROUTES} routes ({CONNECTIONS} connections): {seconds:.1f} s, "
        f"peak memory {peak:.0f} MB (ru_maxrss of the import process)"
    )
    seconds, _ = child("import_received_routes", str(routes_file))
    print(f"Re-import of the same file: {seconds:.1f} s")

    changed_vrps = vrp_export(0.1)
    seconds, _ = child("import_vrps", str(changed_vrps))
    print(
        f"VRP import, {VRPS} VRPs (10% of route VRPs changed origin), recomputing "
        f"{ROUTES} route states: {seconds:.1f} s"
    )

    # Validation: customer prefixes of the provider, each redeemed with its origin's key.
    service = factories.PeeringServiceFactory(
        provider=world.provider, primary_location="Seattle", backup_location="Ashburn"
    )

    def store(count: int, start: int) -> list[int]:
        rows = [
            PeeringServicePrefix(
                peering_service=service,
                name=f"p{start + i}",
                prefix=prefixes[start + i],
                prefix_key=str(registered[origin_of[prefixes[start + i]]].prefix_key),
                validation_state="Verified",
            )
            for i in range(count)
        ]
        created = PeeringServicePrefix.objects.bulk_create(rows, batch_size=5000)
        from peering.models import PrefixSpan
        from peering.models.peering_service import ipv4_span

        spans = []
        for row in created:
            cidr, first, last = ipv4_span(row.prefix)
            spans.append(PrefixSpan(prefix_id=row.pk, cidr=cidr, start=first, end=last))
        PrefixSpan.objects.bulk_create(spans, batch_size=5000)
        # Customers add prefixes one by one and autovacuum keeps the statistics; this bulk
        # load does it at once, so it refreshes them as autovacuum would (the server may run
        # with autovacuum off). The importers refresh theirs themselves.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE peering_peeringserviceprefix, peering_prefixspan")
        return [row.pk for row in created]

    def time_validation(ids: list[int]) -> tuple[float, float, float]:
        """(prefixes/s in batches, as re-validation after an import runs; this process's CPU
        ms per prefix in them; ms for one prefix alone, as after a customer adds it)."""
        sample = rng.sample(ids, min(SAMPLE, len(ids)))
        start, cpu = time.perf_counter(), time.process_time()
        prefixes_validate(prefix_ids=sample)
        rate = len(sample) / (time.perf_counter() - start)
        cpu_ms = (time.process_time() - cpu) / len(sample) * 1000
        alone = sample[:50]
        start = time.perf_counter()
        for pk in alone:
            prefix_validate(prefix_id=pk)
        return rate, cpu_ms, (time.perf_counter() - start) / len(alone) * 1000

    # A worker has resolved URLs before (each state change links its prefix): not timed here.
    from django.urls import reverse

    reverse("admin:index")
    stored = store(1000, 0)
    for label in ("1,000", None):
        if label is None:
            stored += store(min(40000, len(prefixes)) - 1000, 1000)
            label = f"{len(stored):,}"
        rate, cpu_ms, alone = time_validation(stored)
        print(
            f"Validation with {label} stored prefixes: {rate:.0f} prefixes/s in batches of "
            f"{BATCH_SIZE} ({1000 / rate:.2f} ms each, {cpu_ms:.2f} ms of it CPU in this "
            f"process; load average {os.getloadavg()[0]:.1f}); one prefix alone {alone:.1f} ms"
        )

    # A new connection's first routes (written straight, nothing to compare) with the 40k
    # customer prefixes held: each held prefix it announces gets its prefix event.
    fresh = factories.PeeringConnectionFactory(
        peering=world.peering,
        direct_facility=world.primary_connections[0].direct_facility,
        connection_state=ConnectionState.ACTIVE,
        use_for_peering_service=True,
    )
    fresh_file = tmp / "fresh.jsonl"
    with routes_file.open() as source, fresh_file.open("w") as out:
        ident = str(connections[0].connection_identifier)
        for line in source:
            if ident not in line:
                break
            out.write(line.replace(ident, str(fresh.connection_identifier)))
    seconds, peak = child("import_received_routes", str(fresh_file))
    print(
        f"First import on a new connection, {per_connection} routes, {len(stored):,} customer "
        f"prefixes held: {seconds:.1f} s, peak memory {peak:.0f} MB"
    )


if __name__ == "__main__":
    main()
