"""B3: first actions for a task a user made, or a recorded promise's task. Pure: no I/O, no nameko.

The model answers in ``SuggestionsOut``; ``accept`` keeps what may be applied (A1 types, plain text, not
a kind of action the task already holds). Without a model, or when it fails, ``local_suggestions`` says
what a collector would do next from the task's own facts: overdue invoices get a reminder and a call, a
promise gets a written confirmation, a triage category its usual next step; anything else, nothing.
"""
from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from common.contracts.triage import SuggestedAction, SuggestionsRequested
from triage.domain import DEFAULT_SUGGESTIONS, SuggestionOut, clean_suggestions

MAX_SUGGESTIONS = 3

PROMISE_SUGGESTIONS = [("email", "Confirm the promise to the customer in writing: the amount and the date")]
OVERDUE_SUGGESTIONS = [("email", "Send a payment reminder for the overdue invoices"),
                       ("call", "Call the customer about the overdue invoices")]


class SuggestionsOut(BaseModel):
    """The model's structured answer (also the JSON schema sent to it)."""

    model_config = ConfigDict(extra="forbid")

    suggested_actions: list[SuggestionOut] = Field(default_factory=list, max_length=5)


def overdue_numbers(request: SuggestionsRequested) -> list[str]:
    return [i.number for i in request.invoices if i.status == "open" and i.due_date < request.today]


def local_suggestions(request: SuggestionsRequested) -> list[SuggestionOut]:
    overdue = overdue_numbers(request)
    if request.origin == "promise":
        picked = PROMISE_SUGGESTIONS
    elif overdue:
        picked = OVERDUE_SUGGESTIONS
    else:  # nothing specific to say is nothing suggested: a generic "look at it" would only be noise
        picked = DEFAULT_SUGGESTIONS.get(request.category or "", [])
    payload = {"text": "Overdue invoices: " + ", ".join(overdue)} if overdue else {}
    return [SuggestionOut(type=t, summary=summary, payload=payload) for t, summary in picked]


def accept(suggested: list[SuggestionOut], request: SuggestionsRequested) -> list[SuggestedAction]:
    """What may be added to the task: A1 types with plain text, each once, at most three, and none of
    a type the task already holds (a user who created a task with a call does not need one suggested)."""
    held = set(request.existing_actions)
    return [s for s in clean_suggestions(suggested) if s.type not in held][:MAX_SUGGESTIONS]
