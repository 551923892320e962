"""Paging and sortable column headers shared by every list page."""

from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest

PAGE_SIZE = 50


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
