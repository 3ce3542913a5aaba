"""Local stand-ins for Slack and an SMTP relay, bound to 127.0.0.1 on free ports."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller


@dataclass
class FakeSlack:
    """Answers each POST with the next queued status (then 200 'ok'); records the bodies."""

    statuses: list[int] = field(default_factory=list)
    received: list[dict] = field(default_factory=list)
    url: str = ""


@contextmanager
def slack_server(statuses: list[int] | None = None) -> Iterator[FakeSlack]:
    state = FakeSlack(statuses=list(statuses or []))

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            length = int(self.headers.get("content-length", 0))
            state.received.append(json.loads(self.rfile.read(length)))
            status = state.statuses.pop(0) if state.statuses else 200
            body = b"ok" if status == 200 else b"invalid_token" if status < 500 else b"oops"
            self.send_response(status)
            self.send_header("content-type", "text/plain")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/services/T000/B000/SECRETTOKEN"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Mailbox:
    """Messages the fake relay accepted; `fail_first` answers 451 to that many DATA commands."""

    fail_first: int = 0
    messages: list[tuple[str, list[str], bytes]] = field(default_factory=list)

    async def handle_DATA(self, server, session, envelope) -> str:  # noqa: N802 - aiosmtpd API
        if self.fail_first > 0:
            self.fail_first -= 1
            return "451 4.3.0 try again later"
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


@contextmanager
def smtp_server(mailbox: Mailbox) -> Iterator[int]:
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield port
    finally:
        controller.stop()
