"""The one HTTP client factory every connector uses, and the paging helpers built on it.

Why one place: rate limits, flaky proxies and half-written bodies are the same problem for every
provider, and the fix (wait, retry with jitter, give up with a message that names the request)
should behave the same everywhere. Connectors therefore take a plain `httpx.Client`; the
behaviour lives in `ResilientTransport`, so a test can hand in a client bound to a local server
and still exercise the real retry logic. Sleeping and the clock are injected, so tests never wait.

Secrets: tokens travel only in request headers that connectors add per request. Nothing here logs
headers, every URL that reaches a log line or an error is passed through `safe_url` first, and
what a provider answers (an error body may echo the token) is passed through `pipelines.redact`
before it becomes part of a message.
"""

from __future__ import annotations

import email.utils
import json
import logging
import random
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from pipelines.connectors.errors import ConnectorError, RateLimitExhausted
from pipelines.redact import redact

log = logging.getLogger("pipelines.connectors.http")

RETRYABLE_STATUS = frozenset({500, 502, 503, 504, 520, 521, 522, 524})
_SECRET_PARAMS = re.compile(r"(token|key|secret|password|signature|auth)", re.IGNORECASE)
_LINK = re.compile(r'<([^>]+)>\s*;\s*rel="?([^";]+)"?')


def safe_url(url: httpx.URL | str) -> str:
    """The URL without credentials: userinfo dropped and secret-looking query values masked."""
    u = httpx.URL(str(url))
    if u.userinfo:
        u = u.copy_with(username=None, password=None)
    if u.query:
        params = [
            (k, "***" if _SECRET_PARAMS.search(k) else v) for k, v in u.params.multi_items()
        ]
        u = u.copy_with(params=params)
    return redact(str(u))


def describe(request: httpx.Request) -> str:
    """`METHOD url` for messages, never with secrets."""
    return redact(f"{request.method} {safe_url(request.url)}")


@dataclass
class HttpStats:
    """Counters one sync reports: what it cost the provider and what conditional requests saved."""

    requests: int = 0  # every attempt that reached the network, retries included
    retries: int = 0
    not_modified: int = 0  # 304 answers: the provider had nothing new for us
    waited_s: float = 0.0  # time spent waiting on rate limits and back-off

    def snapshot(self) -> dict[str, float]:
        return {
            "requests": self.requests,
            "retries": self.retries,
            "not_modified": self.not_modified,
            "waited_s": round(self.waited_s, 3),
        }


@dataclass
class RetryPolicy:
    """How hard to try before giving up. Defaults suit a daily batch job, not an interactive UI."""

    max_attempts: int = 5
    backoff_base_s: float = 1.0
    backoff_cap_s: float = 60.0
    rate_limit_budget_s: float = 900.0  # total time one client may spend waiting for quota
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.time
    jitter: Callable[[], float] = random.random

    def backoff(self, attempt: int) -> float:
        """Full jitter: a random wait up to base·2^attempt, so parallel jobs do not stampede."""
        ceiling = min(self.backoff_cap_s, self.backoff_base_s * (2**attempt))
        return ceiling * (0.5 + self.jitter() / 2)


def _header_float(headers: httpx.Headers, name: str) -> float | None:
    value = headers.get(name)
    if value is None:
        return None
    try:
        return float(value.strip())
    except ValueError:
        return None


def rate_limit_wait(response: httpx.Response, now: float) -> float | None:
    """Seconds the provider asks us to wait, or None when the response is not a rate limit.

    Understood: `Retry-After` (seconds or HTTP date, any provider); GitHub's 403/429 with
    `x-ratelimit-remaining: 0` and `x-ratelimit-reset` (epoch seconds); PagerDuty's
    `ratelimit-reset` (seconds from now) and GitLab's `RateLimit-Reset` (epoch seconds) on 429.
    A reset value above 10^9 is an epoch, anything smaller a delay: the two never overlap.
    """
    status = response.status_code
    headers = response.headers
    remaining = headers.get("x-ratelimit-remaining") or headers.get("ratelimit-remaining")
    exhausted = remaining is not None and remaining.strip() == "0"
    if status not in (403, 429):
        return None
    if status == 403 and not exhausted and "retry-after" not in headers:
        return None  # a permission problem, not a quota
    retry_after = headers.get("retry-after")
    if retry_after is not None:
        try:
            return max(0.0, float(retry_after))
        except ValueError:
            parsed = email.utils.parsedate_to_datetime(retry_after)
            if parsed is not None:
                return max(0.0, parsed.timestamp() - now)
    for name in ("x-ratelimit-reset", "ratelimit-reset"):
        reset = _header_float(headers, name)
        if reset is not None:
            return max(0.0, reset - now if reset > 1e9 else reset)
    return 60.0 if status == 429 else None


