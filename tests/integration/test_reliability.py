"""Reliability patterns: outbox, inbox, declared topology, dead letters, row-level security."""
import copy
import uuid

import httpx
import psycopg
import pytest

from common.schema import PLATFORM_TABLES
from common.settings import SERVICES

from .broker import drain, observe, publish, queue_depth, wait_for

PROJECTION_QUEUE = "evt-tasks-invoice_upserted--workflows.on_invoice_upserted"


def test_outbox_event_survives_sigkill_between_commit_and_publish(fresh_stack):
    system = fresh_stack()
    system.stack.start("tasks", env={"OUTBOX_RELAY_ENABLED": "false"})  # test hook: hold the window open
    system.stack.start("gateway")
    observer = observe(system.infra.amqp_uri, "tasks", "customer_upserted")
    api = system.api()

    customer = api.customer(name="Crash Window Ltd")  # committed: the client got its 201
    pending = system.sql("select event_id from tasks.outbox where published_at is null")
    assert len(pending) == 1
    system.stack.kill("tasks")  # SIGKILL before the relay ever ran
    system.stack.start("tasks")

    messages = drain(system.infra.amqp_uri, observer.name, settle_s=2.0, until=lambda m: len(m) >= 1)
    assert [m["data"]["customer"]["id"] for m, _ in messages] == [customer["id"]]
    assert messages[0][0]["event_id"] == str(pending[0][0])
    assert messages[0][1]["nameko.tenant_id"] == api.tenant_id
    assert system.sql("select count(*) from tasks.outbox where published_at is null")[0][0] == 0


def _invoice_event(system, invoice_id: str) -> tuple[dict, dict]:
    row = system.sql("select body, headers from tasks.outbox where routing_key = 'invoice_upserted'"
                     " and body->'data'->'invoice'->>'id' = %s order by id desc limit 1", (invoice_id,))[0]
    return row[0], row[1]


def _projected_amount(system, invoice_id):
    rows = system.sql("select amount from workflows.invoice_projection where invoice_id = %s", (invoice_id,))
    return str(rows[0][0]) if rows else None


def test_inbox_applies_an_event_delivered_twice_once(system, api):
    invoice = api.invoice(api.customer()["id"], amount="100.00")
    wait_for(lambda: _projected_amount(system, invoice["id"]) == "100.00")
    body, headers = _invoice_event(system, invoice["id"])

    # The same event again (a redelivery), dressed as a later state: applied once means ignored.
    duplicate = copy.deepcopy(body)
    duplicate["data"]["invoice"]["amount"] = "999.00"
    duplicate["data"]["invoice"]["updated_at"] = "2099-01-01T00:00:00Z"
    publish(system.infra.amqp_uri, "tasks.events", "invoice_upserted", duplicate, headers)
    publish(system.infra.amqp_uri, "tasks.events", "invoice_upserted", duplicate, headers)
    wait_for(lambda: queue_depth(system.infra.amqp_uri, PROJECTION_QUEUE) == 0)
    applied = system.sql("select count(*) from workflows.inbox where message_id = %s", (body["event_id"],))
    assert applied[0][0] == 1
    assert _projected_amount(system, invoice["id"]) == "100.00"


def test_event_published_before_its_consumer_ever_ran_is_handled_when_it_starts(fresh_stack):
    system = fresh_stack(start=("tasks", "gateway"))  # workflows has never run in this system
    api = system.api()
    invoice = api.invoice(api.customer()["id"], amount="42.00")
    wait_for(lambda: queue_depth(system.infra.amqp_uri, PROJECTION_QUEUE) >= 1)
    assert _projected_amount(system, invoice["id"]) is None

    system.stack.start("workflows")
    assert wait_for(lambda: _projected_amount(system, invoice["id"])) == "42.00"


