"""The HTTP gateway: the only entry for external systems."""
