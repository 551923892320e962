"""How handlers are declared: ARM paths, one operation id per Azure operation, JSON answers.

ARM paths are case-insensitive; the SDKs spell `resourceGroups` two ways (Microsoft.Peering
writes `resourceGroups`, Microsoft.Resources `resourcegroups`), so both are routed.
"""

from __future__ import annotations

import json

from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpResponse
from ninja import Router
from ninja.constants import NOT_SET
from ninja.openapi.schema import REF_TEMPLATE
from pydantic import BaseModel

SUB = "/subscriptions/{subscription_id}/providers/Microsoft.Peering"
RG = "/subscriptions/{subscription_id}/resourceGroups/{resource_group}/providers/Microsoft.Peering"


# Request body models by name, added to the OpenAPI document's components (the handlers read
# their bodies themselves, so ninja does not know them).
BODY_SCHEMAS: dict[str, type[BaseModel]] = {}


def _body_extra(model: type[BaseModel]) -> dict:
    BODY_SCHEMAS[model.__name__] = model
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": {"$ref": REF_TEMPLATE.format(model=model.__name__)}}
            },
        }
    }


def body_components() -> dict:
    """JSON schemas of every request body and the models they nest."""
    components: dict = {}
    for model in BODY_SCHEMAS.values():
        schema = model.model_json_schema(by_alias=True, ref_template=REF_TEMPLATE)
        components.update(schema.pop("$defs", {}))
        components[model.__name__] = schema
    return components


def arm(router: Router, method: str, path: str, *, operation_id: str, summary: str, **options):
    """Register a handler for `method path` (and the lower-case `resourcegroups` spelling);
    `body=Model` documents the JSON body the handler parses with that model."""
    auth = options.pop("auth", NOT_SET)
    body = options.pop("body", None)
    if body is not None:
        options["openapi_extra"] = _body_extra(body)

    def decorate(func):
        router.add_api_operation(
            path,
            [method],
            func,
            auth=auth,
            operation_id=operation_id,
            summary=summary,
            # The docstring's words on one line: no source indentation in the document.
            description=" ".join((func.__doc__ or "").split()),
            url_name=operation_id,
            **options,
        )
        other = _other_spelling(path)
        if other != path:
            router.add_api_operation(
                other,
                [method],
                func,
                auth=auth,
                operation_id=f"{operation_id}_lower",
                include_in_schema=False,
                url_name=f"{operation_id}_lower",
                **options,
            )
        return func

    return decorate


def _other_spelling(path: str) -> str:
    segments = path.split("/")
    swap = {"resourceGroups": "resourcegroups", "resourcegroups": "resourceGroups"}
    return "/".join(swap.get(segment, segment) for segment in segments)


def arm_json(data: object, status: int = 200) -> HttpResponse:
    return HttpResponse(
        json.dumps(data, cls=DjangoJSONEncoder),
        status=status,
        content_type="application/json; charset=utf-8",
    )


def no_content() -> HttpResponse:
    return HttpResponse(status=204)


def deleted() -> HttpResponse:
    """200 with no body: ARM's answer to a DELETE that removed something."""
    return HttpResponse(status=200)
