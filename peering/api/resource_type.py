"""The ARM operations of a resource type, written once: GET, PUT, DELETE, PATCH of the tags, and
the lists of its collection, with the same answers for every type (PUT 201 or 200, DELETE 200
or 204, a list page with nextLink).

What differs between types is how a resource is found, and that is all a type declares:
`parent(call, write)` reads what the resource lives in (its subscription, or the peering or
Peering Service above it) and refuses the caller (404 / 403) before anything else is read;
`child(call, parent)` reads the resource in that parent (Http404 when there is none, which a
DELETE answers with 204). Each operation's handler is a function of one `Call`; the signature
ninja documents is built from the path's parameters and the query parameters of `options`.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from types import SimpleNamespace
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router
from pydantic import BaseModel

from peering.api.audit import api_write
from peering.api.body import parse_body
from peering.api.lookups import arm_delete, arm_saved, existing_group
from peering.api.paging import arm_page
from peering.api.routing import arm, arm_json
from peering.api.schemas import TagsBody
from portal.selectors import subscription_for_user


@dataclass(frozen=True)
class Call:
    """One call of an operation: the request, its path's parameters by name (`path.name` …)
    and what the operation's `options` made of its query parameters."""

    request: HttpRequest
    path: SimpleNamespace
    options: Any = None

    @property
    def user(self):
        return self.request.user

    def with_path(self, **changed: str) -> Call:
        return replace(self, path=SimpleNamespace(**{**vars(self.path), **changed}))


def operation(
    router: Router,
    method: str,
    path: str,
    *,
    operation_id: str,
    summary: str,
    doc: str,
    run: Callable[[Call], HttpResponse],
    options: Callable[..., Any] | None = None,
    body: type[BaseModel] | None = None,
) -> None:
    """Register `run` for `method path` (through `arm`). `options`, when given, declares the
    operation's query parameters by its own parameters (ninja `Query(...)` defaults) and runs
    first, so a bad query parameter is a 400 before any lookup."""
    names = re.findall(r"{(\w+)}", path)
    query = list(inspect.signature(options).parameters.values()) if options else []

    def handler(request: HttpRequest, **values: str) -> HttpResponse:
        given = {parameter.name: values.pop(parameter.name) for parameter in query}
        made = options(**given) if options else None
        return run(Call(request, SimpleNamespace(**values), made))

    keyword = inspect.Parameter.POSITIONAL_OR_KEYWORD
    handler.__signature__ = inspect.Signature(
        [
            inspect.Parameter("request", keyword, annotation=HttpRequest),
            *(inspect.Parameter(name, keyword, annotation=str) for name in names),
            *query,
        ]
    )
    handler.__doc__ = doc
    handler.__name__ = handler.__qualname__ = operation_id
    extra = {"body": body} if body else {}
    arm(router, method, path, operation_id=operation_id, summary=summary, **extra)(handler)


def in_subscription(call: Call, write: bool):
    """The parent of a resource directly in a subscription (a Peer ASN, a peering, a Peering
    Service): the call's subscription, 404 without a role on it, 403 for a Reader's write."""
    return subscription_for_user(
        user=call.user, subscription_id=call.path.subscription_id, write=write
    )


