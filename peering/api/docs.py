"""A readable reference of the API beside `/arm/openapi.json`: one server-rendered page, no
script from anywhere (the portal's Content Security Policy applies here too)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from ninja.openapi.docs import DocsBase

METHODS = ("get", "put", "patch", "post", "delete")


class ReadableDocs(DocsBase):
    def render_page(self, request: HttpRequest, api, **kwargs) -> HttpResponse:
        schema = api.get_openapi_schema(path_params=kwargs)
        groups: dict[str, list[dict]] = {}
        for path, item in schema["paths"].items():
            for method in METHODS:
                operation = item.get(method)
                if operation is None:
                    continue
                tag = (operation.get("tags") or ["Other"])[0]
                groups.setdefault(tag, []).append(
                    {
                        "method": method.upper(),
                        "path": path,
                        "summary": operation.get("summary", ""),
                        "description": operation.get("description", ""),
                        "parameters": [
                            p for p in operation.get("parameters", []) if p.get("in") == "query"
                        ],
                        "has_body": "requestBody" in operation or method in ("put", "patch"),
                    }
                )
        return render(
            request,
            "portal/api_reference.html",
            {
                "title": api.title,
                "version": api.version,
                "description": api.description,
                "groups": sorted(groups.items()),
                "openapi_url": self.get_openapi_url(api, kwargs),
            },
        )