def test_failing_handler_dead_letters_after_bounded_attempts_and_queue_keeps_flowing(system, api):
    poison_id = str(uuid.uuid4())
    poison = {"event_id": poison_id, "event_type": "invoice_upserted", "producer": "tasks",
              "tenant_id": api.tenant_id, "occurred_at": "2026-11-22T10:00:00Z", "schema_version": 1,
              "data": {"invoice": {"id": "not-a-uuid"}, "created": True}}
    publish(system.infra.amqp_uri, "tasks.events", "invoice_upserted", poison,
            {"nameko.tenant_id": api.tenant_id})
    good = api.invoice(api.customer()["id"], amount="7.00")  # sent after the poison, on the same queue

    assert wait_for(lambda: _projected_amount(system, good["id"])) == "7.00"
    metrics_url = f"http://127.0.0.1:{system.stack.config.http_ports['workflows']}/metrics"
    depth = f'followup_dlq_depth{{queue="{PROJECTION_QUEUE}.dlq",service="workflows"}} 1.0'
    wait_for(lambda: depth in httpx.get(metrics_url).text, 15)  # SREs see it waiting
    dead = drain(system.infra.amqp_uri, PROJECTION_QUEUE + ".dlq", settle_s=0.5,
                 until=lambda m: any(b["event_id"] == poison_id for b, _ in m))
    body, headers = next((b, h) for b, h in dead if b["event_id"] == poison_id)
    assert headers["x-attempts"] == 3  # DLQ_MAX_ATTEMPTS of the test stack
    assert "ValidationError" in headers["x-error"] and "invoice.id" in headers["x-error"].replace("\n", " ")
    assert headers["x-original-queue"] == PROJECTION_QUEUE
    assert body == poison  # kept as it came, for a replay once fixed
    dead_lettered = f'followup_dead_lettered_total{{queue="{PROJECTION_QUEUE}",service="workflows"}} 1.0'
    assert dead_lettered in httpx.get(metrics_url).text


def test_X3_row_level_security_hides_rows_when_the_tenant_is_unset(system, api):
    api.customer()
    other = system.api()
    other.customer()
    assert system.sql("select count(*) from tasks.customers")[0][0] >= 2  # the admin sees rows
    url = system.infra.admin_url
    from common.migrate import service_database_url
    with psycopg.connect(service_database_url(url, "tasks"), autocommit=False) as conn:
        assert conn.execute("select count(*) from tasks.customers").fetchone()[0] == 0
        conn.execute("select set_config('app.tenant_id', %s, true)", (api.tenant_id,))
        tenants = conn.execute("select distinct tenant_id::text from tasks.customers").fetchall()
        assert tenants == [(api.tenant_id,)]
        with pytest.raises(psycopg.errors.InsufficientPrivilege):  # cannot write into another tenant
            conn.execute("insert into tasks.customers (id, tenant_id, name, owner_user_id, created_at,"
                         " updated_at) values (gen_random_uuid(), %s, 'x', gen_random_uuid(), now(), now())",
                         (other.tenant_id,))
        conn.rollback()
        # The setting is per transaction: the pooled connection does not keep it.
        assert conn.execute("select count(*) from tasks.customers").fetchone()[0] == 0


def test_X3_catalog_forces_rls_on_every_tenant_table_and_service_roles_have_no_bypass(system):
    schemas = list(SERVICES) + ["gateway"]
    tables = system.sql(
        "select n.nspname, c.relname, c.relrowsecurity, c.relforcerowsecurity from pg_class c"
        " join pg_namespace n on n.oid = c.relnamespace join pg_attribute a on a.attrelid = c.oid"
        " where c.relkind = 'r' and a.attname = 'tenant_id' and n.nspname = any(%s)", (schemas,))
    tenant_tables = [(s, t, rls, force) for s, t, rls, force in tables
                     if t not in PLATFORM_TABLES and not (s == "gateway" and t == "api_keys")]
    assert {(s, t) for s, t, *_ in tenant_tables} >= {("tasks", "customers"), ("tasks", "tasks"),
                                                      ("workflows", "invoice_projection"), ("gateway", "users")}
    assert [(s, t) for s, t, rls, force in tenant_tables if not (rls and force)] == []
    roles = system.sql("select rolname, rolsuper, rolbypassrls, rolcreaterole from pg_roles where rolname = any(%s)",
                       ([f"followup_{s}" for s in schemas],))
    assert len(roles) == len(schemas)
    assert [r for r in roles if any(r[1:])] == []
    owned = system.sql("select c.relname, r.rolname from pg_class c join pg_roles r on r.oid = c.relowner"
                       " where r.rolname like 'followup\\_%%'")
    assert owned == []
