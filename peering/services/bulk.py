"""Bulk writes for imports: COPY on PostgreSQL, batched INSERTs elsewhere."""

from django.db import connection as db_connection


def copy_rows(model, columns: list[str], rows, *, objects=None, batch_size: int = 5000) -> None:
    """Write `rows` (tuples in `columns` order) into `model`'s table. PostgreSQL streams them
    with COPY; other databases get `objects(rows)` (model instances) through bulk_create."""
    if db_connection.vendor == "postgresql":
        table = model._meta.db_table
        with (
            db_connection.cursor() as cursor,
            cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,  # noqa: S608
        ):
            for row in rows:
                copy.write_row(row)
        return
    model.objects.bulk_create(objects(rows), batch_size=batch_size)


#: A bulk write of at least this many rows refreshes the table's planner statistics.
ANALYZE_AFTER = 10_000


def analyze_after_bulk(model, rows: int) -> None:
    """PostgreSQL plans from statistics that a bulk load leaves stale (autovacuum may be slow,
    or off): after a large write, refresh them inside the writing transaction, so the first
    queries after the import (the validation of the affected prefixes) get index plans."""
    if db_connection.vendor == "postgresql" and rows >= ANALYZE_AFTER:
        with db_connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {model._meta.db_table}")
