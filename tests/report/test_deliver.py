"""Delivery: Slack webhook and SMTP against local servers, once per week, retried, no secrets."""

from __future__ import annotations

import email
import logging
from email.message import Message
from pathlib import Path

import pytest

from pipelines.paths import Home
from pipelines.report.deliver import (
    DeliveryOutcome,
    ReportConfigError,
    deliver_report,
    load_report_config,
)
from pipelines.report.render import ReportResult, render_report
from tests.report.fixtures import REPORT_WEEK
from tests.report.servers import Mailbox, slack_server, smtp_server


@pytest.fixture
def result(report_home: Home, monkeypatch: pytest.MonkeyPatch) -> ReportResult:
    """A rendered report with (stand-in) PNG charts and PDF, without starting a browser."""

    def fake_pngs(specs, out_dir):
        for spec in specs:
            (out_dir / f"{spec.name}.png").write_bytes(b"\x89PNG\r\n\x1a\n" + spec.name.encode())
        return {spec.name: out_dir / f"{spec.name}.png" for spec in specs}

    def fake_pdf(html: Path, pdf: Path) -> None:
        pdf.write_bytes(b"%PDF-1.4 stand-in")

    monkeypatch.setattr("pipelines.report.charts.write_pngs", fake_pngs)
    monkeypatch.setattr("pipelines.report.render.print_pdf", fake_pdf)
    return render_report(report_home, REPORT_WEEK, None)