@dataclass(frozen=True)
class ResourceType:
    """A Microsoft.Peering resource type: one resource's `path` (ending in `{name}`), its
    operation group (`RegisteredAsns` → `RegisteredAsns_Get`, `_CreateOrUpdate`, `_Delete`,
    `_Update`), its JSON, and `find`, its selector.

    A type directly in a subscription (Peer ASNs; peerings and Peering Services, in a resource
    group) is found by `find(user=…, <the path's parameters>)`, once the subscription is read.
    A type `under` another (a peering's registered ASNs, a Peering Service's prefixes) names
    its parent in the path as `{<keyword>_name}` and is found by `find(<keyword>=parent,
    name=…)`; its services take the parent by the same keyword. `paths` maps a write's field
    keys to ARM property paths."""

    router: Router
    path: str
    operations: str
    represent: Callable[[Any], dict]
    find: Callable[..., Any]
    under: ResourceType | None = None
    keyword: str = "subscription"
    paths: Mapping[str, str] = field(default_factory=dict)

    def parent(self, call: Call, write: bool = False):
        """What the call's resource lives in, for the caller: 404 when it cannot see it, 403
        when it may not write to it, before anything else is read."""
        if self.under is None:
            return in_subscription(call, write)
        named = call.with_path(name=getattr(call.path, f"{self.keyword}_name"))
        return self.under.lookup(named, write=write)

    def child(self, call: Call, parent):
        """The call's resource in `parent` (Http404 when there is none)."""
        if self.under is None:
            names = re.findall(r"{(\w+)}", self.path)
            return self.find(user=call.user, **{name: getattr(call.path, name) for name in names})
        return self.find(**{self.keyword: parent}, name=call.path.name)

    def lookup(self, call: Call, *, write: bool = False):
        """The resource the call's path names, for the caller (404 / 403)."""
        return self.child(call, self.parent(call, write))

    def _declare(self, method: str, path: str, operation_id: str, summary: str, doc: str, **rest):
        operation(
            self.router,
            method,
            path,
            operation_id=operation_id,
            summary=summary,
            doc=doc,
            **rest,
        )

    def list(
        self,
        path: str,
        operation_id: str,
        summary: str,
        doc: str,
        *,
        rows: Callable[[Call, Any], Any],
        serialize: Callable[[Any, Any, Call], dict] | None = None,
        read: Callable[[list], Any] | None = None,
        options: Callable[..., Any] | None = None,
    ) -> None:
        """GET of a collection: a page of `rows(call, parent)`, each as `serialize(row, parent,
        call)` (the type's JSON when not given; `read` as in `arm_page`)."""

        def run(call: Call) -> HttpResponse:
            parent = self.parent(call)
            if serialize is None:
                show = self.represent
            else:

                def show(row):
                    return serialize(row, parent, call)

            return arm_json(arm_page(call.request, rows(call, parent), show, read=read))

        self._declare("GET", path, operation_id, summary, doc, run=run, options=options)

    def list_children(
        self, operation_id: str, summary: str, doc: str, *, rows: Callable[..., Any], field: str
    ) -> None:
        """GET of the collection under the parent (the path without `/{name}`): a page of
        `rows(<keyword>=parent)`, each row given the parent as `field` (read once, not per
        row)."""

        def serialize(row, parent, call):
            setattr(row, field, parent)
            return self.represent(row)

        self.list(
            self.path.removesuffix("/{name}"),
            operation_id,
            summary,
            doc,
            rows=lambda call, parent: rows(**{self.keyword: parent}),
            serialize=serialize,
        )

    def get(
        self,
        summary: str,
        doc: str,
        *,
        show: Callable[[Any, Call], dict] | None = None,
        options: Callable[..., Any] | None = None,
    ) -> None:
        """GET of one resource, as `show(item, call)` when given."""

        def run(call: Call) -> HttpResponse:
            item = self.lookup(call)
            return arm_json(show(item, call) if show else self.represent(item))

        operation_id = f"{self.operations}_Get"
        self._declare("GET", self.path, operation_id, summary, doc, run=run, options=options)

    def put(
        self,
        body: type[BaseModel],
        summary: str,
        doc: str,
        *,
        save: Callable[..., tuple[Any, bool]],
        paths: Callable[[Any], Mapping[str, str]] | None = None,
    ) -> None:
        """ARM PUT (create or update): `save(user=…, <keyword>=parent, data=…)` with the body's
        contract, answered with the resource read again (201 when created, 200 when updated).
        A resource group named in the path must exist first (404 ResourceGroupNotFound, as ARM
        answers). `paths` maps the write's errors from the body when they depend on it."""
        in_group = self.under is None and "{resource_group}" in self.path

        def run(call: Call) -> HttpResponse:
            parent = self.parent(call, True)
            names = {"name": call.path.name}
            if in_group:
                group = existing_group(call.request, parent, call.path.resource_group)
                call = call.with_path(resource_group=group.name)
                names["resource_group"] = group.name
            data = parse_body(call.request, body)
            with api_write(call.request, paths=paths(data) if paths else self.paths):
                item, created = save(
                    user=call.user, **{self.keyword: parent}, data=data.contract(**names)
                )
            item = self.child(call.with_path(name=item.name), parent)
            return arm_saved(self.represent(item), created=created)

        operation_id = f"{self.operations}_CreateOrUpdate"
        self._declare("PUT", self.path, operation_id, summary, doc, run=run, body=body)

    def delete(self, summary: str, doc: str, *, delete: Callable[[Any, Any], None]) -> None:
        """ARM DELETE: `delete(user, item)` and 200, or 204 when the parent holds no such
        resource (a parent the caller may not see or write is still 404 / 403)."""

        def run(call: Call) -> HttpResponse:
            parent = self.parent(call, True)
            return arm_delete(
                call.request,
                lambda: self.child(call, parent),
                lambda item: delete(call.user, item),
                paths=self.paths,
            )

        self._declare("DELETE", self.path, f"{self.operations}_Delete", summary, doc, run=run)

    def patch_tags(
        self,
        summary: str,
        doc: str,
        *,
        update: Callable[[Any, Any, dict], None],
        paths: Mapping[str, str] | None = None,
    ) -> None:
        """ARM PATCH of the tags (the only property it changes): `update(user, item, tags)`,
        answered with the resource read again."""

        def run(call: Call) -> HttpResponse:
            item = self.lookup(call, write=True)
            tags = parse_body(call.request, TagsBody).tags
            with api_write(call.request, paths=self.paths if paths is None else paths):
                update(call.user, item, tags)
            return arm_json(self.represent(self.lookup(call)))

        operation_id = f"{self.operations}_Update"
        self._declare("PATCH", self.path, operation_id, summary, doc, run=run, body=TagsBody)
