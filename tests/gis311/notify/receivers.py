"""Real receivers on loopback for the notification tests: an HTTP server that records every
webhook request and answers scripted statuses, and an SMTP server (aiosmtpd)."""

from __future__ import annotations

import email
import email.policy
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

from tests.conftest import free_port


@dataclass(frozen=True)
class Received:
    """One webhook request as the receiver saw it, and the status it answered."""

    path: str
    headers: dict[str, str]
    body: bytes
    status: int


@dataclass
class WebhookReceiver:
    """Records POSTs. ``script[path]`` lists the statuses to answer in turn (then ``default``);
    ``delay`` seconds pass before each answer."""

    default: int = 200
    delay: float = 0.0
    script: dict[str, list[int]] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    port: int = 0

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def answer(self, path: str) -> int:
        with self.lock:
            queue = self.script.get(path)
            return queue.pop(0) if queue else self.default

    def at(self, path: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.path == path]

    def count(self) -> int:
        with self.lock:
            return len(self.received)


def _handler(receiver: WebhookReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # else each answer waits for a delayed ACK

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if receiver.delay:
                time.sleep(receiver.delay)
            status = receiver.answer(self.path)
            with receiver.lock:
                receiver.received.append(Received(
                    self.path, {k.lower(): v for k, v in self.headers.items()}, body, status
                ))
            reply = b"ok" if status < 300 else b"receiver says no"
            try:
                self.send_response(status)
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the sender gave up waiting (a timeout test)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # a worker opens many connections at once

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A sender closing its keep-alive connection is no error of the test's.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@contextmanager
def webhook_receiver(**options: Any) -> Iterator[WebhookReceiver]:
    """A running WebhookReceiver on 127.0.0.1 (stopped on exit)."""
    receiver = WebhookReceiver(**options)
    server = _Server(("127.0.0.1", 0), _handler(receiver))
    receiver.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@dataclass
class Mailbox:
    """What the SMTP server accepted. ``refuse`` lists recipients answered 550."""

    host: str = "127.0.0.1"
    port: int = 0
    refuse: set[str] = field(default_factory=set)
    messages: list[EmailMessage] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [m for m in self.messages if m["To"] == address]

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if address in self.refuse:
            return "550 no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(
        self, server: Any, session: Any, envelope: Any
    ) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self.lock:
            self.messages.append(message)
        return "250 Message accepted for delivery"


@contextmanager
def smtp_server() -> Iterator[Mailbox]:
    """A running aiosmtpd server on 127.0.0.1 (stopped on exit)."""
    mailbox = Mailbox(port=free_port())
    controller = Controller(mailbox, hostname=mailbox.host, port=mailbox.port)
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()
