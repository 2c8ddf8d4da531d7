"""Triage: reads inbound communications and links or creates tasks."""
