"""Reading a batch request body: a JSON array or NDJSON (one JSON value per line)."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Request
from pydantic import BaseModel

from app.core.errors import AppError


class MalformedBatch(AppError):
    status, code, title = 400, "malformed_batch", "Malformed batch"


class BatchTooLarge(AppError):
    status, code, title = 413, "batch_too_large", "Batch too large"


def openapi_body(item_schema: str | type[BaseModel], max_items: int) -> dict[str, Any]:
    """The OpenAPI request body of a batch endpoint (the route reads the body itself): a JSON array
    of objects, each validated on its own as ``item_schema`` — the name of a schema another route
    already puts in the components, or a model no route takes whole, written out in place — or
    NDJSON. An invalid item does not refuse the batch: it is answered ``rejected`` in its place, so
    the array's items are documented as any value, with ``item_schema`` under ``x-item-schema``
    and in the description (a schema that refused them would say the batch is refused)."""
    if isinstance(item_schema, str):
        ref: dict[str, Any] = {"$ref": f"#/components/schemas/{item_schema}"}
    else:
        ref = item_schema.model_json_schema(ref_template="#/components/schemas/{model}")
        if "$defs" in ref:
            raise ValueError(f"{item_schema.__name__} nests models: put them in the components first")
        item_schema = item_schema.__name__
    items = {  # any value: each is validated on its own, and refused in its place
        "description": f"Each item is a {item_schema}, validated on its own: an invalid one is answered rejected, by "
        "its index, and the others are taken",
        "x-item-schema": ref,
    }
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "array",
                        "items": items,
                        "maxItems": max_items,
                    }
                },
                "application/x-ndjson": {
                    "schema": {"type": "string", "description": f"One {item_schema} per line"}
                },
            },
        }
    }


def is_ndjson(request: Request) -> bool:
    return request.headers.get("content-type", "").split(";")[0].strip().lower() == "application/x-ndjson"


def parse_batch(body: bytes, *, ndjson: bool, max_items: int) -> list[Any]:
    """The items of a batch body; 400 when it is not a JSON array or NDJSON, 413 beyond ``max_items``."""
    media_type = "application/x-ndjson" if ndjson else "application/json"
    try:
        if media_type == "application/x-ndjson":
            items = [orjson.loads(line) for line in body.splitlines() if line.strip()]
        else:
            items = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise MalformedBatch(
            f"The batch is not valid {'NDJSON' if 'ndjson' in media_type else 'JSON'}: {exc}."
        ) from exc
    if not isinstance(items, list):
        raise MalformedBatch("A JSON batch must be an array of records.")
    if not items:
        raise MalformedBatch("The batch is empty.")
    if len(items) > max_items:
        raise BatchTooLarge(f"A batch holds at most {max_items:,} items; this one has {len(items):,}.")
    return items
