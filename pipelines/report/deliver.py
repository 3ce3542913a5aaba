"""Delivers a rendered report: a Slack incoming webhook and an e-mail, each once per week.

Why it looks like this:
- Configuration is the `[report]` table of `paved.toml`; secrets are never in it, only the
  NAMES of the environment variables that hold them (the webhook URL is a secret: whoever has
  it can post). No message, log line or outcome ever contains a secret.
- A week is delivered once per channel: successes are recorded in `<home>/state/deliveries.json`
  (the published warehouse is read-only, so state lives beside it), and a second delivery is a
  no-op unless forced. A scheduled re-run or a backfill therefore never spams a channel.
- Transient failures (connection errors, HTTP 5xx/429, SMTP 4xx) are retried with exponential
  backoff; permanent ones (HTTP 4xx, SMTP 5xx, bad configuration) fail at once with a message
  that says what to fix. Either way delivery returns outcomes instead of raising, and it only
  ever runs after rendering, so it can never block a report from being written.
"""

from __future__ import annotations

import html
import json
import logging
import os
import smtplib
import ssl
import time
import tomllib
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any

import httpx

from pipelines.config_models import ReportSection, SectionError, check
from pipelines.paths import Home
from pipelines.redact import install_logging, redact, redact_obj, register, register_config
from pipelines.report.render import ReportResult

log = logging.getLogger(__name__)

DEFAULT_ATTEMPTS = 3
DEFAULT_BACKOFF_S = 2.0
DEFAULT_TIMEOUT_S = 30.0
MAX_RETRY_AFTER_S = 60.0
SLACK_HEADLINES = 8

Sleep = Callable[[float], None]


class ReportConfigError(ValueError):
    """A `[report]` table that cannot be used; the message names the key."""


class DeliveryError(Exception):
    """One failed attempt; `retryable` says whether another attempt could succeed."""

    def __init__(self, message: str, retryable: bool, retry_after: float | None = None):
        super().__init__(message)
        self.retryable = retryable
        self.retry_after = retry_after


@dataclass(frozen=True)
class DeliveryOutcome:
    """What happened on one channel for one week."""

    channel: str  # "slack" or "email"
    week: str
    status: str  # "sent", "skipped" (already delivered), "failed", "not_configured"
    attempts: int
    message: str

    @property
    def ok(self) -> bool:
        return self.status != "failed"


# --- configuration -------------------------------------------------------------------------------


def load_report_config(path: str | os.PathLike[str] | None) -> dict[str, Any]:
    """The `[report]` table of a `paved.toml` (empty when there is no file or no table)."""
    if path is None or not Path(path).is_file():
        return {}
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ReportConfigError(f"{path}: not valid TOML ({exc})") from exc
    table = data.get("report", {})
    validate_config(table, str(path))
    return table


def validate_config(config: Mapping[str, Any], where: str = "") -> None:
    """Keys and types of a `[report]` table (config_models.ReportSection, which
    `pipelines.config.load_config` also applies to the whole file); `where` names the file."""
    try:
        check(ReportSection, config, "report")
    except SectionError as exc:
        prefix = f"{where}: " if where else ""
        raise ReportConfigError("\n".join(prefix + line for line in exc.problems)) from None


def _recipients(config: Mapping[str, Any]) -> list[str]:
    raw = config.get("mail_to") or []
    return [raw] if isinstance(raw, str) else [str(r) for r in raw]


def report_link(config: Mapping[str, Any], week: str) -> str | None:
    """Where the page is served: `public_url` with `{week}` filled in, or `<public_url>/<week>/`."""
    base = str(config.get("public_url") or "").strip()
    if not base:
        return None
    if "{week}" in base:
        return base.replace("{week}", week)
    return f"{base.rstrip('/')}/{week}/report.html"


# --- the ledger -----------------------------------------------------------------------------------


