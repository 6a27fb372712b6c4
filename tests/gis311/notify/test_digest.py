"""Email digests: one message listing a subscription's notifications of one period."""

from __future__ import annotations

from datetime import UTC, datetime

from gis311.notify import digest
from tests.gis311.notify.jobs import case_body, item, job

PERIOD = datetime(2026, 11, 25, 5, tzinfo=UTC)  # midnight in New York


def digest_job(*items, period=PERIOD, kind="daily"):
    return job(*items, channel="email", email="council3@city.example", digest=kind,
               period=period)


def test_the_digest_lists_every_case_with_service_district_and_link() -> None:
    items = [
        item(case_body("26-00000001"), pk=1),
        item(case_body("26-00000002", service_code="graffiti", service_name="Graffiti",
                       address=None), pk=2),
        item(case_body("26-00000001", event="case.updated", status="in_progress",
                       change={"status": "in_progress", "previous_status": "open"}), pk=3),
    ]
    message = digest.compose(digest_job(*items), "gis311@city.example", "America/New_York")
    assert message["Subject"] == "Daily digest: 3 notifications in Council 3 (council:3)"
    text = message.get_content()
    assert "Daily digest for Council 3 (council:3), until 2026-11-25 00:00 EST" in text
    assert ("- Case 26-00000001 filed: Pothole (pothole), Council 3 (council:3), "
            "3 Grid Street") in text
    assert "- Case 26-00000002 filed: Graffiti (graffiti), Council 3 (council:3)\n" in text
    assert "- Case 26-00000001 now in progress: Pothole" in text
    assert "  https://311.city.example/api/v1/cases/26-00000002" in text


def test_a_digest_has_a_stable_id_per_subscription_and_period() -> None:
    one = digest.digest_id(digest_job(item()))
    assert one == digest.digest_id(digest_job(item(case_body("26-00000009"))))
    assert one != digest.digest_id(digest_job(item(), period=datetime(2026, 11, 26, tzinfo=UTC)))
    message = digest.compose(digest_job(item()), "gis311@city.example")
    assert message["X-GIS311-Digest"] == str(one)
    assert message["Message-ID"] == f"<digest-{one}@gis311>"
    assert message["Subject"] == "Daily digest: 1 notification in Council 3 (council:3)"


def test_what_happened() -> None:
    def said(event="case.updated", change=None, **case):
        return digest.what_happened(item(case_body(event=event, change=change, **case)))

    assert said("case.created") == "filed"
    assert said("case.created", parent="26-00000001") == "filed (repeat of 26-00000001)"
    assert said(change={"status": "closed", "closure_reason": "duplicate",
                        "parent": "26-00000001"}) == "closed as a repeat of 26-00000001"
    assert said(change={"status": "open", "split_from": "26-00000001"}) == (
        "split off 26-00000001"
    )
    assert said(change={"status": "closed", "closure_reason": "invalid"}) == "closed (invalid)"
    assert said(change={"status": "open", "previous_status": "closed"}) == "reopened"
    assert said(change={"status": "in_progress"}) == "now in progress"


def test_district_label_without_a_name() -> None:
    assert digest.district_label({"districts": {}}, "ward", "7") == "ward:7"
