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
