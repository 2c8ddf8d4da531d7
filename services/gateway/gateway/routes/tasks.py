"""Customers, contacts, invoices, payments, tasks and timelines: the tasks service's API."""
from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from pydantic import AfterValidator

from common.contracts import tasks as c
from gateway.deps import Caller, staff
from gateway.responses import JSONResponse
from gateway.routes._util import ensure_users, idempotent_post

router = APIRouter(prefix="/v1", tags=["tasks"])


def _indexable(key: str) -> str:
    # Its unique index takes about 2,700 bytes: a longer key was a 503 "database unavailable". Bounded in
    # bytes (a character may take four), well above the 200 characters of a body's ExternalId, so keys
    # an ERP already uses stay reachable.
    if len(key.encode()) > 2000:
        raise ValueError("an invoice key is at most 2,000 bytes")
    return key


InvoiceKey = Annotated[str, Path(min_length=1), AfterValidator(_indexable)]


@router.post("/customers", status_code=201, response_model=c.CustomerView,
             responses={200: {"description": "updated by external_id", "model": c.CustomerView}})
async def create_customer(body: c.CustomerCreate, who: Caller = Depends(staff)):
    await ensure_users(who.request, who.tenant_id, [body.owner_user_id])

    async def handler(key):
        # Only what was sent: an upsert by external_id keeps the fields it leaves out.
        result = await who.call("tasks", "create_customer", key,
                                payload=body.model_dump(mode="json", exclude_unset=True))
        return (201 if result["created"] else 200), result["customer"]

    return await idempotent_post(who, handler)


@router.get("/customers/{customer_id}", response_model=c.CustomerFileView)
async def get_customer(customer_id: uuid.UUID, who: Caller = Depends(staff)):
    return await who.read("tasks", "get_customer", customer_id=str(customer_id))


@router.post("/customers/{customer_id}/contacts", status_code=201, response_model=c.ContactView)
async def add_contact(customer_id: uuid.UUID, body: c.ContactCreate, who: Caller = Depends(staff)):
    async def handler(key):
        result = await who.call("tasks", "add_contact", key, customer_id=str(customer_id),
                                payload=body.model_dump(mode="json"))
        return 201, result

    return await idempotent_post(who, handler)


@router.get("/customers/{customer_id}/timeline", response_model=c.Page[c.TimelineEntryView])
async def customer_timeline(customer_id: uuid.UUID, limit: int = Query(50, ge=1, le=200),
                            cursor: str | None = None, who: Caller = Depends(staff)):
    return await who.read("tasks", "customer_timeline", customer_id=str(customer_id),
                                       limit=limit, cursor=cursor)


@router.put("/invoices/{external_id}", response_model=c.InvoiceView,
            responses={201: {"description": "created", "model": c.InvoiceView}, 200: {"description": "updated"}})
async def upsert_invoice(external_id: InvoiceKey, body: c.InvoiceUpsert, who: Caller = Depends(staff)):
    result = await who.call("tasks", "upsert_invoice", external_id=external_id, payload=body.model_dump(mode="json"))
    return JSONResponse(result["invoice"], status_code=201 if result["created"] else 200)


@router.get("/invoices/{external_id}", response_model=c.InvoiceView)
async def get_invoice(external_id: InvoiceKey, who: Caller = Depends(staff)):
    return await who.read("tasks", "get_invoice", external_id=external_id)


@router.post("/payments", status_code=201, response_model=c.PaymentRecordedView)
async def record_payment(body: c.PaymentCreate, who: Caller = Depends(staff)):
    async def handler(key):
        return 201, await who.call("tasks", "record_payment", key, payload=body.model_dump(mode="json"))

    return await idempotent_post(who, handler)


@router.post("/tasks", status_code=201, response_model=c.CaseFileView,
             responses={409: {"description": "DUPLICATE_TASK: an open task of this customer has these invoices; "
                                             "details.task is the match; repeat with ?force=true"}})
async def create_task(body: c.TaskCreate, force: bool = False, who: Caller = Depends(staff)):
    await ensure_users(who.request, who.tenant_id,
                       [body.assignee_user_id] + [a.assignee_user_id for a in body.actions])

    async def handler(key):
        return 201, await who.call("tasks", "create_task", key, payload=body.model_dump(mode="json"), force=force)

    return await idempotent_post(who, handler)


@router.get("/tasks/{task_id}", response_model=c.CaseFileView)
async def get_task(task_id: uuid.UUID, who: Caller = Depends(staff)):
    return await who.read("tasks", "get_task", task_id=str(task_id))