class Ledger:
    """`<home>/state/deliveries.json`: {week: {channel: record}} of successful deliveries."""

    def __init__(self, path: Path):
        self.path = path

    @classmethod
    def for_home(cls, home: Home) -> Ledger:
        return cls(home.root / "state" / "deliveries.json")

    def read(self) -> dict[str, dict[str, Any]]:
        if not self.path.is_file():
            return {}
        try:
            return json.loads(self.path.read_text(encoding="utf-8"))
        except json.JSONDecodeError:
            log.warning("report: %s is not valid JSON; treating it as empty", self.path)
            return {}

    def delivered(self, week: str, channel: str) -> dict[str, Any] | None:
        return self.read().get(week, {}).get(channel)

    def record(self, week: str, channel: str, entry: dict[str, Any]) -> None:
        data = self.read()
        data.setdefault(week, {})[channel] = redact_obj(entry)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temp = self.path.with_name(f".{self.path.name}.{uuid.uuid4().hex}")
        temp.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        os.replace(temp, self.path)


# --- retries --------------------------------------------------------------------------------------


def with_retries(
    send: Callable[[], None], attempts: int, backoff: float, sleep: Sleep
) -> tuple[int, DeliveryError | None]:
    """Call `send` until it succeeds, a permanent error, or `attempts` run out.

    Waits backoff, 2*backoff, 4*backoff... between attempts (or the server's Retry-After,
    capped), through `sleep` so tests need not wait.
    """
    error: DeliveryError | None = None
    for attempt in range(1, max(1, attempts) + 1):
        try:
            send()
            return attempt, None
        except DeliveryError as exc:
            error = exc
            if not exc.retryable or attempt >= attempts:
                return attempt, exc
            wait = backoff * 2 ** (attempt - 1)
            if exc.retry_after is not None:
                wait = max(wait, min(exc.retry_after, MAX_RETRY_AFTER_S))
            log.info("report: attempt %d failed (%s); retrying in %.1f s", attempt, exc, wait)
            sleep(wait)
    return max(1, attempts), error


# --- Slack ----------------------------------------------------------------------------------------


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_payload(result: ReportResult, link: str | None) -> dict[str, Any]:
    """Incoming-webhook JSON: `text` (notifications, old clients) plus Block Kit blocks."""
    bullets = "\n".join(f"• {_slack_escape(h)}" for h in result.headlines[:SLACK_HEADLINES])
    link_text = f"<{link}|Open the full report>" if link else ""
    text = "\n".join(p for p in (result.title, bullets, link_text) if p)
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": result.title[:150]}},
        {"type": "section", "text": {"type": "mrkdwn", "text": bullets[:3000] or "No data."}},
    ]
    if link:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": link_text}})
    else:
        blocks.append({
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": "The full report is attached to the e-mail."}],
        })  # fmt: skip
    return {"text": text, "blocks": blocks}


def _retry_after(response: httpx.Response) -> float | None:
    try:
        return float(response.headers["retry-after"])
    except (KeyError, ValueError):
        return None


def post_slack(client: httpx.Client, url: str, payload: dict[str, Any], env_name: str) -> None:
    """One POST to the webhook. Errors and logs never carry the URL: it is the secret (httpx logs
    every request URL at INFO: the URL is registered with `pipelines.redact`, which masks it in
    every log record)."""
    register([url])
    install_logging()
    try:
        response = client.post(url, json=payload)
    except httpx.TransportError as exc:
        raise DeliveryError(f"Slack webhook unreachable ({type(exc).__name__})", True) from None
    code = response.status_code
    if code == 429 or code >= 500:
        raise DeliveryError(f"Slack answered HTTP {code}", True, _retry_after(response))
    if code >= 400:
        body = redact(response.text)[:200].strip()  # a server may echo what it was sent
        raise DeliveryError(
            f"Slack rejected the message: HTTP {code} {body!r}; check the webhook URL in "
            f"${env_name} (revoked or mistyped?)",
            False,
        )


