"""Webhook requests: body, signature, delivery id header, and how answers are read."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading

import httpx

from gis311.notify import webhook
from tests.conftest import free_port
from tests.gis311.notify.jobs import case_body, item, job
from tests.gis311.notify.receivers import webhook_receiver


def test_the_signature_is_hmac_sha256_over_timestamp_dot_body() -> None:
    body = b'{"event":"case.created"}'
    expected = hmac.new(b"s3cret", b"1700000000." + body, hashlib.sha256).hexdigest()
    assert webhook.signature("s3cret", "1700000000", body) == "sha256=" + expected
    assert webhook.verify("s3cret", "1700000000", body, "sha256=" + expected)
    assert not webhook.verify("s3cret", "1700000001", body, "sha256=" + expected)
    assert not webhook.verify("other", "1700000000", body, "sha256=" + expected)
    assert not webhook.verify("s3cret", "1700000000", body + b" ", "sha256=" + expected)


def test_the_request_carries_body_signature_timestamp_and_delivery_id() -> None:
    one = item(case_body("26-00000001"))
    body, headers = webhook.request_parts(job(one), now=1_700_000_000.7)
    document = json.loads(body)
    assert document["event"] == "case.created"
    assert document["delivery_id"] == str(one.delivery_id)
    assert document["case"]["number"] == "26-00000001"
    assert document["case"]["url"].endswith("/api/v1/cases/26-00000001")
    assert headers["X-GIS311-Timestamp"] == "1700000000"
    assert headers["X-GIS311-Delivery"] == str(one.delivery_id)
    assert headers["Content-Type"] == "application/json"
    assert webhook.verify("whsec_test-secret", "1700000000", body, headers["X-GIS311-Signature"])


def test_2xx_delivers_and_other_answers_are_refusals() -> None:
    with webhook_receiver(script={"/hook": [204, 500, 302, 404]}) as receiver, \
            httpx.Client() as client:
        target = job(url=receiver.url("/hook"))
        outcomes = [webhook.send(client, target, timeout=5) for _ in range(4)]
    assert [(o.ok, o.status_code) for o in outcomes] == [
        (True, 204), (False, 500), (False, 302), (False, 404)
    ]
    assert outcomes[0].error is None
    assert outcomes[1].error == "HTTP 500: receiver says no"
    (first, *_) = receiver.received
    assert webhook.verify("whsec_test-secret", first.headers["x-gis311-timestamp"], first.body,
                          first.headers["x-gis311-signature"])


def test_a_slow_receiver_times_out() -> None:
    with webhook_receiver(delay=1.0) as receiver, httpx.Client() as client:
        outcome = webhook.send(client, job(url=receiver.url("/slow")), timeout=0.2)
    assert not outcome.ok and outcome.status_code is None
    assert outcome.error == "timed out after 0.2 s"


def test_nobody_listening_is_a_refusal_not_an_exception() -> None:
    port = free_port()
    with httpx.Client() as client:
        outcome = webhook.send(client, job(url=f"http://127.0.0.1:{port}/x"), timeout=2)
    assert not outcome.ok and outcome.status_code is None
    assert outcome.error is not None and "ConnectError" in outcome.error


def test_a_receiver_that_hangs_up_is_a_refusal() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]

        def hang_up() -> None:
            conn, _ = listener.accept()
            conn.recv(65536)
            conn.close()

        thread = threading.Thread(target=hang_up)
        thread.start()
        with httpx.Client() as client:
            outcome = webhook.send(client, job(url=f"http://127.0.0.1:{port}/x"), timeout=5)
        thread.join(5)
    assert not outcome.ok and outcome.status_code is None
    # Closing after reading is seen as a closed connection or, when the close races the
    # request's last bytes, as a reset: either way a refusal, not a delivery.
    assert outcome.error is not None
    assert "RemoteProtocolError" in outcome.error or "ReadError" in outcome.error