def _is_json(response: httpx.Response) -> bool:
    return "json" in response.headers.get("content-type", "")


def _body_is_valid_json(response: httpx.Response) -> bool:
    if not response.content:
        return True
    try:
        json.loads(response.content)
    except ValueError:
        return False
    return True


class ResilientTransport(httpx.BaseTransport):
    """Wraps a real transport with retries, rate-limit waits and body validation.

    A truncated JSON body (a proxy dropping the connection mid-response) looks like a success to
    httpx, so the body is read and parsed here and a broken one is retried like a 502. What still
    fails after the last attempt is returned as is (or raised, for network errors) so the caller
    can say which request failed.
    """

    def __init__(
        self, inner: httpx.BaseTransport, policy: RetryPolicy, stats: HttpStats
    ) -> None:
        self.inner = inner
        self.policy = policy
        self.stats = stats
        self._waited_for_quota = 0.0

    def _pause(self, seconds: float) -> None:
        self.stats.waited_s += seconds
        self.policy.sleep(seconds)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        policy = self.policy
        attempt = 0
        quota_waits = 0
        while True:
            attempt += 1
            self.stats.requests += 1
            log.debug("request %s (attempt %d)", describe(request), attempt)
            try:
                response = self.inner.handle_request(request)
                response.read()
            except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
                if attempt >= policy.max_attempts:
                    raise ConnectorError(
                        f"{describe(request)} failed after {attempt} attempts "
                        f"({type(exc).__name__}): check that the server is reachable from this "
                        "machine, or raise the timeout"
                    ) from exc
                wait = policy.backoff(attempt)
                log.warning(
                    "%s: %s, retrying in %.1fs", describe(request), type(exc).__name__, wait
                )
                self.stats.retries += 1
                self._pause(wait)
                continue
            if response.status_code == 304:
                self.stats.not_modified += 1
            wait = rate_limit_wait(response, policy.clock())
            if wait is not None:
                wait = max(wait, 1.0)  # a reset already past (clock skew) must not spin
                quota_waits += 1
                if (self._waited_for_quota + wait > policy.rate_limit_budget_s
                        or quota_waits > 2 * policy.max_attempts):
                    response.close()
                    raise RateLimitExhausted(
                        f"{describe(request)}: rate limit reached (HTTP {response.status_code}); "
                        f"the provider asks to wait {wait:.0f}s, beyond the remaining budget of "
                        f"{policy.rate_limit_budget_s - self._waited_for_quota:.0f}s: run the "
                        "sync later or raise `rate_limit_budget_s` for this source"
                    )
                log.warning(
                    "%s: rate limited (HTTP %d), waiting %.1fs",
                    describe(request),
                    response.status_code,
                    wait,
                )
                response.close()
                self._waited_for_quota += wait
                self.stats.retries += 1
                self._pause(wait)
                attempt -= 1  # a quota wait is not a failed attempt
                continue
            broken = (
                response.status_code == 200 and _is_json(response)
                and not _body_is_valid_json(response)
            )
            if (response.status_code in RETRYABLE_STATUS or broken) and (
                attempt < policy.max_attempts
            ):
                reason = "invalid JSON body" if broken else f"HTTP {response.status_code}"
                wait = policy.backoff(attempt)
                log.warning("%s: %s, retrying in %.1fs", describe(request), reason, wait)
                response.close()
                self.stats.retries += 1
                self._pause(wait)
                continue
            return response

    def close(self) -> None:
        self.inner.close()


def make_client(
    *,
    timeout_s: float = 30.0,
    policy: RetryPolicy | None = None,
    stats: HttpStats | None = None,
    transport: httpx.BaseTransport | None = None,
    user_agent: str = "paved-connectors/1",
) -> httpx.Client:
    """The shared client: timeouts, retries with jitter, rate-limit waits, JSON validation.

    `transport` replaces the network (tests pass `httpx.MockTransport`); `stats` is exposed on the
    client as `client.paved_stats` so `sync_source` can report what the run cost.
    """
    stats = stats or HttpStats()
    inner = transport or httpx.HTTPTransport()
    client = httpx.Client(
        transport=ResilientTransport(inner, policy or RetryPolicy(), stats),
        timeout=httpx.Timeout(timeout_s, connect=min(10.0, timeout_s)),
        headers={"User-Agent": user_agent},
        follow_redirects=True,
    )
    client.paved_stats = stats  # type: ignore[attr-defined]
    return client