# --- e-mail ---------------------------------------------------------------------------------------


def email_message(
    result: ReportResult, config: Mapping[str, Any], link: str | None
) -> EmailMessage:
    """multipart/mixed: [alternative: plain text, related: HTML + inline charts (cid)] + PDF."""
    msg = EmailMessage()
    msg["Subject"] = result.title
    msg["From"] = str(config["mail_from"])
    msg["To"] = ", ".join(_recipients(config))
    msg["Date"] = formatdate(usegmt=True)
    msg["Message-ID"] = make_msgid(domain=str(config["mail_from"]).rpartition("@")[2] or None)
    text = result.markdown.read_text(encoding="utf-8")
    if link:
        text = f"Full report: {link}\n\n{text}"
    msg.set_content(text)
    page = result.email_html.read_text(encoding="utf-8")
    if link:
        anchor = f'<p><a href="{html.escape(link)}">Open the full report</a></p>'
        page = page.replace("<body>\n", f"<body>\n{anchor}\n", 1)
    msg.add_alternative(page, subtype="html")
    html_part = msg.get_payload()[-1]
    for name, path in sorted(result.pngs.items()):
        html_part.add_related(
            path.read_bytes(),
            maintype="image",
            subtype="png",
            cid=f"<{name}>",
            filename=path.name,
            disposition="inline",
        )
    if result.pdf is not None and result.pdf.is_file():
        msg.add_attachment(
            result.pdf.read_bytes(),
            maintype="application",
            subtype="pdf",
            filename=f"paved-report-{result.week}.pdf",
        )
    return msg


def send_email(msg: EmailMessage, config: Mapping[str, Any], env: Mapping[str, str]) -> None:
    """One SMTP session: STARTTLS unless `smtp_starttls = false`, login when a user is named."""
    host = str(config["smtp_host"])
    port = int(config.get("smtp_port", 587))
    timeout = float(config.get("timeout_seconds", DEFAULT_TIMEOUT_S))
    user = env.get(str(config.get("smtp_user_env", "")), "") if config.get("smtp_user_env") else ""
    password_env = str(config.get("smtp_password_env", ""))
    password = env.get(password_env, "") if password_env else ""
    try:
        with smtplib.SMTP(host, port, timeout=timeout) as smtp:
            smtp.ehlo()
            if config.get("smtp_starttls", True):
                smtp.starttls(context=ssl.create_default_context())
                smtp.ehlo()
            if user:
                smtp.login(user, password)
            refused = smtp.send_message(msg)
    except smtplib.SMTPNotSupportedError as exc:
        raise DeliveryError(
            f"SMTP server {host}:{port} does not support {exc}: set smtp_starttls = false only "
            "for a trusted local relay",
            False,
        ) from None
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        retryable = all(400 <= c < 500 for c in codes)
        raise DeliveryError(
            f"SMTP server refused every recipient ({', '.join(sorted(exc.recipients))})", retryable
        ) from None
    except smtplib.SMTPResponseException as exc:
        message = (
            exc.smtp_error.decode(errors="replace")
            if isinstance(exc.smtp_error, bytes)
            else str(exc.smtp_error)
        )
        hint = " (check the user and password env vars)" if exc.smtp_code in (530, 534, 535) else ""
        raise DeliveryError(
            f"SMTP {host}:{port} answered {exc.smtp_code} {redact(message)[:200]}{hint}",
            400 <= exc.smtp_code < 500,
        ) from None
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(
            f"SMTP {host}:{port} unreachable ({type(exc).__name__})", True
        ) from None
    if refused:
        raise DeliveryError(f"SMTP server refused {', '.join(sorted(refused))}", False)


# --- orchestration --------------------------------------------------------------------------------


