"""The shared HTTP client: retries, rate limits, pagination, ETags, clear failures."""

from __future__ import annotations

import time

import httpx
import pytest

from pipelines.connectors.errors import ConnectorError, RateLimitExhausted
from pipelines.connectors.http import (
    RetryPolicy,
    client_stats,
    iter_link_pages,
    make_client,
    rate_limit_wait,
    request_json,
    safe_url,
)
from tests.connectors.fakeserver import FakeServer, Reply, link_page

ITEMS = [{"id": i} for i in range(25)]


@pytest.fixture
def paged(server: FakeServer) -> str:
    server.route(r"/items", lambda q, m: link_page(server, q, ITEMS, default_per_page=10))
    return f"{server.base_url}/items"


def fetch_all(client: httpx.Client, url: str) -> list[dict]:
    out: list[dict] = []
    for page in iter_link_pages(client, url, params={"per_page": 10}):
        out.extend(page.data)
    return out


def test_link_pagination_fetches_every_page_exactly_once(client, server, paged):
    assert fetch_all(client, paged) == ITEMS
    pages = [r.arg("page", "1") for r in server.hits(r"/items")]
    assert sorted(pages) == ["1", "2", "3"]


def test_429_waits_for_retry_after_then_recovers(client, server, paged, sleeps):
    server.fault(r"/items", "429")
    assert fetch_all(client, paged) == ITEMS
    assert 7.0 in sleeps
    assert client_stats(client).retries == 1


def test_github_403_with_exhausted_quota_waits_until_reset(client, server, paged, sleeps):
    server.fault(r"/items", "403-ratelimit")
    assert fetch_all(client, paged) == ITEMS
    assert len(sleeps) == 1 and 35 <= sleeps[0] <= 43  # reset is 42 s ahead of the server clock


def test_pagerduty_ratelimit_reset_header_is_honoured(client, server, paged, sleeps):
    server.fault(r"/items", "pd-429")
    assert fetch_all(client, paged) == ITEMS
    assert sleeps == [3.0]


def test_rate_limit_beyond_the_budget_fails_naming_the_request(server, paged, sleeps):
    policy = RetryPolicy(rate_limit_budget_s=60, sleep=sleeps.append)
    server.fault(r"/items", "403-ratelimit-long")
    with make_client(timeout_s=1, policy=policy) as c, pytest.raises(RateLimitExhausted) as exc:
        fetch_all(c, paged)
    assert f"GET {paged}" in str(exc.value)
    assert "rate_limit_budget_s" in str(exc.value)
    assert sleeps == []


def test_502_is_retried_with_jittered_backoff(client, server, paged, sleeps):
    server.fault(r"/items", "502", times=2)
    assert fetch_all(client, paged) == ITEMS
    assert len(sleeps) == 2 and all(0 < s <= 2.0 for s in sleeps)


def test_timeout_is_retried(client, server, paged):
    server.fault(r"/items", "timeout")
    assert fetch_all(client, paged) == ITEMS
    assert client_stats(client).retries == 1


def test_truncated_json_body_is_retried_then_recovers(client, server, paged):
    server.fault(r"/items", "truncated")
    assert fetch_all(client, paged) == ITEMS
    assert client_stats(client).retries == 1


def test_json_truncated_on_every_attempt_fails_with_a_clear_error(client, server, paged):
    server.fault(r"/items", "truncated", times=99)
    with pytest.raises(ConnectorError) as exc:
        fetch_all(client, paged)
    message = str(exc.value)
    assert message.startswith("GET http://127.0.0.1") and "invalid JSON" in message
    assert len(server.hits(r"/items")) == 4  # max_attempts


def test_persistent_5xx_fails_after_max_attempts(client, server, paged):
    server.fault(r"/items", "502", times=99)
    with pytest.raises(ConnectorError, match=r"HTTP 502.*retry later"):
        fetch_all(client, paged)
    assert len(server.hits(r"/items")) == 4


def test_unreachable_server_fails_naming_the_request(client, sleeps):
    with pytest.raises(ConnectorError, match=r"GET http://127.0.0.1:9/x failed after 4 attempts"):
        request_json(client, "http://127.0.0.1:9/x")
    assert len(sleeps) == 3


def test_404_names_the_request_and_what_to_do(client, server, paged):
    server.fault(r"/items", "404")
    with pytest.raises(ConnectorError) as exc:
        fetch_all(client, paged)
    assert "HTTP 404" in str(exc.value) and "check the scope names" in str(exc.value)


def test_etag_makes_an_unchanged_page_a_304(client, server, paged):
    first = request_json(client, paged)
    again = request_json(client, paged, etag=first.etag)
    assert again.not_modified and again.data is None
    assert client_stats(client).not_modified == 1


def test_a_loop_in_next_links_is_detected(client, server):
    server.route(r"/loop", lambda q, m: Reply(
        200, [1], {"Link": f'<{server.base_url}/loop>; rel="next"'}))
    with pytest.raises(ConnectorError, match="same next page twice"):
        list(iter_link_pages(client, f"{server.base_url}/loop"))


def test_sleeping_is_injected_so_faults_cost_no_wall_time(client, server, paged):
    server.fault(r"/items", "429", times=2)
    server.fault(r"/items", "502", times=1)
    started = time.monotonic()
    fetch_all(client, paged)
    assert time.monotonic() - started < 1.0


@pytest.mark.parametrize(
    ("status", "headers", "expected"),
    [
        (429, {"Retry-After": "12"}, 12.0),
        (403, {"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1000000060"}, 60.0),
        (429, {"ratelimit-remaining": "0", "ratelimit-reset": "5"}, 5.0),  # PagerDuty: delay
        (429, {"RateLimit-Reset": "1000000030"}, 30.0),  # GitLab: epoch
        (403, {"x-ratelimit-remaining": "12"}, None),  # a permission error, not a quota
        (500, {"Retry-After": "3"}, None),
    ],
)
def test_rate_limit_headers_are_understood(status, headers, expected):
    response = httpx.Response(status, headers=headers)
    assert rate_limit_wait(response, now=1_000_000_000.0) == expected


def test_backoff_is_jittered_and_capped():
    values = iter([0.0, 1.0])
    policy = RetryPolicy(backoff_base_s=1, backoff_cap_s=10, jitter=lambda: next(values))
    assert policy.backoff(2) == 2.0  # half of the 4 s ceiling at jitter 0
    assert policy.backoff(10) == 10.0  # capped


def test_safe_url_removes_credentials():
    url = "https://user:pw@example.com/x?api_key=abc&page=2&access_token=zzz"
    cleaned = safe_url(url)
    assert "pw" not in cleaned and "abc" not in cleaned and "zzz" not in cleaned
    assert "page=2" in cleaned