class Sleeps(list):
    """An injectable sleep that records the waits instead of waiting."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def _slack_only(url_env: str = "PAVED_TEST_SLACK") -> dict:
    return {"slack_webhook_env": url_env, "public_url": "https://reports.example.com/paved"}


def _by_channel(outcomes: list[DeliveryOutcome]) -> dict[str, DeliveryOutcome]:
    return {o.channel: o for o in outcomes}


def test_slack_message_has_text_blocks_and_a_link(report_home: Home, result: ReportResult) -> None:
    with slack_server() as slack:
        outcomes = deliver_report(
            report_home,
            result,
            _slack_only(),
            env={"PAVED_TEST_SLACK": slack.url},
            sleep=Sleeps(),
        )
    assert _by_channel(outcomes)["slack"].status == "sent"
    (payload,) = slack.received
    link = "https://reports.example.com/paved/2024-W05/report.html"
    assert payload["text"].startswith("Weekly metric report, 2024-W05")
    assert "Change fail rate rose from 8.0% to 14.0%" in payload["text"]
    assert [b["type"] for b in payload["blocks"]] == ["header", "section", "section"]
    assert payload["blocks"][2]["text"]["text"] == f"<{link}|Open the full report>"
    assert _by_channel(outcomes)["email"].status == "not_configured"


def test_second_delivery_does_nothing_unless_forced(
    report_home: Home, result: ReportResult
) -> None:
    with slack_server() as slack:
        env = {"PAVED_TEST_SLACK": slack.url}
        first = deliver_report(report_home, result, _slack_only(), env=env, sleep=Sleeps())
        again = deliver_report(report_home, result, _slack_only(), env=env, sleep=Sleeps())
        forced = deliver_report(report_home, result, _slack_only(), True, env=env, sleep=Sleeps())
    assert [_by_channel(o)["slack"].status for o in (first, again, forced)] == [
        "sent", "skipped", "sent",
    ]  # fmt: skip
    assert len(slack.received) == 2
    assert (report_home.root / "state" / "deliveries.json").is_file()


def test_slack_5xx_is_retried_with_backoff_then_succeeds(
    report_home: Home, result: ReportResult
) -> None:
    sleeps = Sleeps()
    with slack_server(statuses=[503, 500]) as slack:
        outcomes = deliver_report(
            report_home, result, _slack_only(), env={"PAVED_TEST_SLACK": slack.url}, sleep=sleeps
        )
    slack_outcome = _by_channel(outcomes)["slack"]
    assert (slack_outcome.status, slack_outcome.attempts) == ("sent", 3)
    assert sleeps == [2.0, 4.0]
    assert len(slack.received) == 3


def test_slack_4xx_fails_at_once_with_a_clear_error_and_no_secret(
    report_home: Home, result: ReportResult, caplog: pytest.LogCaptureFixture
) -> None:
    sleeps = Sleeps()
    caplog.set_level(logging.DEBUG)
    with slack_server(statuses=[403]) as slack:
        outcomes = deliver_report(
            report_home, result, _slack_only(), env={"PAVED_TEST_SLACK": slack.url}, sleep=sleeps
        )
    outcome = _by_channel(outcomes)["slack"]
    assert (outcome.status, outcome.attempts, sleeps) == ("failed", 1, [])
    assert "HTTP 403" in outcome.message and "$PAVED_TEST_SLACK" in outcome.message
    assert "SECRETTOKEN" not in outcome.message and "SECRETTOKEN" not in caplog.text
    assert not (report_home.root / "state" / "deliveries.json").exists()


def test_retries_give_up_after_max_attempts_and_report_the_failure(
    report_home: Home, result: ReportResult
) -> None:
    with slack_server(statuses=[502, 502, 502, 502]) as slack:
        outcomes = deliver_report(
            report_home,
            result,
            {**_slack_only(), "max_attempts": 2},
            env={"PAVED_TEST_SLACK": slack.url},
            sleep=Sleeps(),
        )
    outcome = _by_channel(outcomes)["slack"]
    assert (outcome.status, outcome.attempts) == ("failed", 2)
    assert outcome.message == "Slack answered HTTP 502"


def _mail_config(port: int) -> dict:
    return {
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "smtp_starttls": False,
        "mail_from": "paved@example.com",
        "mail_to": ["platform@example.com", "leads@example.com"],
    }


def _parts(message: Message) -> list[str]:
    return [part.get_content_type() for part in message.walk()]


def test_email_is_multipart_with_text_html_inline_charts_and_pdf(
    report_home: Home, result: ReportResult
) -> None:
    mailbox = Mailbox()
    with smtp_server(mailbox) as port:
        outcomes = deliver_report(report_home, result, _mail_config(port), env={}, sleep=Sleeps())
    assert _by_channel(outcomes)["email"].status == "sent"
    ((sender, recipients, raw),) = mailbox.messages
    assert (sender, recipients) == (
        "paved@example.com",
        ["platform@example.com", "leads@example.com"],
    )
    message = email.message_from_bytes(raw)
    assert message["Subject"] == "Weekly metric report, 2024-W05"
    assert _parts(message) == [
        "multipart/mixed", "multipart/alternative", "text/plain", "multipart/related",
        "text/html", "image/png", "image/png", "application/pdf",
    ]  # fmt: skip
    parts = {p.get_content_type(): p for p in message.walk()}
    html = parts["text/html"].get_payload(decode=True).decode()
    cids = sorted(p["Content-ID"] for p in message.walk() if p.get_content_type() == "image/png")
    assert cids == ["<dora_trends>", "<other_trends>"]
    assert 'src="cid:dora_trends"' in html and 'src="cid:other_trends"' in html
    pdf = parts["application/pdf"]
    assert pdf.get_filename() == "paved-report-2024-W05.pdf"
    assert pdf.get_payload(decode=True).startswith(b"%PDF-")
    assert "| Change fail rate | 14.0% |" in parts["text/plain"].get_payload(decode=True).decode()


def test_smtp_4xx_is_retried_then_delivered(report_home: Home, result: ReportResult) -> None:
    mailbox = Mailbox(fail_first=1)
    sleeps = Sleeps()
    with smtp_server(mailbox) as port:
        outcomes = deliver_report(report_home, result, _mail_config(port), env={}, sleep=sleeps)
    outcome = _by_channel(outcomes)["email"]
    assert (outcome.status, outcome.attempts, sleeps) == ("sent", 2, [2.0])
    assert len(mailbox.messages) == 1


def test_missing_secret_env_var_is_reported_not_sent(
    report_home: Home, result: ReportResult
) -> None:
    config = {
        **_mail_config(25),
        "smtp_user_env": "PAVED_SMTP_USER",
        "smtp_password_env": "PAVED_SMTP_PASSWORD",
        **_slack_only("PAVED_NO_SUCH"),
    }
    outcomes = _by_channel(deliver_report(report_home, result, config, env={}, sleep=Sleeps()))
    assert outcomes["slack"].status == "failed"
    assert "$PAVED_NO_SUCH is empty" in outcomes["slack"].message
    assert outcomes["email"].status == "failed"
    assert "$PAVED_SMTP_USER" in outcomes["email"].message


def test_report_config_is_the_report_table_of_paved_toml(tmp_path: Path) -> None:
    toml = tmp_path / "paved.toml"
    toml.write_text(
        '[rules]\nband_year = 2024\n\n[report]\nslack_webhook_env = "PAVED_SLACK_WEBHOOK"\n'
        'mail_to = ["a@example.com"]\nsmtp_port = 587\n',
        encoding="utf-8",
    )
    assert load_report_config(toml) == {
        "slack_webhook_env": "PAVED_SLACK_WEBHOOK", "mail_to": ["a@example.com"], "smtp_port": 587,
    }  # fmt: skip
    assert load_report_config(None) == {}
    toml.write_text('[report]\nslack_webhook = "https://hooks.slack.com/x"\n', encoding="utf-8")
    with pytest.raises(ReportConfigError, match="unknown key"):
        load_report_config(toml)
