"""Paging, the text filter (`?q=`), the sort (`?sort=`) and sortable column headers shared by
every list page."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import reduce
from operator import or_

from django.core.exceptions import EmptyResultSet
from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import BooleanField, F, Func, Q, QuerySet, Subquery
from django.http import HttpRequest

PAGE_SIZE = 50
QUERY_MAX_LENGTH = 64  # the filter inputs' maxlength (portal/_search_filter.html)


def paginate(
    request: HttpRequest,
    queryset: QuerySet,
    per_page: int = PAGE_SIZE,
    *,
    number: int | None = None,
) -> Page:
    """Page `?page=` of the queryset (or page `number` when the request names none); a bad or
    out-of-range number gives the nearest page."""
    return Paginator(queryset, per_page).get_page(request.GET.get("page") or number)


class KeyedRows:
    """Rows for `paginate` read as a "deferred join": `keys` — the table alone, filtered and
    ordered, joined only where a filter or the order needs it — is what is counted and what
    the page's LIMIT/OFFSET walks; `rows` (the same table with the page's joins and columns)
    is read for those keys only, in the same order, in the same query (`pk IN (keys LIMIT n
    OFFSET m)`). A COUNT or an OFFSET over the joined rows pays for the joins of every row of
    the table; on the table alone they walk one index. `rows` may instead be a function given
    the page's keys (`keys.values("pk")[…]`, ordered) that reads them in that order, in one
    query (a selector's SQL statement, `portal.sql`)."""

    def __init__(self, keys: QuerySet, rows: QuerySet | Callable[[QuerySet], list]):
        self.keys = keys
        self.rows = rows
        self.ordered = keys.ordered

    def count(self) -> int:
        return self.keys.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list:
        page = self.keys.values("pk")[index]
        if not isinstance(self.rows, QuerySet):
            return self.rows(page)
        return list(
            self.rows.filter(PkInKeys(F("pk"), Subquery(page))).order_by(*self.keys.query.order_by)
        )


class PkInKeys(Func):
    """`pk IN (the page's keys)` as `KeyedRows` reads it, written by `in_keys`."""

    output_field = BooleanField()

    def as_sql(self, compiler, connection, **extra):
        column, keys = self.get_source_expressions()
        column_sql, column_params = compiler.compile(column)
        keys_sql, keys_params = compiler.compile(keys)  # "(SELECT …)"
        return in_keys(column_sql, keys_sql[1:-1]), [*column_params, *keys_params]


def in_keys(column: str, keys: str) -> str:
    """The condition "`column` is one of the keys `keys` (a SELECT) gives": on PostgreSQL
    `column = ANY(ARRAY(keys))`, elsewhere `column IN (keys)`. As IN, PostgreSQL plans the
    keys' subquery (with the joins its order needs) together with the rows' joins: 7–10 ms
    planning the Peering Services page's rows, 1.3 ms with the keys as an array computed
    first (the same plan for the rows, the same result)."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(ARRAY({keys}))"
    return f"{column} IN ({keys})"


def order_by_sql(names: Iterable[str], columns: dict[str, str]) -> str:
    """An ORDER BY list for ordering `names` (as `order_by` takes them, `-` for descending),
    each written as `columns` names it in the statement."""
    return ", ".join(
        f"{columns[name.removeprefix('-')]}{' DESC' if name.startswith('-') else ''}"
        for name in names
    )


def keys_sql(keys: QuerySet, column: str, columns: dict[str, str]) -> tuple[str, list, str] | None:
    """For a `KeyedRows` function reading a page's rows in one SQL statement: the condition
    "`column` is one of the page's keys" with its parameters, and the keys' order as an ORDER
    BY list (`order_by_sql` of the names the keys are ordered by); the condition is `in_keys`'s.
    None when the page can hold nothing (`[0:0]`, a filter matching nothing)."""
    try:
        sql, params = keys.query.sql_with_params()
    except EmptyResultSet:
        return None
    return in_keys(column, sql), list(params), order_by_sql(keys.query.order_by, columns)


def search(
    request: HttpRequest,
    queryset: QuerySet,
    *fields: str,
    also: Callable[[str], Q | None] | None = None,
) -> tuple[QuerySet, str]:
    """The rows matching the request's `?q=` (trimmed, at most 64 characters): any of
    `fields` contains it (case-insensitive), or the condition `also(query)` gives (None: no
    other condition). Returns (queryset, query)."""
    query = request.GET.get("q", "").strip()[:QUERY_MAX_LENGTH]
    if not query:
        return queryset, query
    matches = [Q(**{f"{field}__icontains": query}) for field in fields]
    extra = also(query) if also is not None else None
    if extra is not None:
        matches.append(extra)
    return queryset.filter(reduce(or_, matches)), query


def sort_by(request: HttpRequest, queryset: QuerySet, sorts: dict, default: str):
    """`queryset` ordered by the request's `?sort=` (a key of `sorts`, `-` for descending; an
    unknown one is `default`), then by id so pages never overlap. Returns (queryset, sort).
    `sorts` maps each key to the fields it orders by; keep them indexed or cheap."""
    sort = sort_key(request, sorts, default)
    sign = "-" if sort.startswith("-") else ""
    order = [f"{sign}{name}" for name in sorts[sort.removeprefix("-")]]
    return queryset.order_by(*order, f"{sign}id"), sort


def sort_key(request: HttpRequest, sorts: dict, default: str) -> str:
    """The request's `?sort=` when it names a key of `sorts` (`-` for descending), else
    `default`: what `sort_by` orders by (a view whose sort needs more columns asks first)."""
    sort = request.GET.get("sort", "")
    return sort if sort.removeprefix("-") in sorts else default


def table_context(page: Page, query: str, sort: str) -> dict:
    """What a filtered, sorted list's template reads: the page, the filter text, the sort and
    whether a filter is on (its empty state then offers Clear filters)."""
    return {"page": page, "query": query, "sort": sort, "filtered": bool(query)}


@dataclass(frozen=True)
class SortColumn:
    """A table header: its label, the `sort` value its link asks for, and its aria-sort."""

    label: str
    key: str
    link_sort: str
    aria_sort: str


def sort_columns(current: str, columns: list[tuple[str, str]]) -> list[SortColumn]:
    """Headers for (label, key) pairs: clicking the sorted column flips its direction."""
    result = []
    for label, key in columns:
        if current == key:
            result.append(SortColumn(label, key, f"-{key}", "ascending"))
        elif current == f"-{key}":
            result.append(SortColumn(label, key, key, "descending"))
        else:
            result.append(SortColumn(label, key, key, "none"))
    return result
