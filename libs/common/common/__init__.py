"""Shared platform code: one way to do each cross-cutting thing, used by every service."""
