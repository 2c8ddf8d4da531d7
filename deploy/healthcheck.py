"""Container healthcheck for docker compose: exit 0 iff GET <url> answers 2xx.

The slim image has no curl; this keeps the probe dependency-free.
"""
import sys
import urllib.request

try:
    with urllib.request.urlopen(sys.argv[1], timeout=3) as resp:
        sys.exit(0 if 200 <= resp.status < 300 else 1)
except Exception as exc:  # any failure means unhealthy
    print(f"unhealthy: {exc}", file=sys.stderr)
    sys.exit(1)
