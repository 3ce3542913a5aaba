"""A local HTTP server speaking the providers' wire formats, with injectable faults.

Real sockets on 127.0.0.1 (stdlib `http.server` in a thread), so the whole client stack runs:
httpx transport, timeouts, headers, redirects. Every request is logged, so tests can prove that
each page was fetched exactly once and that a second run asks for less.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit


@dataclass
class Request:
    method: str
    path: str  # raw, still percent-encoded (GitLab ids are `group%2Fproject`)
    query: dict[str, list[str]]
    headers: dict[str, str]

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    @property
    def target(self) -> str:
        return self.path + ("?" + urlencode(self.query, doseq=True) if self.query else "")


@dataclass
class Reply:
    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)

    def encoded(self) -> bytes:
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        return json.dumps(self.body).encode()


@dataclass
class Fault:
    pattern: re.Pattern[str]
    kind: str
    times: int


Handler = Callable[[Request, re.Match[str]], Reply]


class FakeServer:
    """Routes (regex on the raw path) → handlers; faults fire before the handler, `times` times."""

    def __init__(self) -> None:
        self.routes: list[tuple[re.Pattern[str], Handler]] = []
        self.faults: list[Fault] = []
        self.log: list[Request] = []
        self.timeout_delay = 0.6
        self._lock = threading.Lock()
        server = self

        class _Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - stdlib naming
                server._serve(self)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                return

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeServer:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def route(self, pattern: str, handler: Handler) -> None:
        self.routes.append((re.compile(pattern), handler))

    def fault(self, pattern: str, kind: str, times: int = 1) -> None:
        self.faults.append(Fault(re.compile(pattern), kind, times))

    def hits(self, pattern: str) -> list[Request]:
        rx = re.compile(pattern)
        return [r for r in self.log if rx.search(r.path)]

    def reset_log(self) -> None:
        self.log.clear()

    # -- serving ---------------------------------------------------------------------------
    def _serve(self, h: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(h.path)
        req = Request("GET", parts.path, parse_qs(parts.query, keep_blank_values=True),
                      {k.lower(): v for k, v in h.headers.items()})
        with self._lock:
            self.log.append(req)
            fault = next((f for f in self.faults if f.times > 0 and f.pattern.search(req.path)),
                         None)
            if fault:
                fault.times -= 1
        reply = self._dispatch(req)
        truncate = False
        if fault is not None:
            reply, truncate = self._apply(fault.kind, reply)
        body = reply.encoded()
        etag = reply.headers.get("ETag")
        if etag and reply.status == 200 and req.headers.get("if-none-match") == etag:
            reply, body = Reply(304, None, {"ETag": etag}), b""
        if truncate:
            body = body[: max(1, len(body) // 2)]
        try:
            h.send_response(reply.status)
            if reply.body is not None and not isinstance(reply.body, bytes):
                h.send_header("Content-Type", "application/json; charset=utf-8")
            for k, v in reply.headers.items():
                h.send_header(k, v)
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            h.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout fault): expected

    def _dispatch(self, req: Request) -> Reply:
        for pattern, handler in self.routes:
            m = pattern.fullmatch(req.path)
            if m:
                return handler(req, m)
        return Reply(404, {"message": "Not Found"})

    def _apply(self, kind: str, reply: Reply) -> tuple[Reply, bool]:
        if kind == "429":
            return Reply(429, {"message": "slow down"}, {"Retry-After": "7"}), False
        if kind == "403-ratelimit":
            reset = str(int(time.time()) + 42)
            return Reply(403, {"message": "API rate limit exceeded"}, {
                "x-ratelimit-limit": "5000", "x-ratelimit-remaining": "0",
                "x-ratelimit-reset": reset}), False
        if kind == "403-ratelimit-long":
            reset = str(int(time.time()) + 3600)
            return Reply(403, {"message": "API rate limit exceeded"}, {
                "x-ratelimit-remaining": "0", "x-ratelimit-reset": reset}), False
        if kind == "pd-429":
            return Reply(429, {"error": {"message": "Rate Limit Exceeded"}}, {
                "ratelimit-limit": "960", "ratelimit-remaining": "0",
                "ratelimit-reset": "3"}), False
        if kind in ("502", "500"):
            return Reply(int(kind), b"<html>Bad Gateway</html>", {"Content-Type": "text/html"}), \
                False
        if kind == "404":
            return Reply(404, {"message": "Not Found"}), False
        if kind == "401":
            return Reply(401, {"message": "Bad credentials"}), False
        if kind == "timeout":
            time.sleep(self.timeout_delay)
            return reply, False
        if kind == "truncated":
            return reply, True
        raise ValueError(f"unknown fault {kind}")


# -- paging helpers shared by the provider worlds -------------------------------------------
def etag_of(body: Any) -> str:
    return 'W/"' + hashlib.sha1(json.dumps(body, sort_keys=True).encode()).hexdigest() + '"'


def link_page(
    server: FakeServer, req: Request, items: list[Any], *, wrap: Callable[[list[Any]], Any]
    = lambda x: x, default_per_page: int = 30, extra_headers: dict[str, str] | None = None,
) -> Reply:
    """`page`/`per_page` paging with a GitHub/GitLab `Link` header and a body ETag."""
    per_page = int(req.arg("per_page", str(default_per_page)) or default_per_page)
    page = int(req.arg("page", "1") or 1)
    chunk = items[(page - 1) * per_page : page * per_page]
    body = wrap(chunk)
    headers = {"ETag": etag_of(body), **(extra_headers or {})}
    if page * per_page < len(items):
        query = {k: v for k, v in req.query.items()}
        query["page"] = [str(page + 1)]
        headers["Link"] = f'<{server.base_url}{req.path}?{urlencode(query, doseq=True)}>; ' \
                          'rel="next"'
    return Reply(200, body, headers)


# -- a provider that leaks the caller's credential back ------------------------------------
def credential_of(req: Request) -> str:
    """The secret part of the request's credential, whatever the scheme: `Bearer x`, `token x`,
    PagerDuty's `Token token=x`, `GenieKey x`, or GitLab's `PRIVATE-TOKEN: x`."""
    auth = req.headers.get("authorization") or req.headers.get("private-token") or ""
    value = auth.split(None, 1)[-1] if " " in auth else auth
    return value.removeprefix("token=")


def leaky_provider(server: FakeServer, pattern: str = r"/.*") -> None:
    """Answer every request under `pattern` like a careless provider that echoes the credential:
    first a redirect whose `Location` carries it as `?access_token=` (and `?private_token=`), then,
    on the redirected request, a 401 that repeats it in response headers and in the JSON error
    body (bare, as the Authorization header, and inside a URL)."""

    def handle(req: Request, _m: re.Match[str]) -> Reply:
        secret = credential_of(req)
        auth = req.headers.get("authorization") or f"PRIVATE-TOKEN {secret}"
        echo = {"X-Echo-Authorization": auth, "X-Echo-Token": secret,
                "WWW-Authenticate": f'Bearer error="invalid_token", token="{secret}"'}
        if req.arg("access_token") is None:
            query = urlencode({"access_token": secret, "private_token": secret, "page": "1"})
            return Reply(302, None, {**echo, "Location": f"{server.base_url}{req.path}?{query}"})
        return Reply(401, {
            "message": f"Bad credentials: {secret} is not a valid token (sent {auth})",
            "error": f"invalid token {secret}",
            "documentation_url": f"{server.base_url}/docs?access_token={secret}",
            "request": {"headers": {"Authorization": auth}},
        }, echo)

    server.route(pattern, handle)
