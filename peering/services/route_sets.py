"""A connection's received routes replaced as BGP does it: by the difference.

An import writes the file's routes into a temporary staging table (COPY on PostgreSQL), then
compares it with the stored routes of the same connections in one FULL JOIN. A stored route with
no equal route in the file is withdrawn (deleted); a route of the file with no equal stored route
is new (inserted); every other stored row stays as it is.
A re-import of an identical table so writes nothing, and the prefix events and re-validation
follow from the few rows that did change.

Two routes are equal when they agree on every column of `SAME_ROUTE` (the origin follows from the
AS path). `received_at` is when the route was first received: a line without one leaves an equal
stored route's time as it is (its staging row holds NULL); a line that gives one sets it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from django.db import connection as db_connection

from peering.models import PeeringServicePrefix, ReceivedRoute

#: The columns an import writes, in the order of its rows.
COLUMNS = (
    "connection_id",
    "prefix",
    "next_hop",
    "as_path",
    "origin_as",
    "communities",
    "large_communities",
    "origin_as_validation_state",
    "rpki_validation_state",
    "reported_rpki_state",
    "trust_anchor",
    "received_at",
)
#: What makes a stored route the same as a route of the file: every column but the origin,
#: which follows from the AS path, the RPKI state, which follows from prefix, origin and the
#: VRPs (kept current by the VRP import), and the time.
SAME_ROUTE = tuple(
    c for c in COLUMNS if c not in ("origin_as", "rpki_validation_state", "received_at")
)
STAGING = "received_route_staging"  # every route of the file
DIFF = "received_route_diff"  # the stored routes the file lacks (gone_id) and its new ones
STATES = "received_route_states"  # the RPKI state of each (prefix, origin) of the new ones
ROUTES = ReceivedRoute._meta.db_table


@dataclass
class Difference:
    """The prefixes one connection's import announces, withdraws, or changes the origin of."""

    announced: list[str] = field(default_factory=list)
    withdrawn: list[str] = field(default_factory=list)
    origin_changed: list[str] = field(default_factory=list)


def staging_create() -> None:
    """An empty staging table with the routes' column types, for this transaction."""
    with db_connection.cursor() as cursor:
        for table in (STAGING, DIFF, STATES):
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {STAGING} AS "  # noqa: S608
            f"SELECT {', '.join(COLUMNS)} FROM {ROUTES} LIMIT 0"
        )


def staging_copy_sql() -> str:
    return f"COPY {STAGING} ({', '.join(COLUMNS)}) FROM STDIN"


def direct_copy_sql() -> str:
    """A connection without stored routes takes the file's rows straight: nothing to compare."""
    return f"COPY {ROUTES} ({', '.join(COLUMNS)}) FROM STDIN"


def staging_insert(rows: list[tuple], *, direct: bool = False) -> None:
    """Rows in COLUMNS order into the staging table (or, `direct`, the routes), prepared as
    the model's fields store them (the path for databases without COPY)."""
    fields = [ReceivedRoute._meta.get_field(c.removesuffix("_id")) for c in COLUMNS]
    prepared = [
        [f.get_db_prep_save(v, connection=db_connection) for f, v in zip(fields, row, strict=True)]
        for row in rows
    ]
    marks = ", ".join(["%s"] * len(COLUMNS))
    with db_connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {ROUTES if direct else STAGING} ({', '.join(COLUMNS)}) "  # noqa: S608
            f"VALUES ({marks})",
            prepared,
        )


def _same(stored: str, given: str) -> str:
    """SQL: the stored route `stored` is the route `given` of the file."""
    return " AND ".join(f"{stored}.{c} = {given}.{c}" for c in SAME_ROUTE)


def differences_find(connection_ids: list[int]) -> None:
    """Fill the difference table for these connections: one pass over both sets (a hash join
    on PostgreSQL), nothing written to the routes yet."""
    marks = ", ".join(["%s"] * len(connection_ids)) or "NULL"  # none: compares nothing
    both = ("connection_id", "prefix", "origin_as")
    either = ", ".join(f"COALESCE(r.{c}, s.{c}) AS {c}" for c in both)
    given = ", ".join(f"s.{c}" for c in COLUMNS if c not in both)
    with db_connection.cursor() as cursor:
        if db_connection.vendor == "postgresql":
            # The join hashes the connections' whole tables: let it do so in memory.
            cursor.execute("SET LOCAL work_mem = '256MB'")
            cursor.execute(f"ANALYZE {STAGING}")
        cursor.execute(
            f"CREATE TEMPORARY TABLE {DIFF} AS SELECT r.id AS gone_id, {either}, {given} "  # noqa: S608
            f"FROM (SELECT * FROM {ROUTES} WHERE connection_id IN ({marks})) AS r "
            f"FULL JOIN {STAGING} s ON {_same('r', 's')} "
            "WHERE r.id IS NULL OR s.connection_id IS NULL",
            connection_ids,
        )


