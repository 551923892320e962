"""Bulk writes for imports: COPY on PostgreSQL, batched INSERTs elsewhere."""

from django.db import connection as db_connection
from django.db.models import BooleanField
from django.db.models.expressions import RawSQL


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


def among(queryset, field: str, values, *, chunk: int = 2000):
    """`queryset` narrowed to rows whose `field` is one of `values`, as a list of querysets
    to read in turn. PostgreSQL gets one, with the values as a single array parameter
    (`= ANY(%s)`): Django's IN sends one parameter per value, and preparing and binding
    thousands of them costs more than the index lookups. Elsewhere one IN (…) per chunk."""
    values = sorted(set(values))
    if db_connection.vendor != "postgresql":
        return [
            queryset.filter(**{f"{field}__in": values[start : start + chunk]})
            for start in range(0, len(values), chunk)
        ]
    if not values:
        return []
    model_field = queryset.model._meta.get_field(field)
    column = f'"{queryset.model._meta.db_table}"."{model_field.column}"'
    array = f"{model_field.cast_db_type(db_connection)}[]"
    # The column and its type come from the model; the values are one bound parameter.
    match = RawSQL(f"{column} = ANY(%s::{array})", (values,), output_field=BooleanField())  # noqa: S611
    return [queryset.filter(match)]
