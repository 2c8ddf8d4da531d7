"""Customers, contacts, invoices, payments, tasks and timelines: the tasks service's API."""
from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Query

from common.contracts import tasks as c
from gateway.deps import STAFF, Caller, caller
from gateway.responses import JSONResponse
from gateway.routes._util import ensure_users, idempotent_post

router = APIRouter(prefix="/v1", tags=["tasks"])


def staff(who: Caller = Depends(caller)) -> Caller:
    who.identity.require_role(*STAFF)
    return who


@router.post("/customers", status_code=201, responses={200: {"description": "updated by external_id"}})
async def create_customer(body: c.CustomerCreate, who: Caller = Depends(staff)):
    await ensure_users(who.request, who.tenant_id, [body.owner_user_id])

    async def handler(key):
        result = await who.call("tasks", "create_customer", key, payload=body.model_dump(mode="json"))
        return (201 if result["created"] else 200), result["customer"]

    return await idempotent_post(who, handler)


@router.get("/customers/{customer_id}")
async def get_customer(customer_id: uuid.UUID, who: Caller = Depends(staff)):
    return JSONResponse(await who.call("tasks", "get_customer", customer_id=str(customer_id)))


@router.post("/customers/{customer_id}/contacts", status_code=201, response_model=c.ContactView)
async def add_contact(customer_id: uuid.UUID, body: c.ContactCreate, who: Caller = Depends(staff)):
    async def handler(key):
        result = await who.call("tasks", "add_contact", key, customer_id=str(customer_id),
                                payload=body.model_dump(mode="json"))
        return 201, result

    return await idempotent_post(who, handler)


@router.get("/customers/{customer_id}/timeline")
async def customer_timeline(customer_id: uuid.UUID, limit: int = Query(50, ge=1, le=200),
                            cursor: str | None = None, who: Caller = Depends(staff)):
    return JSONResponse(await who.call("tasks", "customer_timeline", customer_id=str(customer_id),
                                       limit=limit, cursor=cursor))


@router.put("/invoices/{external_id}", response_model=c.InvoiceView,
            responses={201: {"description": "created"}, 200: {"description": "updated"}})
async def upsert_invoice(external_id: str, body: c.InvoiceUpsert, who: Caller = Depends(staff)):
    result = await who.call("tasks", "upsert_invoice", external_id=external_id, payload=body.model_dump(mode="json"))
    return JSONResponse(result["invoice"], status_code=201 if result["created"] else 200)


@router.get("/invoices/{external_id}", response_model=c.InvoiceView)
async def get_invoice(external_id: str, who: Caller = Depends(staff)):
    return JSONResponse(await who.call("tasks", "get_invoice", external_id=external_id))


@router.post("/payments", status_code=201, response_model=c.PaymentView)
async def record_payment(body: c.PaymentCreate, who: Caller = Depends(staff)):
    async def handler(key):
        return 201, await who.call("tasks", "record_payment", key, payload=body.model_dump(mode="json"))

    return await idempotent_post(who, handler)


@router.post("/tasks", status_code=201, response_model=c.CaseFileView)
async def create_task(body: c.TaskCreate, who: Caller = Depends(staff)):
    await ensure_users(who.request, who.tenant_id,
                       [body.assignee_user_id] + [a.assignee_user_id for a in body.actions])

    async def handler(key):
        return 201, await who.call("tasks", "create_task", key, payload=body.model_dump(mode="json"))

    return await idempotent_post(who, handler)


@router.get("/tasks/{task_id}", response_model=c.CaseFileView)
async def get_task(task_id: uuid.UUID, who: Caller = Depends(staff)):
    return JSONResponse(await who.call("tasks", "get_task", task_id=str(task_id)))