def _sides() -> str:
    """SQL: every row of the changing prefixes before (n_old) and after (n_new) the import:
    the stored rows of the prefixes the difference touches, each gone or kept, and the new
    rows."""
    return (
        f"WITH touched AS (SELECT DISTINCT connection_id, prefix FROM {DIFF}), "  # noqa: S608
        f"gone AS (SELECT gone_id FROM {DIFF} WHERE gone_id IS NOT NULL), "
        "sides AS ("
        " SELECT r.connection_id, r.prefix, r.origin_as,"
        "  CASE WHEN g.gone_id IS NULL THEN 1 ELSE 0 END AS n_new, 1 AS n_old"
        f" FROM {ROUTES} r JOIN touched t"
        "  ON t.connection_id = r.connection_id AND t.prefix = r.prefix"
        " LEFT JOIN gone g ON g.gone_id = r.id"
        " UNION ALL SELECT connection_id, prefix, origin_as, 1, 0"
        f" FROM {DIFF} WHERE gone_id IS NULL)"
    )


def differences() -> dict[int, Difference]:
    """Per connection, the prefixes announced, withdrawn and with another origin: the
    (prefix, origin) pairs present before or after only, in one statement for every
    connection of the import."""
    found: dict[int, Difference] = defaultdict(Difference)
    # A first import changes every prefix of a full table: the rows are streamed (a
    # server-side cursor on PostgreSQL), not held all at once.
    with db_connection.chunked_cursor() as cursor:
        cursor.execute(
            f"{_sides()}, pairs AS (SELECT connection_id, prefix, origin_as,"  # noqa: S608
            " SUM(n_new) AS n_new, SUM(n_old) AS n_old FROM sides"
            " GROUP BY connection_id, prefix, origin_as) "
            "SELECT connection_id, prefix, SUM(n_new), SUM(n_old) FROM pairs "
            "GROUP BY connection_id, prefix "
            "HAVING SUM(CASE WHEN n_new = 0 OR n_old = 0 THEN 1 ELSE 0 END) > 0 "
            "ORDER BY connection_id, prefix"
        )
        while rows := cursor.fetchmany(10000):
            for connection_id, prefix, after, before in rows:
                difference = found[connection_id]
                if not before:
                    difference.announced.append(prefix)
                elif not after:
                    difference.withdrawn.append(prefix)
                else:
                    difference.origin_changed.append(prefix)
    return found


def first_set(connection_id: int) -> tuple[Difference, tuple[dict, dict]]:
    """A connection's first routes (written straight, see `direct_copy_sql`): every prefix is
    announced; the current origins of the prefixes customers hold. Streamed, as
    `differences`."""
    difference = Difference()
    with db_connection.chunked_cursor() as cursor:
        cursor.execute(
            f"SELECT DISTINCT prefix FROM {ROUTES} WHERE connection_id = %s ORDER BY prefix",  # noqa: S608
            [connection_id],
        )
        while rows := cursor.fetchmany(10000):
            difference.announced.extend(prefix for (prefix,) in rows)
    current: dict[str, set] = defaultdict(set)
    held, params = _held_prefixes()
    with db_connection.cursor() as cursor:
        cursor.execute(
            f"SELECT prefix, origin_as FROM {ROUTES} WHERE connection_id = %s "  # noqa: S608
            f"AND prefix {held}",
            [connection_id, *params],
        )
        for prefix, origin in cursor.fetchall():
            current[prefix].add(origin)
    return difference, (defaultdict(set), current)


