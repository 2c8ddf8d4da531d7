"""The SMTP client against real servers on this machine: STARTTLS, and a pooled connection the server
closed while it sat idle (E1, E3)."""
from __future__ import annotations

import socket
import threading
import uuid
from datetime import datetime, timezone

from aiosmtpd.controller import Controller

from common.stack import free_port
from notifications.mail import SmtpClient, compose
from notifications.settings import NotificationSettings


def _message(rcpt: str):
    return compose(delivery_id=str(uuid.uuid4()), tenant_id=str(uuid.uuid4()), domain="followup.local",
                   from_addr="no-reply@followup.local", from_name=None, reply_to=None, to=[rcpt], cc=[],
                   subject="Reminder", body_text="Please pay.", body_html=None, attachments=[],
                   sent_at=datetime.now(timezone.utc))


class _Inbox:
    def __init__(self):
        self.rcpts: list[str] = []

    async def handle_DATA(self, server, session, envelope):
        self.rcpts += envelope.rcpt_tos
        return "250 OK"


def test_E1_starttls_gets_as_far_as_the_tls_handshake():
    """A connection made before it is connected must still tell STARTTLS which host's certificate to
    check: without it smtplib refused every STARTTLS ("check_hostname requires server_hostname"), so no
    mail left a server that asks for TLS. Here the server offers STARTTLS, then hangs up at the handshake:
    the send is a plain retry (unreachable), not a crash before the handshake."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    seen = []

    def server():
        conn, _ = listener.accept()
        with conn:
            conn.sendall(b"220 test ESMTP\r\n")
            conn.recv(1024)  # EHLO
            conn.sendall(b"250-test\r\n250 STARTTLS\r\n")
            seen.append(conn.recv(1024))  # STARTTLS
            conn.sendall(b"220 go ahead\r\n")
            seen.append(conn.recv(1024))  # the client's TLS hello: the handshake was begun

    thread = threading.Thread(target=server, daemon=True)
    thread.start()
    client = SmtpClient(NotificationSettings(smtp_host="127.0.0.1", smtp_port=listener.getsockname()[1],
                                             smtp_starttls=True, smtp_timeout_s=5, smtp_lookup_url=""))
    outcome = client.send(_message("ann@dupont.example"), "ann@dupont.example")
    thread.join(5)
    listener.close()
    assert seen[0].strip().upper() == b"STARTTLS"
    assert seen[1][:1] == b"\x16"  # a TLS record: ClientHello
    assert (outcome.accepted, outcome.unknown, outcome.attempted) == (False, False, True)
    assert "unreachable" in outcome.reason


def test_E3_a_pooled_connection_the_server_closed_while_idle_costs_no_attempt():
    """The server restarted (or timed the idle connection out) between two sends: the second must go on a
    new connection, not end as "connection lost" with an unknown outcome and an attempt spent."""
    port, inbox = free_port(), _Inbox()
    settings = NotificationSettings(smtp_host="127.0.0.1", smtp_port=port, smtp_timeout_s=5,
                                    smtp_lookup_url="", smtp_probe_idle_s=0)
    client = SmtpClient(settings)
    first = Controller(inbox, hostname="127.0.0.1", port=port)
    first.start()
    try:
        assert client.send(_message("a@dupont.example"), "a@dupont.example").accepted
    finally:
        first.stop()  # the pooled connection is gone with it
    again = Controller(inbox, hostname="127.0.0.1", port=port)
    again.start()
    try:
        outcome = client.send(_message("b@dupont.example"), "b@dupont.example")
    finally:
        again.stop()
        client.close()
    assert (outcome.accepted, outcome.unknown) == (True, False), outcome
    assert inbox.rcpts == ["a@dupont.example", "b@dupont.example"]