@router.get("/tasks", response_model=c.Page[c.TaskView])
async def task_queue(status: c.TaskStatus | None = None, assignee: uuid.UUID | None = None,
                     customer_id: uuid.UUID | None = None, category: str | None = None,
                     limit: int = Query(50, ge=1, le=200), cursor: str | None = None, who: Caller = Depends(staff)):
    """C5: the caller's queue (or ``assignee``'s): overdue promises first, then due date, then priority."""
    return await who.read(
        "tasks", "list_tasks", status=status, assignee=str(assignee) if assignee else None,
        customer_id=str(customer_id) if customer_id else None, category=category, limit=limit, cursor=cursor)


@router.patch("/tasks/{task_id}", response_model=c.CaseFileView)
async def update_task(task_id: uuid.UUID, body: c.TaskUpdate, who: Caller = Depends(staff)):
    if body.owner_user_id is not None:
        await ensure_users(who.request, who.tenant_id, [body.owner_user_id])

    async def handler(key):
        return 200, await who.call("tasks", "update_task", key, task_id=str(task_id),
                                   payload=body.model_dump(mode="json", exclude_unset=True))

    return await idempotent_post(who, handler)


@router.post("/tasks/{task_id}/actions", status_code=201, response_model=c.ActionView)
async def add_action(task_id: uuid.UUID, body: c.ActionCreate, who: Caller = Depends(staff)):
    await ensure_users(who.request, who.tenant_id, [body.assignee_user_id])

    async def handler(key):
        return 201, await who.call("tasks", "add_action", key, task_id=str(task_id),
                                   payload=body.model_dump(mode="json"))

    return await idempotent_post(who, handler)


@router.get("/actions", response_model=c.Page[c.ActionView])
async def list_actions(status: c.ActionStatus | None = None, type: c.ActionType | None = None, due_before: datetime | None = None,
                       task_id: uuid.UUID | None = None, trigger_event_id: uuid.UUID | None = None,
                       limit: int = Query(50, ge=1, le=200), cursor: str | None = None, who: Caller = Depends(staff)):
    """The caller's actions; with ``trigger_event_id``, the group a timeline event triggered (A5)."""
    return await who.read(
        "tasks", "list_actions", status=status, type=type, due_before=due_before.isoformat() if due_before else None,
        task_id=str(task_id) if task_id else None, trigger_event_id=str(trigger_event_id) if trigger_event_id else None,
        limit=limit, cursor=cursor)


@router.get("/actions/{action_id}", response_model=c.ActionView)
async def get_action(action_id: uuid.UUID, who: Caller = Depends(staff)):
    return await who.read("tasks", "get_action", action_id=str(action_id))


@router.patch("/actions/{action_id}", response_model=c.ActionView,
              responses={409: {"description": "ILLEGAL_TRANSITION"}})
async def update_action(action_id: uuid.UUID, body: c.ActionUpdate, who: Caller = Depends(staff)):
    await ensure_users(who.request, who.tenant_id, [body.assignee_user_id])

    async def handler(key):
        return 200, await who.call("tasks", "update_action", key, action_id=str(action_id),
                                   payload=body.model_dump(mode="json", exclude_unset=True))

    return await idempotent_post(who, handler)


@router.post("/tasks/{task_id}/promises", status_code=201, response_model=c.PromiseView)
async def record_promise(task_id: uuid.UUID, body: c.PromiseCreate, who: Caller = Depends(staff)):
    async def handler(key):
        return 201, await who.call("tasks", "record_promise", key, task_id=str(task_id),
                                   payload=body.model_dump(mode="json"))

    return await idempotent_post(who, handler)


@router.patch("/promises/{promise_id}", response_model=c.PromiseView)
async def update_promise(promise_id: uuid.UUID, body: c.PromiseUpdate, who: Caller = Depends(staff)):
    async def handler(key):
        return 200, await who.call("tasks", "update_promise", key, promise_id=str(promise_id),
                                   payload=body.model_dump(mode="json", exclude_unset=True))

    return await idempotent_post(who, handler)


@router.get("/settings", response_model=c.SettingsView)
async def get_settings(who: Caller = Depends(staff)):
    return await who.read("tasks", "get_settings")


@router.put("/settings", response_model=c.SettingsView)
async def update_settings(body: c.SettingsUpdate, who: Caller = Depends(staff)):
    """B5: switch AI suggestions on or off for the tenant; the tenant time zone for schedules. Admins only."""
    who.identity.require_role("admin")
    return JSONResponse(await who.call("tasks", "update_settings", payload=body.model_dump(mode="json",
                                                                                             exclude_none=True)))
