"""The one error registry.

Services raise :class:`AppError` subclasses; nameko serialises them as
``exc_type`` + ``exc_args`` = ``[code, message, details]``; the gateway turns
``code`` back into an HTTP status through :data:`HTTP_STATUS`. Adding an error
means adding it here, nowhere else.
"""
from __future__ import annotations

import json
from typing import Any


class AppError(Exception):
    code = "INTERNAL"
    status = 500

    def __init__(self, message: str = "", details: Any = None, code: str | None = None):
        if code:
            self.code = code
        self.message = message or self.code.replace("_", " ").lower()
        self.details = details
        # Nameko turns every non-string inside exception args into a string; carrying
        # details as JSON keeps numbers, booleans and nulls intact across RPC.
        super().__init__(self.code, self.message, json.dumps(details, default=str))

    def to_body(self) -> dict:
        return {"error": {"code": self.code, "message": self.message, "details": self.details}}


def _error(name: str, status: int, default_code: str) -> type[AppError]:
    return type(name, (AppError,), {"code": default_code, "status": status})


BadRequest = _error("BadRequest", 400, "BAD_REQUEST")
ValidationFailed = _error("ValidationFailed", 422, "VALIDATION_ERROR")
Unauthenticated = _error("Unauthenticated", 401, "UNAUTHENTICATED")
Forbidden = _error("Forbidden", 403, "FORBIDDEN")
PaymentRequired = _error("PaymentRequired", 402, "FEATURE_NOT_IN_PLAN")
NotFound = _error("NotFound", 404, "NOT_FOUND")
Conflict = _error("Conflict", 409, "CONFLICT")
PayloadTooLarge = _error("PayloadTooLarge", 413, "PAYLOAD_TOO_LARGE")
RateLimited = _error("RateLimited", 429, "RATE_LIMITED")
ServiceUnavailable = _error("ServiceUnavailable", 503, "SERVICE_UNAVAILABLE")


def is_nul_refusal(exc: BaseException) -> bool:
    """PostgreSQL refusing text with a NUL character: psycopg checks plain text itself, the server
    refuses it inside JSON. It is the caller's input, not the service failing. (SQLAlchemy wraps the
    driver's error in ``orig``.)"""
    import psycopg  # here, not at the top: the registry stays importable without the database driver

    orig = getattr(exc, "orig", None) or exc
    return isinstance(orig, psycopg.errors.UntranslatableCharacter) or (
        isinstance(orig, psycopg.DataError) and orig.sqlstate is None and "NUL (0x00)" in str(orig))


def nul_character() -> AppError:
    """Text with a NUL character, which PostgreSQL cannot store (refused wherever it came in)."""
    return ValidationFailed("text cannot contain the NUL character (\\u0000)", code="NUL_CHARACTER")

# What a caller can be refused with (4xx): a service raising one of these is working as it should.
CLIENT_ERRORS: tuple[type[AppError], ...] = (
    BadRequest, ValidationFailed, Unauthenticated, Forbidden, PaymentRequired, NotFound, Conflict,
    PayloadTooLarge, RateLimited)

