"""ARM error bodies: `{"error": {"code", "message", "target"?, "details"?}}`.

Every answer of the API that is not a success goes through `error_response`, so a client always
gets JSON it can parse, never Django's HTML error pages.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.http import HttpResponse


class ArmError(Exception):
    """An ARM error to answer with: HTTP status, code, message, and optionally the property
    path it is about (`target`) and one detail per field."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        target: str | None = None,
        details: list[dict] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.target = target
        self.details = details or []
        self.headers = dict(headers or {})


def error_body(
    code: str, message: str, *, target: str | None = None, details: list[dict] | None = None
) -> dict:
    error: dict = {"code": code, "message": message}
    if target:
        error["target"] = target
    if details:
        error["details"] = details
    return {"error": error}


def error_response(exc: ArmError) -> HttpResponse:
    response = HttpResponse(
        json.dumps(error_body(exc.code, exc.message, target=exc.target, details=exc.details)),
        status=exc.status,
        content_type="application/json; charset=utf-8",
    )
    for name, value in exc.headers.items():
        response[name] = value
    return response


def _camel(word: str) -> str:
    head, *rest = word.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


_INDEX = re.compile(r"^\d+$")


def property_path(key: str, paths: Mapping[str, str]) -> str:
    """The ARM property path of a service's field key.

    An entry of `paths` wins: exact, or with a list index written `<i>`
    (`connections.<i>.facility` → `...connections[<i>].peeringDBFacilityId`), or the longest
    matching dotted prefix with the rest appended. Otherwise the key's words in camelCase
    under `properties` (`contacts.0.email` → `properties.contacts[0].email`)."""
    parts = key.split(".")
    indexes = [part for part in parts if _INDEX.match(part)]
    generic = ".".join("<i>" if _INDEX.match(part) else part for part in parts)
    if generic in paths and len(indexes) == 1:
        return paths[generic].replace("<i>", indexes[0])
    base, tail = "", parts
    for cut in range(len(parts), 0, -1):
        head = ".".join(parts[:cut])
        if head in paths:
            base, tail = paths[head], parts[cut:]
            break
    path = base
    for part in tail:
        if _INDEX.match(part):
            path += f"[{part}]"
        else:
            path += ("." if path else "") + _camel(part)
    if not base and not path.startswith(ARM_TOP_LEVEL):
        path = f"properties.{path}" if path else "properties"
    return path


ARM_TOP_LEVEL = ("properties", "name", "location", "tags", "sku", "kind")


def validation_error(
    exc: ValidationError, *, paths: Mapping[str, str] | None = None, status: int = 400
) -> ArmError:
    """A service's ValidationError as one ARM error with one detail per field message."""
    paths = paths or {}
    code = "InvalidRequestContent" if status == 400 else "Conflict"
    details: list[dict] = []
    if hasattr(exc, "error_dict"):
        for key, messages in exc.message_dict.items():
            target = None if key == "__all__" else property_path(key, paths)
            for message in messages:
                detail = {"code": "InvalidParameter" if target else code, "message": message}
                if target:
                    detail["target"] = target
                details.append(detail)
    else:
        details = [{"code": code, "message": message} for message in exc.messages]
    first = details[0] if details else {"message": "The request is invalid."}
    message = (
        first["message"]
        if len(details) == 1
        else (f"{first['message']} ({len(details) - 1} more problem(s) in details)")
    )
    return ArmError(status, code, message, target=first.get("target"), details=details)
