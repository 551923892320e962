"""Request bodies: JSON only, bounded in size and depth, validated into pydantic models.

Anything else (another content type, broken JSON, a body nested past any real resource, a
wrong type or an unknown property) is a 400 `InvalidRequestContent` before a service runs, so
nothing is written.
"""

from __future__ import annotations

import json

import pydantic
from django.http import HttpRequest

from peering.api.errors import ArmError

MAX_BODY_BYTES = 256 * 1024
MAX_DEPTH = 16


def _too_deep(value: object) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            return True
        if isinstance(item, dict):
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
    return False


def _invalid(message: str, target: str | None = None, details: list[dict] | None = None):
    return ArmError(400, "InvalidRequestContent", message, target=target, details=details)


def json_body(request: HttpRequest, *, required: bool = True) -> object:
    """The parsed JSON body (None when absent and not required)."""
    length = request.headers.get("Content-Length") or "0"
    try:
        size = int(length)
    except ValueError:
        size = 0
    if size > MAX_BODY_BYTES:
        raise _invalid(f"The request body is larger than {MAX_BODY_BYTES // 1024} KB.")
    raw = request.body
    if len(raw) > MAX_BODY_BYTES:
        raise _invalid(f"The request body is larger than {MAX_BODY_BYTES // 1024} KB.")
    if not raw.strip():
        if required:
            raise _invalid("The request body is required and must be a JSON object.")
        return None
    content_type = request.content_type or ""
    if content_type.lower() != "application/json":
        raise ArmError(
            400,
            "UnsupportedMediaType",
            f"The content type '{content_type[:80]}' is not supported; send application/json.",
        )
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise _invalid(f"The request body is not valid JSON: {str(exc)[:120]}") from None
    except RecursionError:
        raise _invalid(f"The request body is nested deeper than {MAX_DEPTH} levels.") from None
    if _too_deep(data):
        raise _invalid(f"The request body is nested deeper than {MAX_DEPTH} levels.")
    return data


def _path(loc: tuple) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += ("." if path else "") + str(part)
    return path


def parse_body[Model: pydantic.BaseModel](request: HttpRequest, model: type[Model]) -> Model:
    """The body as `model` (pydantic, ARM property names), or a 400 naming each bad property."""
    data = json_body(request)
    if not isinstance(data, dict):
        raise _invalid("The request body must be a JSON object.")
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as exc:
        details = []
        for error in exc.errors(include_url=False, include_input=False):
            target = _path(error["loc"])
            message = error["msg"]
            if error["type"] == "extra_forbidden":
                message = f"The property '{target}' is not a property of this resource."
            details.append({"code": "InvalidParameter", "target": target, "message": message})
        first = details[0]
        message = f"{first['target']}: {first['message']}"
        if len(details) > 1:
            message += f" ({len(details) - 1} more problem(s) in details)"
        raise _invalid(message, target=first["target"], details=details) from None