def deliver_report(
    home: Home,
    result: ReportResult,
    config: Mapping[str, Any],
    force: bool = False,
    *,
    sleep: Sleep = time.sleep,
    env: Mapping[str, str] | None = None,
    client: httpx.Client | None = None,
) -> list[DeliveryOutcome]:
    """Send `result` on every configured channel not yet delivered for its week (or all: force).

    Returns one outcome per channel (Slack, then e-mail) and never raises for a delivery
    failure: the caller decides whether a failed outcome fails its command or run.
    """
    validate_config(config)
    env = os.environ if env is None else env
    install_logging()
    register_config(config, env)  # the webhook URL, the SMTP user and password
    ledger = Ledger.for_home(home)
    attempts = int(config.get("max_attempts", DEFAULT_ATTEMPTS))
    backoff = float(config.get("backoff_seconds", DEFAULT_BACKOFF_S))
    link = report_link(config, result.week)
    outcomes = []

    def run(channel: str, configured: str | None, send: Callable[[], None]) -> DeliveryOutcome:
        if configured is not None:
            return DeliveryOutcome(channel, result.week, "not_configured", 0, configured)
        previous = ledger.delivered(result.week, channel)
        if previous and not force:
            return DeliveryOutcome(
                channel,
                result.week,
                "skipped",
                0,
                f"already delivered at {previous.get('delivered_at')}; use --force to resend",
            )
        used, error = with_retries(send, attempts, backoff, sleep)
        if error is not None:  # the one place a failure becomes an outcome's text
            message = redact(error)
            log.warning("report: %s delivery of %s failed: %s", channel, result.week, message)
            return DeliveryOutcome(channel, result.week, "failed", used, message)
        ledger.record(result.week, channel, {
            "delivered_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "attempts": used,
            "out_dir": str(result.out_dir),
            "forced": bool(previous and force),
        })  # fmt: skip
        log.info("report: %s delivered %s in %d attempt(s)", channel, result.week, used)
        return DeliveryOutcome(channel, result.week, "sent", used, "delivered")

    outcomes.append(_deliver_slack(result, config, env, link, client, run))
    outcomes.append(_deliver_email(result, config, env, link, run))
    return outcomes


_Run = Callable[[str, "str | None", Callable[[], None]], DeliveryOutcome]


def _misconfigured(channel: str, week: str, message: str) -> DeliveryOutcome:
    return DeliveryOutcome(channel, week, "failed", 0, redact(message))


def _deliver_slack(
    result: ReportResult,
    config: Mapping[str, Any],
    env: Mapping[str, str],
    link: str | None,
    client: httpx.Client | None,
    run: _Run,
) -> DeliveryOutcome:
    env_name = str(config.get("slack_webhook_env") or "")
    if not env_name:
        return run("slack", "Slack is not configured (no slack_webhook_env)", lambda: None)
    url = env.get(env_name, "").strip()
    if not url:
        return _misconfigured(
            "slack", result.week, f"${env_name} is empty: set it to the Slack webhook URL"
        )
    payload = slack_payload(result, link)
    timeout = float(config.get("timeout_seconds", DEFAULT_TIMEOUT_S))
    own = client is None
    http = client or httpx.Client(timeout=timeout)
    try:
        return run("slack", None, lambda: post_slack(http, url, payload, env_name))
    finally:
        if own:
            http.close()


def _deliver_email(
    result: ReportResult,
    config: Mapping[str, Any],
    env: Mapping[str, str],
    link: str | None,
    run: _Run,
) -> DeliveryOutcome:
    if not config.get("smtp_host") or not _recipients(config):
        return run("email", "E-mail is not configured (smtp_host and mail_to)", lambda: None)
    if not config.get("mail_from"):
        return _misconfigured("email", result.week, "mail_from is required to send e-mail")
    for key in ("smtp_user_env", "smtp_password_env"):
        name = config.get(key)
        if name and not env.get(str(name)):
            return _misconfigured("email", result.week, f"${name} ({key}) is empty")
    msg = email_message(result, config, link)
    return run("email", None, lambda: send_email(msg, config, env))
