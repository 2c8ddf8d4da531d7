"""JSON responses rendered with orjson, and the API's error shape."""
from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import JSONResponse as StarletteJSONResponse

from common.errors import AppError, status_for


class JSONResponse(StarletteJSONResponse):
    """A JSON response rendered by orjson. A JSONResponse to FastAPI, which documents a route's
    response model only when its response class is one."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def error_response(err: AppError, request_id: str | None = None) -> JSONResponse:
    """The error as the API's body. ``request_id`` only where the response bypasses GatewayMiddleware,
    which otherwise adds the X-Request-ID header itself (twice would be one too many)."""
    status = status_for(err.code, err.status)
    headers = {}
    if status == 429 and isinstance(err.details, dict) and "retry_after_s" in err.details:
        headers["Retry-After"] = str(err.details["retry_after_s"])
    if request_id:
        headers["X-Request-ID"] = request_id
    return JSONResponse(err.to_body(), status_code=status, headers=headers)
