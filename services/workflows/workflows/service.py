"""Entrypoints of the workflows service.

Today: the invoice projection that dunning schedules will read (a service
keeps what it needs of another's data from its events, never from its tables).
"""
from sqlalchemy import text

from common.context import CallerContext
from common.events import receive, reliable_event_handler
from common.observability import PlatformEndpoints
from common.store import DatabaseProvider
from workflows.domain import is_newer

UPSERT_PROJECTION = text(
    """
    insert into invoice_projection (invoice_id, tenant_id, customer_id, number, issue_date, due_date,
                                    amount, amount_paid, currency, status, source_updated_at)
    values (:id, :tenant_id, :customer_id, :number, :issue_date, :due_date, :amount, :amount_paid,
            :currency, :status, :updated_at)
    on conflict (invoice_id) do update set
        customer_id = excluded.customer_id, number = excluded.number, issue_date = excluded.issue_date,
        due_date = excluded.due_date, amount = excluded.amount, amount_paid = excluded.amount_paid,
        currency = excluded.currency, status = excluded.status,
        source_updated_at = excluded.source_updated_at, projected_at = now()
    """
)


class WorkflowsService(PlatformEndpoints):
    name = "workflows"

    db = DatabaseProvider()
    caller = CallerContext()

    @reliable_event_handler("tasks", "invoice_upserted")
    def on_invoice_upserted(self, body):
        envelope, data = receive("tasks", body, self.caller)
        invoice = data.invoice
        with self.db.transaction(self.caller) as uow:
            if not uow.first_delivery("workflows.on_invoice_upserted", str(envelope.event_id)):
                return
            stored = uow.execute(
                text("select source_updated_at from invoice_projection where invoice_id = :id for update"),
                {"id": invoice.id},
            ).scalar()
            if is_newer(invoice.updated_at, stored):
                uow.execute(UPSERT_PROJECTION, {**invoice.model_dump(), "tenant_id": uow.tenant_id})
