"""Message contracts (pydantic v2), one module per producing service."""
