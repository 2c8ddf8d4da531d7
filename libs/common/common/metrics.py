"""Every Prometheus metric the platform exports, defined once."""
from prometheus_client import Counter, Gauge, Histogram

MESSAGES_HANDLED = Counter(
    "followup_messages_handled_total", "Entrypoint invocations by outcome", ["service", "entrypoint", "outcome"]
)
HANDLER_LATENCY = Histogram(
    "followup_handler_latency_seconds", "Entrypoint latency", ["service", "entrypoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
OUTBOX_BACKLOG = Gauge("followup_outbox_backlog", "Unpublished outbox rows", ["service"])
OUTBOX_OLDEST_AGE = Gauge("followup_outbox_oldest_age_seconds", "Age of the oldest unpublished row", ["service"])
OUTBOX_PUBLISHED = Counter("followup_outbox_published_total", "Outbox rows published", ["service"])
INBOX_PURGED = Counter("followup_inbox_purged_total", "Inbox rows (applied messages, idempotency keys) purged "
                       "after the retention", ["service"])
TIMER_LAG = Gauge("followup_timer_lag_seconds", "now minus the oldest due, unfinished timer", ["service"])
TIMERS_FIRED = Counter("followup_timers_fired_total", "Timers handled", ["service", "kind", "outcome"])
GROUP_COMMIT_SIZE = Histogram(
    "followup_group_commit_items", "Items applied per shared transaction (group commit)", ["combiner"],
    buckets=(1, 2, 5, 10, 20, 50, 100, 200),
)
DLQ_DEPTH = Gauge("followup_dlq_depth", "Messages waiting in a dead-letter queue", ["service", "queue"])
DEAD_LETTERED = Counter("followup_dead_lettered_total", "Messages sent to a dead-letter queue", ["service", "queue"])
RETRIED = Counter("followup_event_retries_total", "Event deliveries scheduled for retry", ["service", "queue"])
HTTP_REQUESTS = Counter("followup_http_requests_total", "Gateway HTTP requests", ["route", "method", "status"])
HTTP_LATENCY = Histogram(
    "followup_http_request_duration_seconds", "Gateway request latency", ["route", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
RPC_CALLS = Counter("followup_rpc_calls_total", "Gateway calls to services", ["service", "method", "outcome"])
NOTIFICATIONS = Counter(
    "followup_notifications_total", "Delivery state changes of notifications", ["channel", "state"]
)
NOTIFICATION_SEND_LATENCY = Histogram(
    "followup_notification_send_seconds", "Provider call latency per attempt", ["provider", "outcome"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
NOTIFICATION_RETRIES = Counter(
    "followup_notification_retries_total", "Provider attempts that will be retried", ["provider"]
)
# AI (triage, X7): every model call by outcome (ok, timeout, error, invalid, rejected, circuit_open), the
# decisions the local classifier made instead, and how long calls took.
AI_CALLS = Counter("followup_ai_calls_total", "AI model calls by model and outcome", ["model", "outcome"])
AI_FALLBACKS = Counter("followup_ai_fallbacks_total", "Decisions made by the local fallback, by reason",
                       ["reason"])
AI_LATENCY = Histogram(
    "followup_ai_call_latency_seconds", "AI call latency (model or local)", ["model"],
    buckets=(0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30),
)
AI_TOKENS = Counter("followup_ai_tokens_total", "Tokens used by AI calls", ["model", "kind"])
AI_BREAKER_OPEN = Gauge("followup_ai_circuit_open", "1 while the AI circuit breaker is open", ["model"])
