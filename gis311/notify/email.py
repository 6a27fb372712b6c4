"""Email deliveries through SMTP: one message per notification, or a digest.

The standard library's ``smtplib`` runs in the worker's sending threads, one connection per
message. ``GIS311_SMTP_SECURITY`` chooses plain, STARTTLS or TLS from the start (port 465);
the server's certificate is checked against the system's CAs. The message's ``Message-ID`` is
derived from the delivery id, so a message sent again after a crash is recognisably the same.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime

from gis311.notify import digest
from gis311.notify.deliveries import Job, Outcome

SECURITIES = ("none", "starttls", "tls")


@dataclass(frozen=True)
class SmtpConfig:
    """Where and how to send email (from the ``GIS311_SMTP_*`` settings)."""

    host: str | None
    port: int = 25
    security: str = "none"
    username: str | None = None
    password: str | None = None
    sender: str = "gis311@localhost"
    timeout: float = 10.0
    timezone: str = "UTC"


def compose(job: Job, sender: str) -> EmailMessage:
    """The message of an immediate email job (one notification)."""
    assert job.email is not None
    (item,) = job.items
    case = item.body.get("case") or {}
    number = case.get("number")
    label = digest.district_label(case, job.layer, job.code)
    happened = digest.what_happened(item)
    asset = case.get("asset")
    rows = [
        ("Case", number),
        ("Service", f"{case.get('service_name')} ({case.get('service_code')})"),
        ("Status", case.get("status")),
        ("Address", case.get("address")),
        ("Location", f"{case.get('lat')}, {case.get('lon')}"),
        ("Asset", f"{asset['asset_id']} ({asset['type']})" if asset else None),
        ("Repeat of", case.get("parent")),
        ("District", label),
        ("Link", case.get("url")),
    ]
    lines = [f"Case {number} was {happened} in {label}.", ""]
    lines += [f"{name + ':':<10} {value}" for name, value in rows if value]
    lines += [
        "",
        f"Delivery {item.delivery_id}; you receive this because of subscription "
        f"{job.subscription_id} ({job.district}).",
    ]
    message = EmailMessage()
    message["From"] = sender
    message["To"] = job.email
    message["Subject"] = f"Case {number} {happened} in {label}: {case.get('service_name')}"
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = f"<{item.delivery_id}@gis311>"
    message["X-GIS311-Delivery"] = str(item.delivery_id)
    message["X-GIS311-Event"] = item.event
    message["X-GIS311-Subscription"] = str(job.subscription_id)
    message.set_content("\n".join(lines) + "\n")
    return message


def message(job: Job, config: SmtpConfig) -> EmailMessage:
    """The message for ``job``: a digest or a single notification."""
    if job.digest_period is not None:
        return digest.compose(job, config.sender, config.timezone)
    return compose(job, config.sender)


def send(job: Job, config: SmtpConfig) -> Outcome:
    """Send ``job``'s message; never raises for the server's faults."""
    started = time.monotonic()
    if not config.host:
        return Outcome(False, None, "no SMTP server: set GIS311_SMTP_HOST", 0)
    try:
        msg = message(job, config)
        # The local host name, not socket.getfqdn(): that waits on DNS where there is none.
        local = socket.gethostname() or "localhost"
        smtp: smtplib.SMTP
        if config.security == "tls":
            smtp = smtplib.SMTP_SSL(config.host, config.port, local_hostname=local,
                                    timeout=config.timeout,
                                    context=ssl.create_default_context())
        else:
            smtp = smtplib.SMTP(config.host, config.port, local_hostname=local,
                                timeout=config.timeout)
        try:
            if config.security == "starttls":
                smtp.starttls(context=ssl.create_default_context())
            if config.username:
                smtp.login(config.username, config.password or "")
            smtp.send_message(msg)
        finally:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()  # the message was accepted or not already; QUIT changes nothing
    except smtplib.SMTPRecipientsRefused as exc:
        code, text = next(iter(exc.recipients.values()))
        return Outcome(False, code, f"SMTP {code}: {_text(text)}", _ms(started))
    except smtplib.SMTPResponseException as exc:
        return Outcome(False, exc.smtp_code, f"SMTP {exc.smtp_code}: {_text(exc.smtp_error)}",
                       _ms(started))
    except (OSError, smtplib.SMTPException, ssl.SSLError) as exc:
        return Outcome(False, None, f"{type(exc).__name__}: {exc}"[:500], _ms(started))
    return Outcome(True, 250, None, _ms(started))


def _text(raw: bytes | str) -> str:
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    return text[:300]


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)
