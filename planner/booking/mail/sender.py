"""Deliver the outbox through SMTP (``CRENEAU_SMTP_*``), with retries."""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from sqlalchemy.engine import Engine

from planner.booking.mail.outbox import claim_due, queue_due_reminders, record_result
from planner.booking.manage_links import Links
from planner.booking.transactions import write_transaction
from planner.models import MailMessage

logger = logging.getLogger("creneau.mail")


@dataclass(frozen=True)
class SmtpConfig:
    """Where and as whom e-mails are sent."""

    host: str
    port: int = 25
    username: str | None = None
    password: str | None = None
    sender: str = "Créneau <no-reply@localhost>"
    starttls: bool = False
    timeout: float = 10.0


def build_email(message: MailMessage, sender: str) -> EmailMessage:
    """The MIME message: plain text, plus the .ics attachment when there is one."""
    email = EmailMessage()
    email["From"] = sender
    email["To"] = message.to_address
    email["Subject"] = message.subject
    email["Date"] = formatdate(localtime=False)
    email["Message-ID"] = make_msgid(domain="creneau")
    email.set_content(message.body)
    if message.ics:
        method = "CANCEL" if "METHOD:CANCEL" in message.ics else "REQUEST"
        email.add_attachment(message.ics.encode(), maintype="text", subtype="calendar",
                             filename="rendez-vous.ics", params={"method": method})
    return email


def send_email(config: SmtpConfig, email: EmailMessage) -> None:
    """Send one message; raises ``OSError``/``smtplib.SMTPException`` on failure."""
    with smtplib.SMTP(config.host, config.port, timeout=config.timeout) as smtp:
        if config.starttls:
            smtp.starttls()
        if config.username:
            smtp.login(config.username, config.password or "")
        smtp.send_message(email)


def deliver_due(engine: Engine, config: SmtpConfig, now: dt.datetime) -> tuple[int, int]:
    """Send every due message once; returns ``(sent, failed attempts)``."""
    with write_transaction(engine) as db:
        claimed = [(m.id, build_email(m, config.sender)) for m in claim_due(db, now)]
    sent = failed = 0
    for message_id, email in claimed:
        error = None
        try:
            send_email(config, email)
            sent += 1
        except (OSError, smtplib.SMTPException) as problem:
            error = f"{type(problem).__name__}: {problem}"
            failed += 1
            logger.warning("mail %s not sent (%s); will retry", message_id, error)
        with write_transaction(engine) as db:
            record_result(db, message_id, now, error)
    return sent, failed


def mail_tick(engine: Engine, config: SmtpConfig | None, links: Links, now: dt.datetime) -> None:
    """One round of background work: reminders, waitlist offers that expired, then delivery."""
    from planner.booking.waitlist import expire_offers

    with write_transaction(engine) as db:
        queue_due_reminders(db, links, now)
    expire_offers(engine, links, now)
    if config is not None:
        deliver_due(engine, config, now)
