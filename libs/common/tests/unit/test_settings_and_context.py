import uuid

import pytest
from pydantic import ValidationError

from common.context import Principal, principal_from_context
from common.errors import Unauthenticated
from common.events import backoff_ms
from common.settings import ServiceSettings
from common.store import next_relay_wait


@pytest.mark.parametrize("value", ["", "changeme", "CHANGE_ME", "<your database url>"])
def test_settings_refuse_missing_or_placeholder_secrets(value):
    with pytest.raises(ValidationError):
        ServiceSettings(service_name="tasks", database_url=value)


def test_settings_give_nameko_a_bounded_reconnect_and_worker_count():
    s = ServiceSettings(service_name="tasks", database_url="postgresql://u@h/db", max_workers=7)
    cfg = s.nameko_config()
    assert cfg["max_workers"] == 7 and cfg["WEB_SERVER_ADDRESS"].endswith(":8101")


def test_X3_tenant_comes_from_context_data_and_must_be_a_uuid():
    tenant = str(uuid.uuid4())
    p = principal_from_context({"tenant_id": tenant, "user_id": "u", "role": "admin"})
    assert p.tenant_id == tenant and p.is_admin
    assert p.as_headers()["nameko.tenant_id"] == tenant
    for bad in ({}, {"tenant_id": ""}, {"tenant_id": "acme' or 1=1"}):
        with pytest.raises(Unauthenticated):
            principal_from_context(bad)


def test_principal_drops_empty_context_values():
    assert Principal("t", None, None).as_context_data() == {"tenant_id": "t"}


def test_retry_backoff_grows_and_is_capped():
    assert [backoff_ms(n, 500) for n in (1, 2, 3)] == [500, 1000, 2000]
    assert backoff_ms(30, 500) == 60_000


def test_X1_idle_outbox_relay_polls_less_often_and_returns_to_base_on_work():
    waits, wait = [], 0.5
    for _ in range(6):
        wait = next_relay_wait(wait, base=0.5, idle_max=5.0, active=False)
        waits.append(wait)
    assert waits == [1.0, 2.0, 4.0, 5.0, 5.0, 5.0]
    assert next_relay_wait(5.0, base=0.5, idle_max=5.0, active=True) == 0.5
    # a cap below the base interval never makes the relay poll faster than its base
    assert next_relay_wait(0.5, base=0.5, idle_max=0.1, active=False) == 0.5
