"""A hot read written once in SQL, read back as the ORM reads it.

Every page pays for a few reads (the caller's roles, a page's rows) whose ORM queries cost more
to build and compile in Python (filters, joins, annotations, select_related) than the database
takes to answer them. A selector may write such a read as one parameterised SQL statement and
read its rows here: each column goes through the same converters the ORM would apply for the
model field it comes from (SQLite's text datetimes and hex UUIDs, a field's `from_db_value`),
so the values are the ones a queryset gives on either database. The statement stays in its
selector, scoped exactly as the queryset was; parameters are always passed separately.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection
from django.db.models import Field, Model


def columns(model: type[Model], alias: str = "") -> str:
    """The model's concrete columns, quoted, for a SELECT list (`alias.` before each)."""
    quote = connection.ops.quote_name
    prefix = f"{quote(alias)}." if alias else ""
    return ", ".join(f"{prefix}{quote(field.column)}" for field in model._meta.concrete_fields)


def _converters(fields: Sequence[Field | None]) -> list[tuple[int, list, object]]:
    converters = []
    for index, field in enumerate(fields):
        if field is None:
            continue
        column = field.get_col(field.model._meta.db_table)
        found = connection.ops.get_db_converters(column) + column.get_db_converters(connection)
        if found:
            converters.append((index, found, column))
    return converters


def fetch(sql: str, params: Sequence, fields: Sequence[Field | None]) -> list[list]:
    """The rows of `sql`, each a list whose column i is converted as the ORM converts
    `fields[i]` (None: as the database driver returns it)."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    converters = _converters(fields)
    if not converters:
        return [list(row) for row in rows]
    result = []
    for row in rows:
        row = list(row)
        for index, functions, column in converters:
            value = row[index]
            for function in functions:
                value = function(value, column, connection)
            row[index] = value
        result.append(row)
    return result


def instance[M: Model](model: type[M], values: Sequence) -> M:
    """A model instance from its concrete fields' values in `_meta` order (as `columns` lists
    them), marked as read from the database."""
    return model.from_db(
        connection.alias, [field.attname for field in model._meta.concrete_fields], values
    )


def model_fields(model: type[Model]) -> list[Field]:
    """The fields `columns(model)` selects, for `fetch`."""
    return list(model._meta.concrete_fields)


def db_value(field: Field, value: object) -> object:
    """A parameter for a column of `field` as the ORM would send it (a UUID is hex text on
    SQLite)."""
    return field.get_db_prep_value(value, connection)