# Every code the API can answer with, and its HTTP status. Codes raised with a
# specific name (``NotFound(code="CUSTOMER_NOT_FOUND")``) fall back to their
# class's status, so the table only needs the ones that differ from it.
HTTP_STATUS: dict[str, int] = {
    "BAD_REQUEST": 400,
    "MALFORMED_JSON": 400,
    "BAD_CURSOR": 400,
    "VALIDATION_ERROR": 422,
    "IDEMPOTENCY_KEY_REUSED": 422,
    "UNKNOWN_USER": 422,
    "NUL_CHARACTER": 422,
    "CURRENCY_MISMATCH": 422,
    "UNSUPPORTED_INBOUND_FORMAT": 415,
    "NOTHING_TO_REPLY_TO": 409,
    "UNAUTHENTICATED": 401,
    "BAD_SIGNATURE": 401,
    "FORBIDDEN": 403,
    "FEATURE_NOT_IN_PLAN": 402,
    "NOT_FOUND": 404,
    "CUSTOMER_NOT_FOUND": 404,
    "INVOICE_NOT_FOUND": 404,
    "TASK_NOT_FOUND": 404,
    "COMMUNICATION_NOT_FOUND": 404,
    "CONFLICT": 409,
    "IDEMPOTENCY_IN_PROGRESS": 409,
    "DUPLICATE_TASK": 409,
    "ILLEGAL_TRANSITION": 409,
    "USER_EXISTS": 409,
    "PAYLOAD_TOO_LARGE": 413,
    "RATE_LIMITED": 429,
    "SERVICE_UNAVAILABLE": 503,
    "DATABASE_UNAVAILABLE": 503,
    "SERVICE_TIMEOUT": 503,
    "INTERNAL": 500,
    # tasks
    "ACTION_NOT_FOUND": 404,
    "PROMISE_NOT_FOUND": 404,
    "TIMELINE_EVENT_NOT_FOUND": 404,
    "TASK_CLOSED": 409,
    "NO_RECIPIENT": 422,
    "NO_EMAIL_ADDRESS": 422,
    "PROMISE_DATE_FIXED": 409,
    "EMPTY_MESSAGE": 422,
    "PROMISE_EXISTS": 409,
    "PROMISE_EXCEEDS_BALANCE": 422,
    "INVOICE_CUSTOMER_FIXED": 409,
    "INVOICE_CURRENCY_FIXED": 409,
    # events between services (never an HTTP answer: a refused event is dead-lettered)
    "TENANT_MISMATCH": 422,
    # notifications
    "TEMPLATE_INVALID": 422,
    "TEMPLATE_NOT_FOUND": 404,
    "NOTIFICATION_NOT_FOUND": 404,
    "DELIVERY_NOT_FOUND": 404,
    "LINK_NOT_FOUND": 404,
    "UNKNOWN_PROVIDER": 404,
    "INVALID_SIGNATURE": 401,
    "MALFORMED_CALLBACK": 400,
    "UNKNOWN_DELIVERY_REFERENCE": 400,
    "SENDER_IDENTITY_NOT_FOUND": 404,
    "INVALID_VERIFY_VIA": 422,
    "VERIFY_VIA_DOMAIN_ONLY": 422,
    "VERIFICATION_LINK_NOT_FOUND": 404,
    "IDENTITY_NOT_VERIFIED": 409,
    "INVALID_DISPLAY_NAME": 422,
}

def status_for(code: str, default: int = 500) -> int:
    return HTTP_STATUS.get(code, default)


def outcome_of(exc: BaseException | None) -> str:
    """How a handled call ended, for metrics and logs: ``ok``, ``rejected`` (the caller's request was
    refused: a 4xx such as a 404 or a 409, the service is fine) or ``error`` (the service failed).
    Error-rate alerts count ``error`` only: a client sending bad ids must not page anyone."""
    if exc is None:
        return "ok"
    if isinstance(exc, AppError) and status_for(exc.code, exc.status) < 500:
        return "rejected"
    return "error"


def _subclasses(cls: type) -> dict[str, type[AppError]]:
    found = {}
    for sub in cls.__subclasses__():
        found[sub.__name__] = sub
        found.update(_subclasses(sub))
    return found


def from_remote(exc_type: str, exc_args: list) -> AppError:
    """Rebuild an AppError from nameko's serialised ``{exc_type, exc_args}``.

    Anything that is not one of ours (a nameko or Python error) is INTERNAL:
    its text is for the logs, not for API callers.
    """
    classes = {"AppError": AppError, **_subclasses(AppError)}
    cls = classes.get(exc_type)
    if cls is None or len(exc_args) < 2:
        return AppError("internal error")
    code, message, *rest = exc_args
    try:
        details = json.loads(rest[0]) if rest and isinstance(rest[0], str) else (rest[0] if rest else None)
    except ValueError:
        details = rest[0]
    err = cls(str(message), details, code=str(code))
    err.status = status_for(err.code, cls.status)
    return err
