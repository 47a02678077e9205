"""Sign-in codes by real SMTP: an aiosmtpd server on loopback receives what Kith sends."""

from __future__ import annotations

import re
import uuid
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller

from tests.portal.conftest import ask_code, enter_code, free_port, portal_client


class Inbox:
    def __init__(self) -> None:
        self.messages: list = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
        return "250 OK"


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller, inbox
    controller.stop()


class TestSmtp:
    async def test_the_code_arrives_by_smtp_and_signs_in(self, database_url, data_dir, smtp):
        controller, inbox = smtp
        settings = dict(
            smtp_host="127.0.0.1",
            smtp_port=controller.port,
            smtp_security="none",
            mail_from="Kith <codes@kith.test>",
            portal_address_limit="1000/hour",
        )
        email = f"mail.{uuid.uuid4().hex[:8]}@example.org"
        async with portal_client(database_url, data_dir, **settings) as web:
            assert (await ask_code(web, email)).status_code == 303
            [(recipients, message)] = inbox.messages
            assert recipients == [email] and message["From"] == "Kith <codes@kith.test>"
            code = re.search(r"\b(\d{6})\b", message.get_payload()).group(1)
            assert (await enter_code(web, code)).headers["location"] == "/portal"
            assert (await web.get("/portal")).headers["location"] == "/portal/register"  # a new resident
            assert (await web.get("/dev/outbox")).status_code == 404

    async def test_with_no_mail_server_set_up_the_resident_is_told(self, database_url, data_dir):
        settings = dict(portal_address_limit="1000/hour")
        async with portal_client(database_url, data_dir, **settings) as web:
            response = await ask_code(web, "someone@example.org")
            assert response.status_code == 503 and "not set up" in response.text
            assert "text/html" in response.headers["content-type"]

    async def test_an_unreachable_mail_server_keeps_no_code(self, database_url, data_dir, owner_conn):
        settings = dict(
            smtp_host="127.0.0.1",
            smtp_port=free_port(),
            smtp_security="none",
            portal_address_limit="1000/hour",
        )
        email = f"down.{uuid.uuid4().hex[:8]}@example.org"
        async with portal_client(database_url, data_dir, **settings) as web:
            response = await ask_code(web, email)
            assert response.status_code == 503 and "try again" in response.text
        assert await owner_conn.fetchval("SELECT count(*) FROM portal_codes WHERE email = $1", email) == 0
