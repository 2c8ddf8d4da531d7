from datetime import datetime, timedelta, timezone

from workflows.domain import is_newer

T = datetime(2026, 11, 1, tzinfo=timezone.utc)


def test_projection_keeps_the_latest_state_when_events_arrive_out_of_order():
    assert is_newer(T, None)
    assert is_newer(T + timedelta(seconds=1), T)
    assert is_newer(T, T)  # a replay of the same state is harmless
    assert not is_newer(T - timedelta(seconds=1), T)