def client_stats(client: httpx.Client) -> HttpStats:
    """The counters of a client made by `make_client`; an empty set for any other client."""
    stats = getattr(client, "paved_stats", None)
    if isinstance(stats, HttpStats):
        return stats
    stats = HttpStats()
    client.paved_stats = stats  # type: ignore[attr-defined]
    return stats


@dataclass
class Page:
    """One answer of a list endpoint: its parsed body, or `not_modified` for a 304."""

    url: str
    data: Any
    headers: httpx.Headers
    etag: str | None = None
    not_modified: bool = False
    links: dict[str, str] = field(default_factory=dict)


def parse_link_header(value: str | None) -> dict[str, str]:
    """`Link: <url>; rel="next", ...` as {rel: url} (GitHub and GitLab, offset or keyset)."""
    if not value:
        return {}
    return {rel: url for url, rel in _LINK.findall(value)}


def request_json(
    client: httpx.Client,
    url: str,
    *,
    params: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
    etag: str | None = None,
    what: str = "",
) -> Page:
    """GET one JSON document; a 304 to `If-None-Match` comes back as `Page(not_modified=True)`.

    Every failure becomes a `ConnectorError` naming the request and the likely fix.
    """
    all_headers = dict(headers or {})
    if etag:
        all_headers["If-None-Match"] = etag
    try:
        response = client.get(url, params=params, headers=all_headers)
    except ConnectorError:
        raise
    except httpx.HTTPError as exc:
        where = safe_url(exc.request.url) if exc.request is not None else safe_url(url)
        raise ConnectorError(
            f"GET {where} failed ({type(exc).__name__}): check the base_url and the network"
        ) from exc
    request = response.request
    if response.status_code == 304:
        return Page(safe_url(request.url), None, response.headers, etag, True)
    if response.status_code >= 400:
        raise ConnectorError(_error_message(response, what))
    try:
        data = response.json()
    except ValueError as exc:
        raise ConnectorError(
            f"{describe(request)} returned an invalid JSON body ({len(response.content)} bytes) "
            "even after retries: the server or a proxy truncates responses; retry later or "
            "lower `per_page`"
        ) from exc
    return Page(
        url=safe_url(request.url),
        data=data,
        headers=response.headers,
        etag=response.headers.get("etag"),
        links=parse_link_header(response.headers.get("link")),
    )


def _error_message(response: httpx.Response, what: str) -> str:
    status = response.status_code
    hint = {
        401: "the token is missing, wrong or expired: check the variable named by `token_env`",
        403: "the token lacks a permission or scope needed here: grant read access",
        404: "the resource does not exist or the token cannot see it: check the scope names",
        410: "the resource is gone: remove it from the configuration",
        422: "the provider rejected a parameter: check the configuration values",
    }.get(status, "the provider failed repeatedly: retry later")
    detail = ""
    try:
        body = response.json()
        if isinstance(body, dict):
            msg = body.get("message") or body.get("error") or body.get("errors")
            if msg:  # providers echo what they were sent: redact before cutting
                detail = f" ({redact(msg)[:200]})"
    except ValueError:
        pass
    subject = f" reading {what}" if what else ""
    return redact(f"{describe(response.request)}{subject}: HTTP {status}{detail}; {hint}")


def iter_link_pages(
    client: httpx.Client,
    url: str,
    *,
    params: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
    etag: str | None = None,
    what: str = "",
) -> Iterator[Page]:
    """Follow `Link: rel="next"` until the end; the ETag guards the first page only.

    The next URL is taken verbatim (GitHub switches to `/repositories/{id}/...`, GitLab keyset
    pagination carries its cursor in it), so parameters are sent with the first request only.
    """
    page = request_json(client, url, params=params, headers=headers, etag=etag, what=what)
    yield page
    seen = {page.url}
    while not page.not_modified and "next" in page.links:
        next_url = page.links["next"]
        if safe_url(next_url) in seen:
            raise ConnectorError(
                f"GET {safe_url(next_url)}: the server sent the same next page twice; "
                "stopping to avoid a loop"
            )
        page = request_json(client, next_url, headers=headers, what=what)
        seen.add(page.url)
        yield page