def _held_prefixes() -> tuple[str, list]:
    """SQL matching a prefix that a customer holds as a Peering Service prefix, and its
    parameters. On PostgreSQL the texts are one array parameter (a hashed `= ANY`): the
    subquery `IN (SELECT prefix FROM …)`, planned from the statistics of routes a COPY has just
    written (none yet for a new connection), became a nested loop over every customer prefix
    for every route — 434 s for a first import of 200,000 routes with 40,000 prefixes held."""
    table = PeeringServicePrefix._meta.db_table
    if db_connection.vendor != "postgresql":
        return f"IN (SELECT prefix FROM {table})", []  # noqa: S608
    with db_connection.cursor() as cursor:
        cursor.execute(f"SELECT DISTINCT prefix FROM {table}")  # noqa: S608
        return "= ANY(%s::varchar[])", [[prefix for (prefix,) in cursor.fetchall()]]


def held_origins() -> dict[int, tuple[dict[str, set], dict[str, set]]]:
    """Per connection, the (previous, current) origins of each changing prefix that a customer
    holds as a Peering Service prefix (the ones that get prefix events)."""
    found: dict[int, tuple[dict, dict]] = defaultdict(lambda: (defaultdict(set), defaultdict(set)))
    held, params = _held_prefixes()
    with db_connection.cursor() as cursor:
        cursor.execute(
            f"{_sides()} SELECT s.connection_id, s.prefix, s.origin_as, s.n_new, s.n_old "  # noqa: S608
            f"FROM sides s WHERE s.prefix {held}",
            params,
        )
        for connection_id, prefix, origin, after, before in cursor.fetchall():
            previous, current = found[connection_id]
            if before:
                previous[prefix].add(origin)
            if after:
                current[prefix].add(origin)
    return found


def new_pairs() -> list[tuple[str, int | None]]:
    """The (prefix, origin) pairs of the new routes, each once."""
    with db_connection.cursor() as cursor:
        cursor.execute(
            f"SELECT DISTINCT prefix, origin_as FROM {DIFF} WHERE gone_id IS NULL"  # noqa: S608
        )
        return cursor.fetchall()


def _states_write(cursor, states: dict) -> None:
    """The RPKI state per (prefix, origin) into their work table (origin NONE as -1, so that
    the join stays an equality)."""
    cursor.execute(
        f"CREATE TEMPORARY TABLE {STATES} "
        "(prefix varchar(43) NOT NULL, origin_key bigint NOT NULL, state varchar(16) NOT NULL)"
    )
    rows = ((p, -1 if origin is None else origin, state) for (p, origin), state in states.items())
    if db_connection.vendor == "postgresql":
        with cursor.cursor.copy(f"COPY {STATES} (prefix, origin_key, state) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    else:
        cursor.executemany(f"INSERT INTO {STATES} VALUES (%s, %s, %s)", rows)  # noqa: S608
    if db_connection.vendor == "postgresql":
        cursor.execute(f"ANALYZE {STATES}")


def differences_apply(now, states: dict, *, times_given: bool) -> int:
    """Delete the gone rows, insert the new ones with their RPKI `states` (by prefix and
    origin) and stamped `now` unless the line gave a time, set the times the file gave on
    equal routes, drop the work tables; the rows written."""
    now = ReceivedRoute._meta.get_field("received_at").get_db_prep_save(now, db_connection)
    stamped = ", ".join(
        "COALESCE(d.received_at, %s)"
        if c == "received_at"
        else "st.state"
        if c == "rpki_validation_state"
        else f"d.{c}"
        for c in COLUMNS
    )
    with db_connection.cursor() as cursor:
        _states_write(cursor, states)
        cursor.execute(
            f"DELETE FROM {ROUTES} WHERE id IN "  # noqa: S608
            f"(SELECT gone_id FROM {DIFF} WHERE gone_id IS NOT NULL)"
        )
        written = cursor.rowcount
        cursor.execute(
            f"INSERT INTO {ROUTES} ({', '.join(COLUMNS)}) "  # noqa: S608
            f"SELECT {stamped} FROM {DIFF} d JOIN {STATES} st ON st.prefix = d.prefix "
            "AND st.origin_key = COALESCE(d.origin_as, -1) WHERE d.gone_id IS NULL",
            [now],
        )
        written += cursor.rowcount
        if times_given:
            cursor.execute(
                f"UPDATE {ROUTES} AS r SET received_at = s.received_at FROM {STAGING} s "  # noqa: S608
                f"WHERE {_same('r', 's')} AND s.received_at IS NOT NULL "
                "AND r.received_at <> s.received_at"
            )
            written += cursor.rowcount
        for table in (STAGING, DIFF, STATES):
            cursor.execute(f"DROP TABLE {table}")
    return written
