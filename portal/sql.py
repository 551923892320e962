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
from functools import cache

from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import Field, Model


def columns(model: type[Model], alias: str = "") -> str:
    """The model's concrete columns, quoted, for a SELECT list (`alias.` before each)."""
    quote = connection.ops.quote_name
    prefix = f"{quote(alias)}." if alias else ""
    return ", ".join(f"{prefix}{quote(field.column)}" for field in model._meta.concrete_fields)


def _converters(fields: Sequence[Field | None], db) -> list[tuple[int, list, object]]:
    converters = []
    for index, field in enumerate(fields):
        if field is None:
            continue
        column = field.get_col(field.model._meta.db_table)
        found = db.ops.get_db_converters(column) + column.get_db_converters(db)
        if found:
            converters.append((index, found, column))
    return converters


def fetch(
    sql: str, params: Sequence, fields: Sequence[Field | None], converters: list | None = None
) -> list[list]:
    """The rows of `sql`, each a list whose column i is converted as the ORM converts
    `fields[i]` (None: as the database driver returns it); `converters`: those of `fields`
    worked out before (`Joined` keeps its own)."""
    db = connections[DEFAULT_DB_ALIAS]
    with db.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if converters is None:
        converters = _converters(fields, db)
    if not converters:
        return [list(row) for row in rows]
    result = []
    for row in rows:
        row = list(row)
        for index, functions, column in converters:
            value = row[index]
            for function in functions:
                value = function(value, column, db)
            row[index] = value
        result.append(row)
    return result


def instance[M: Model](model: type[M], values: Sequence) -> M:
    """A model instance from its concrete fields' values in `_meta` order (as `columns` lists
    them), marked as read from the database."""
    return model.from_db(DEFAULT_DB_ALIAS, _attnames(model), values)


@cache
def _attnames(model: type[Model]) -> list[str]:
    return [field.attname for field in model._meta.concrete_fields]


def model_fields(model: type[Model]) -> list[Field]:
    """The fields `columns(model)` selects, for `fetch`."""
    return list(model._meta.concrete_fields)


def db_value(field: Field, value: object) -> object:
    """A parameter for a column of `field` as the ORM would send it (a UUID is hex text on
    SQLite)."""
    return field.get_db_prep_value(value, connection)


class Joined:
    """A model's row and the to-one relations `select_related(*related)` would join, written
    as SQL: `select()` lists the columns (the model's, then each relation's), `joins()` the
    joins (LEFT for a nullable key), and `read(row, start)` turns the columns back into the
    instance with each relation set, as select_related sets it (None where the key is)."""

    def __init__(
        self,
        model: type[Model],
        alias: str,
        related: Sequence[str] = (),
        extra: Sequence[str] = (),
    ):
        self.model = model
        self.alias = alias
        # More expressions selected after the columns (a correlated count …): row[size:].
        self.extra = list(extra)
        self.related = [(name, model._meta.get_field(name)) for name in related]
        self.width = len(model._meta.concrete_fields)
        self.parts = [
            (name, field.related_model, len(field.related_model._meta.concrete_fields))
            for name, field in self.related
        ]
        self.size = self.width + sum(width for _, _, width in self.parts)
        self._fields: list[Field] | None = None
        self._queries: dict[str, str] = {}
        self._converters: list | None = None

    def query(self, where: str) -> str:
        """SELECT the row and its relations FROM the model's table (aliased) and the joins,
        then `where` (conditions, ORDER BY …: parameters as %s); built once per statement."""
        key = where
        if key not in self._queries:
            table = connection.ops.quote_name(self.model._meta.db_table)
            self._queries[key] = (
                f"SELECT {self.select()} FROM {table} {self.alias} {self.joins()} {where}"  # noqa: S608 — names from the models' metadata
            )
        return self._queries[key]

    def rows(self, where: str, params: Sequence) -> list[list]:
        """`fetch` of `query(where)`."""
        if self._converters is None:
            self._converters = _converters(self.fields(), connections[DEFAULT_DB_ALIAS])
        return fetch(self.query(where), params, self.fields(), self._converters)

    def _alias(self, name: str) -> str:
        return f"{self.alias}_{name}"

    def select(self) -> str:
        return ", ".join(
            [
                columns(self.model, self.alias),
                *(columns(field.related_model, self._alias(name)) for name, field in self.related),
                *self.extra,
            ]
        )

    def joins(self) -> str:
        quote = connection.ops.quote_name
        joins = []
        for name, field in self.related:
            kind = "LEFT OUTER JOIN" if field.null else "INNER JOIN"
            target = field.target_field
            alias = quote(self._alias(name))
            joins.append(
                f"{kind} {quote(field.related_model._meta.db_table)} {alias} "
                f"ON {alias}.{quote(target.column)} = {quote(self.alias)}.{quote(field.column)}"
            )
        return "\n".join(joins)

    def fields(self) -> list[Field]:
        if self._fields is None:
            self._fields = self._all_fields()
        return self._fields

    def _all_fields(self) -> list[Field]:
        return [
            *model_fields(self.model),
            *(field for _, model, _ in self.parts for field in model_fields(model)),
            *([None] * len(self.extra)),
        ]

    def read(self, row: Sequence, start: int = 0) -> Model:
        obj = instance(self.model, row[start : start + self.width])
        at = start + self.width
        for (_name, field), (_, model, width) in zip(self.related, self.parts, strict=True):
            values = row[at : at + width]
            at += width
            if getattr(obj, field.attname) is None:
                field.set_cached_value(obj, None)
            else:
                field.set_cached_value(obj, instance(model, values))
        return obj


def icontains(column: str, value: str) -> tuple[str, str]:
    """The condition and the parameter of the ORM's `column__icontains=value` on this database
    (the same SQL Django writes: the same case folding, the same escaping of % and _)."""
    db = connections[DEFAULT_DB_ALIAS]
    lhs = db.ops.lookup_cast("icontains", "CharField") % column
    return f"{lhs} {db.operators['icontains'] % '%s'}", f"%{db.ops.prep_for_like_query(value)}%"


class Rows:
    """A list's rows for `portal.tables.paginate` as one SQL statement: `count()` is
    COUNT(*) over `FROM … WHERE …` alone, a slice reads that window of the ordered rows
    (LIMIT/OFFSET), iterating reads them all. `read` turns a fetched row into what the
    template shows."""

    ordered = True

    def __init__(self, joined: Joined, where: str, params: Sequence, order_by: str, read=None):
        self.joined = joined
        self.where = where
        self.params = list(params)
        self.order_by = order_by
        self.read = read or joined.read

    def count(self) -> int:
        table = connection.ops.quote_name(self.joined.model._meta.db_table)
        sql = f"SELECT COUNT(*) FROM {table} {self.joined.alias} {self.where}"  # noqa: S608 — names from the models' metadata
        return fetch(sql, self.params, [None])[0][0]

    def __len__(self) -> int:
        return self.count()

    def _rows(self, tail: str, params: Sequence) -> list:
        rows = self.joined.rows(f"{self.where} ORDER BY {self.order_by}{tail}", params)
        return [self.read(row) for row in rows]

    def __getitem__(self, index: slice) -> list:
        start, stop = index.start or 0, index.stop
        if stop is None:
            return list(self)[start:]
        return self._rows(" LIMIT %s OFFSET %s", [*self.params, stop - start, start])

    def __iter__(self):
        return iter(self._rows("", self.params))
