"""Email notifications: the message of one case, and sending through a real SMTP server."""

from __future__ import annotations

from datetime import UTC, datetime

from gis311.notify import email
from tests.conftest import free_port
from tests.gis311.notify.jobs import case_body, item, job
from tests.gis311.notify.receivers import smtp_server

ADDRESS = "council3@city.example"


def config(port: int, **options) -> email.SmtpConfig:
    return email.SmtpConfig(host="127.0.0.1", port=port, sender="gis311@city.example",
                            timeout=5, **options)


def test_the_message_names_the_case_and_the_district() -> None:
    one = item(case_body("26-00000042", asset={"asset_id": "SL-9", "type": "streetlight",
                                               "distance_m": 3.2}))
    message = email.compose(job(one, channel="email", email=ADDRESS), "gis311@city.example")
    assert message["To"] == ADDRESS and message["From"] == "gis311@city.example"
    assert message["Subject"] == "Case 26-00000042 filed in Council 3 (council:3): Pothole"
    assert message["X-GIS311-Delivery"] == str(one.delivery_id)
    assert message["Message-ID"] == f"<{one.delivery_id}@gis311>"
    text = message.get_content()
    for expected in ("Case:      26-00000042", "District:  Council 3 (council:3)",
                     "Asset:     SL-9 (streetlight)", "Address:   3 Grid Street",
                     "Link:      https://311.city.example/api/v1/cases/26-00000042"):
        assert expected in text


def test_a_status_change_says_what_changed() -> None:
    body = case_body(event="case.updated", status="closed", closure_reason="resolved",
                     change={"status": "closed", "previous_status": "open",
                             "closure_reason": "resolved"})
    message = email.compose(job(item(body), channel="email", email=ADDRESS), "x@y.example")
    assert message["Subject"].startswith("Case 26-00000042 closed (resolved) in Council 3")


def test_sent_through_smtp() -> None:
    with smtp_server() as mailbox:
        one = item(case_body("26-00000043"))
        outcome = email.send(job(one, channel="email", email=ADDRESS), config(mailbox.port))
    assert outcome.ok and outcome.status_code == 250
    (received,) = mailbox.to(ADDRESS)
    assert received["X-GIS311-Delivery"] == str(one.delivery_id)
    assert "26-00000043" in received.get_content()


def test_a_refused_recipient_is_a_refusal_with_the_smtp_code() -> None:
    with smtp_server() as mailbox:
        mailbox.refuse.add(ADDRESS)
        outcome = email.send(job(channel="email", email=ADDRESS), config(mailbox.port))
    assert not outcome.ok and outcome.status_code == 550
    assert outcome.error == "SMTP 550: no such mailbox here"


def test_no_server_configured_or_reachable_is_a_refusal() -> None:
    target = job(channel="email", email=ADDRESS)
    assert email.send(target, email.SmtpConfig(host=None)).error == (
        "no SMTP server: set GIS311_SMTP_HOST"
    )
    outcome = email.send(target, config(free_port()))
    assert not outcome.ok and outcome.error is not None
    assert "ConnectionRefusedError" in outcome.error


def test_a_digest_job_sends_the_digest() -> None:
    period = datetime(2026, 11, 24, 11, tzinfo=UTC)
    items = [item(case_body(f"26-0000010{i}"), pk=i) for i in range(3)]
    with smtp_server() as mailbox:
        outcome = email.send(
            job(*items, channel="email", email=ADDRESS, digest="hourly", period=period),
            config(mailbox.port),
        )
    assert outcome.ok
    (received,) = mailbox.to(ADDRESS)
    assert received["Subject"] == "Hourly digest: 3 notifications in Council 3 (council:3)"
