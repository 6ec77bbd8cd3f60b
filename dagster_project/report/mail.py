"""The alert e-mail: composed in German (plain text and HTML), sent by SMTP or left as an
`.eml` file in `<data dir>/outbox/`.

SMTP comes from the environment of the process that runs the pipeline:
`LEITSTAND_SMTP_HOST`, `LEITSTAND_SMTP_PORT` (default 587, 25 without STARTTLS),
`LEITSTAND_SMTP_USER`, `LEITSTAND_SMTP_PASSWORD`, `LEITSTAND_SMTP_FROM` (default
`leitstand@localhost`), `LEITSTAND_SMTP_STARTTLS` (default on; `0` for a local relay without
TLS). Without a host, nothing leaves the machine: each e-mail is written to the outbox.
"""

from __future__ import annotations

import html
import os
import re
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path

SMTP_ENV = "LEITSTAND_SMTP_"
SMTP_TIMEOUT_SECONDS = 30
DEFAULT_FROM = "leitstand@localhost"


class MailSettingError(ValueError):
    """An SMTP variable holds a value that cannot be used."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    user: str
    password: str
    sender: str
    starttls: bool

    def describe(self) -> str:
        tls = "STARTTLS" if self.starttls else "no TLS"
        login = f", login {self.user}" if self.user else ""
        return f"{self.host}:{self.port} ({tls}{login}), from {self.sender}"


def smtp_settings(environ: Mapping[str, str] | None = None) -> SmtpSettings | None:
    """The SMTP server from the environment; None when `LEITSTAND_SMTP_HOST` is not set."""
    env = os.environ if environ is None else environ
    host = env.get(f"{SMTP_ENV}HOST", "").strip()
    if not host:
        return None
    flag = env.get(f"{SMTP_ENV}STARTTLS", "1").strip().lower()
    if flag not in {"", "1", "0", "true", "false", "yes", "no", "ja", "nein", "on", "off"}:
        raise MailSettingError(f"{SMTP_ENV}STARTTLS={flag!r}: write 1 (default) or 0")
    starttls = flag not in {"0", "false", "no", "nein", "off"}
    port_text = env.get(f"{SMTP_ENV}PORT", "").strip()
    try:
        port = int(port_text) if port_text else (587 if starttls else 25)
    except ValueError:
        raise MailSettingError(f"{SMTP_ENV}PORT={port_text!r} is not a port number, "
                               "e.g. 587") from None
    return SmtpSettings(host, port, env.get(f"{SMTP_ENV}USER", "").strip(),
                        env.get(f"{SMTP_ENV}PASSWORD", ""),
                        env.get(f"{SMTP_ENV}FROM", "").strip() or DEFAULT_FROM, starttls)


def send(message: EmailMessage, smtp: SmtpSettings) -> None:
    """Deliver `message` to the SMTP server (raises what smtplib raises)."""
    with smtplib.SMTP(smtp.host, smtp.port, timeout=SMTP_TIMEOUT_SECONDS) as server:
        server.ehlo()
        if smtp.starttls:
            server.starttls(context=ssl.create_default_context())
            server.ehlo()
        if smtp.user:
            server.login(smtp.user, smtp.password)
        server.send_message(message)


def write_outbox(message: EmailMessage, outbox: Path, now: datetime | None = None) -> Path:
    """Leave `message` as `<outbox>/<time>-<address>.eml` (readable by its owner only)."""
    outbox.mkdir(parents=True, exist_ok=True)
    os.chmod(outbox, 0o700)
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    who = re.sub(r"[^A-Za-z0-9@._-]+", "_", str(message["To"]))[:80]
    path = outbox / f"{stamp}-{who}.eml"
    n = 1
    while path.exists():
        n += 1
        path = outbox / f"{stamp}-{who}-{n}.eml"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(bytes(message))
    return path


@dataclass
class Section:
    """One block of an alert: a heading, lines (plain text) and a hint."""

    heading: str
    lines: list[str]
    hint: str = ""


def compose(address: str, sender: str, subject: str, sections: list[Section], footer: list[str],
            attachments: list[tuple[str, bytes]] | None = None) -> EmailMessage:
    """One e-mail: plain text and the same as HTML, with PDF attachments."""
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = sender
    msg["To"] = address
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1].strip("> ") or None)
    msg["Content-Language"] = "de"
    text = ["Guten Tag,", "", "Leitstand meldet:", ""]
    for s in sections:
        text += [s.heading, "-" * len(s.heading)]
        text += [f"- {line}" for line in s.lines]
        if s.hint:
            text += ["", s.hint]
        text.append("")
    text += ["--", *footer]
    msg.set_content("\n".join(text) + "\n")
    parts = ['<html lang="de"><body style="font-family: Arial, sans-serif; font-size: 14px; '
             'color: #111827"><p>Guten Tag,</p><p>Leitstand meldet:</p>']
    for s in sections:
        parts.append(f'<h3 style="margin: 16px 0 4px">{html.escape(s.heading)}</h3><ul>')
        parts += [f"<li>{html.escape(line)}</li>" for line in s.lines]
        parts.append("</ul>")
        if s.hint:
            parts.append(f'<p style="color: #374151">{html.escape(s.hint)}</p>')
    parts.append('<hr><p style="color: #6b7280; font-size: 12px">'
                 + "<br>".join(html.escape(f) for f in footer) + "</p></body></html>")
    msg.add_alternative("".join(parts), subtype="html")
    for filename, data in attachments or []:
        msg.add_attachment(data, maintype="application", subtype="pdf", filename=filename)
    return msg
