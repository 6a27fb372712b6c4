"""Email digests: one message per subscription and hour or day, listing its notifications.

Fan-out gives each digest delivery the end of its period (``digest_period``, computed in
``GIS311_NOTIFY_TIMEZONE``) as the time it falls due; the worker claims every due delivery of a
subscription together and sends one message per period, listing per notification the case
number, what happened, the service, the district and the link.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any
from zoneinfo import ZoneInfo

from gis311.notify.deliveries import Item, Job

_NAMESPACE = uuid.UUID("6f1c1d1e-3b1a-5c8e-9a51-0d3f2f0b9c31")


def district_label(case: dict[str, Any], layer: str, code: str) -> str:
    """The district as people read it: ``Ward 3 (ward:3)``, or ``ward:3`` without a name."""
    district = (case.get("districts") or {}).get(layer) or {}
    name = district.get("name")
    return f"{name} ({layer}:{code})" if name else f"{layer}:{code}"


def what_happened(item: Item) -> str:
    """A few words for the event: ``filed``, ``closed (resolved)``, ``now in progress``..."""
    change = item.body.get("change") or {}
    if item.event == "case.created":
        case = item.body.get("case") or {}
        return f"filed (repeat of {case['parent']})" if case.get("parent") else "filed"
    status = change.get("status")
    if change.get("closure_reason") == "duplicate" and change.get("parent"):
        return f"closed as a repeat of {change['parent']}"
    if change.get("split_from"):
        return f"split off {change['split_from']}"
    if status == "closed":
        reason = change.get("closure_reason")
        return f"closed ({reason})" if reason else "closed"
    if status == "open" and change.get("previous_status") == "closed":
        return "reopened"
    if status:
        return "now " + status.replace("_", " ")
    return "updated"


def digest_id(job: Job) -> uuid.UUID:
    """A stable id of the digest of ``job``'s subscription and period (same on retries)."""
    period = job.digest_period.isoformat() if job.digest_period else ""
    return uuid.uuid5(_NAMESPACE, f"{job.subscription_id}:{period}")


def compose(job: Job, sender: str, timezone: str = "UTC") -> EmailMessage:
    """The digest message of ``job`` (every item of one subscription and period)."""
    assert job.email is not None and job.digest_period is not None
    zone = ZoneInfo(timezone)
    first_case = job.items[0].body.get("case") or {}
    label = district_label(first_case, job.layer, job.code)
    until = job.digest_period.astimezone(zone)
    count = len(job.items)
    noun = "notification" if count == 1 else "notifications"
    lines = [
        f"{job.digest.capitalize()} digest for {label}, until {until:%Y-%m-%d %H:%M} "
        f"{until.tzname()}: {count} {noun}.",
        "",
    ]
    for item in job.items:
        case = item.body.get("case") or {}
        lines.append(
            f"- Case {case.get('number')} {what_happened(item)}: {case.get('service_name')} "
            f"({case.get('service_code')}), {district_label(case, job.layer, job.code)}"
            + (f", {case['address']}" if case.get("address") else "")
        )
        lines.append(f"  {case.get('url')}")
    lines += [
        "",
        f"You receive this because of subscription {job.subscription_id} ({job.district}).",
    ]
    message = EmailMessage()
    message["From"] = sender
    message["To"] = job.email
    message["Subject"] = (
        f"{job.digest.capitalize()} digest: {count} {noun} in {label}"
    )
    message["Date"] = format_datetime(datetime.now(zone))
    ident = digest_id(job)
    message["Message-ID"] = f"<digest-{ident}@gis311>"
    message["X-GIS311-Digest"] = str(ident)
    message["X-GIS311-Subscription"] = str(job.subscription_id)
    message.set_content("\n".join(lines) + "\n")
    return message
