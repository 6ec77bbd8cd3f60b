"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it receives."""

from __future__ import annotations

import email
import email.policy
import socket
from dataclasses import dataclass, field

import pytest
from aiosmtpd.controller import Controller


@dataclass
class Received:
    rcpt: list[str]
    message: email.message.EmailMessage

    @property
    def text(self) -> str:
        return self.message.get_body(("plain",)).get_content()

    @property
    def html(self) -> str:
        return self.message.get_body(("html",)).get_content()


@dataclass
class MailServer:
    port: int
    received: list[Received] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's handler hook
        msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.received.append(Received(list(envelope.rcpt_tos), msg))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[Received]:
        return [r for r in self.received if address in r.rcpt]

    def env(self) -> dict[str, str]:
        return {"LEITSTAND_SMTP_HOST": "127.0.0.1", "LEITSTAND_SMTP_PORT": str(self.port),
                "LEITSTAND_SMTP_STARTTLS": "0", "LEITSTAND_SMTP_FROM": "leitstand@firma.example"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server():
    server = MailServer(free_port())
    controller = Controller(server, hostname="127.0.0.1", port=server.port)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()
