"""The OpenAPI document as the API answers: every error in its one shape.

FastAPI documents a 422 as its own ``{"detail": [...]}``, which this API never sends; a client
generated from that document would fail to read every refusal. Each operation's 422 becomes
``ErrorBody``, and each one gains the 4XX (and 503) that every route can answer.
"""
from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import BaseModel, Field

ERROR_REF = {"$ref": "#/components/schemas/ErrorBody"}


class ErrorDetail(BaseModel):
    code: str = Field(description="machine-readable, from the API's error registry (e.g. VALIDATION_ERROR)")
    message: str
    details: Any = Field(None, description="per field for VALIDATION_ERROR: [{loc, msg, type}]")


class ErrorBody(BaseModel):
    error: ErrorDetail


def _error_response(description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": ERROR_REF}}}


def document(app: FastAPI) -> dict:
    schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    error_schema = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(error_schema.pop("$defs", {}))
    components["ErrorBody"] = error_schema
    for operations in schema["paths"].values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            responses["422"] = _error_response("the request is invalid (VALIDATION_ERROR and others)")
            for status, meaning in (("4XX", "refused: the error's code says why"),
                                    ("503", "a dependency is unavailable: retry with the same Idempotency-Key")):
                responses.setdefault(status, _error_response(meaning))
            for status, response in responses.items():
                if status[0] in "45" and not response.get("content"):
                    response["content"] = {"application/json": {"schema": ERROR_REF}}
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    return schema


def install(app: FastAPI) -> None:
    def openapi() -> dict:
        if app.openapi_schema is None:
            app.openapi_schema = document(app)
        return app.openapi_schema

    app.openapi = openapi
