"""Sign-in codes by real SMTP: an aiosmtpd server on loopback receives what Kith sends."""

from __future__ import annotations

import re
import uuid
from email import message_from_bytes

import pytest
from aiosmtpd.controller import Controller

from tests.conftest import make_settings
from tests.portal.conftest import ask_code, enter_code, free_port, portal_app_client, portal_client


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
            form = (await web.get("/portal/sign-in")).text
            assert "not available here yet" in form and 'action="/portal/sign-in"' not in form
            assert "KITH_" not in form, "the server's settings are the operator's, not the resident's"
        # A sign-in form kept open from before mail stopped: told the same, in the same words.
        from app.mail import service as mail

        with pytest.raises(mail.MailUnavailable) as refused:
            await mail.send(None, make_settings(database_url, data_dir), "a@example.org", "s", "b")  # type: ignore[arg-type]
        assert refused.value.status == 503 and "not available here yet" in refused.value.detail
        assert "KITH_" not in refused.value.detail

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


class TestSpendNotices:
    async def test_the_worker_mails_each_spend_to_the_resident(self, database_url, data_dir, smtp):
        from app.mail import jobs as mail_jobs
        from tests.factories import Platform, org_with_token, unique_resident
        from tests.ledger.conftest import SCOPES, make_pool, mint

        controller, inbox = smtp
        settings = dict(smtp_host="127.0.0.1", smtp_port=controller.port, smtp_security="none")
        async with portal_app_client(database_url, data_dir, **settings) as (app, web):
            platform = Platform(app, web)
            admin = await platform.admin_headers()
            _, council = await org_with_token(platform, SCOPES)
            _, cafe = await org_with_token(platform, SCOPES, sector="commercial", kind="cafe")
            pool = await make_pool(web, council)
            await mint(web, admin, pool, 100)
            body = unique_resident(verified=["email"])
            body["consent"] = {
                "purpose": "rewards",
                "categories": ["rewards"],
                "method": "recorded_by_org",
                "evidence": {"kind": "verbal", "reference": "at the desk"},
            }
            person = (await web.post("/v1/people", json=body, headers=council)).json()["person_id"]
            await web.post(
                "/v1/rewards/earn",
                json={"id": str(uuid.uuid4()), "person_id": person, "pool_id": pool, "amount": 20},
                headers=council,
            )
            async with app.state.db.session(platform=True) as session:
                from sqlalchemy import text

                canonical = await session.scalar(
                    text("SELECT canonical_id FROM org_people WHERE org_person_id = :p"),
                    {"p": uuid.UUID(person)},
                )
            card = (await web.post(f"/v1/admin/people/{canonical}/card", headers=admin)).json()["card_token"]
            spent = await web.post(
                "/v1/rewards/redeem",
                json={"id": str(uuid.uuid4()), "card_token": card, "amount": 7, "description": "Soup"},
                headers=cafe,
            )
            assert spent.status_code == 201, spent.text
            assert inbox.messages == []  # sent by the worker, not by the request
            [job] = mail_jobs.jobs(app.state.db, app.state.settings)
            await job.turn()
            # (The test database is shared: the worker also sends what other tests queued.)
            # (She was also told of the council's grant; the spend is the message about credits.)
            [message] = [
                m
                for recipients, m in inbox.messages
                if recipients == [body["email"]] and "credit" in m["Subject"]
            ]
            assert "7 credits" in message["Subject"] and "Soup" in message.get_payload()
