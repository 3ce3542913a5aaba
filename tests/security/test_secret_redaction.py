"""Secrets never leave paved: a provider that echoes the token cannot put it anywhere we write.

One redaction layer (`pipelines.redact`) masks every configured secret (the values of the
variables named by `*_env` keys) and anything that looks like a credential, at the points where an
error becomes text. These tests run a real `paved run` against a provider that echoes the token
in headers, in its JSON error body and in a redirect URL, then search every file of the home, the
warehouses' text columns and the process output for it.
"""

from __future__ import annotations

import json
import logging
import os
import smtplib
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import duckdb
import httpx
import pytest

from pipelines import cli, redact, runner
from pipelines.connectors import SourceSyncError, sync_source
from pipelines.paths import Home
from pipelines.report.deliver import deliver_report
from tests.connectors.fakeserver import FakeServer, leaky_provider

REPO = Path(__file__).resolve().parents[2]

# Plain-looking secrets, one per auth style: no pattern recognises them, so only the registered
# values of the configured `*_env` variables can mask them.
SECRETS = {
    "LEAK_GITHUB_TOKEN": "Zq7xKp2LeakGithubValue81",  # Authorization: Bearer ...
    "LEAK_PAGERDUTY_TOKEN": "pdLeakValue9kR2mW4",  # Authorization: Token token=...
    "LEAK_OPSGENIE_KEY": "0b7d1c3e-leak-4f2a-9c8d-6e5f4a3b2c1d",  # Authorization: GenieKey ...
    "LEAK_GITLAB_TOKEN": "glLeakValue4TzQ8nV1",  # PRIVATE-TOKEN: ...
}

CONFIG = """
[sources.gh]
type = "github"
base_url = "{url}"
token_env = "LEAK_GITHUB_TOKEN"
repos = ["acme/shop"]
max_attempts = 1

[sources.pd]
type = "pagerduty"
base_url = "{url}"
token_env = "LEAK_PAGERDUTY_TOKEN"
max_attempts = 1

[sources.og]
type = "opsgenie"
base_url = "{url}"
token_env = "LEAK_OPSGENIE_KEY"
max_attempts = 1

[sources.gl]
type = "gitlab"
base_url = "{url}"
token_env = "LEAK_GITLAB_TOKEN"
projects = ["acme/api"]
max_attempts = 1
"""


def _leaks(data: bytes) -> list[str]:
    return [name for name, value in SECRETS.items() if value.encode() in data]


# --- a real `paved run` against a leaky provider -------------------------------------------------


@pytest.fixture(scope="module")
def leaky_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("leaky")
    server = FakeServer().start()
    leaky_provider(server)
    config = root / "paved.toml"
    config.write_text(CONFIG.format(url=server.base_url), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAVED_")}
    env.update(SECRETS)
    home = root / "home"
    try:
        proc = subprocess.run(
            [
                sys.executable,
                "-c",
                "import sys; from pipelines.cli import main; sys.exit(main())",
                "run",
                "--home",
                str(home),
                "--config",
                str(config),
            ],
            cwd=REPO,
            env=env,
            capture_output=True,
            timeout=180,
            check=False,
        )
    finally:
        server.stop()
    con = duckdb.connect(str(home / "warehouse.duckdb"))  # fold any WAL into the file
    con.execute("CHECKPOINT")
    con.close()
    return SimpleNamespace(proc=proc, home=home, server=server)


def test_the_leaky_provider_really_echoed_every_token(leaky_run):
    sent = {
        r.headers.get("authorization") or r.headers.get("private-token")
        for r in leaky_run.server.log
    }
    echoed_back = {r.arg("access_token") for r in leaky_run.server.log if r.arg("access_token")}
    assert echoed_back == set(SECRETS.values())  # each one came back in a redirect URL
    assert all(any(v in (s or "") for s in sent) for v in SECRETS.values())


def test_the_run_reports_each_leaky_source_as_failed_with_a_masked_error(leaky_run):
    assert leaky_run.proc.returncode == 1, leaky_run.proc.stderr.decode()
    con = duckdb.connect(str(leaky_run.home / "published" / "paved.duckdb"), read_only=True)
    try:
        rows = dict(con.execute("SELECT source, error FROM meta.source_runs").fetchall())
    finally:
        con.close()
    assert set(rows) == {"gh", "pd", "og", "gl"}
    for error in rows.values():
        assert "HTTP 401" in error and "***" in error


def test_no_token_in_stdout_or_stderr(leaky_run):
    assert b"HTTP 401" in leaky_run.proc.stderr  # the failures were reported...
    assert _leaks(leaky_run.proc.stdout + leaky_run.proc.stderr) == []  # ...without the tokens


def test_no_token_in_any_file_of_the_home(leaky_run):
    """Working and published DuckDB files (checkpointed), state/*.json, and every file under
    dagster/ (run storage SQLite, event logs, compute logs)."""
    files = [p for p in leaky_run.home.rglob("*") if p.is_file()]
    names = {p.relative_to(leaky_run.home).as_posix() for p in files}
    assert {"warehouse.duckdb", "published/paved.duckdb", "state/last_run.json"} <= names
    dagster = [p for p in files if p.relative_to(leaky_run.home).parts[0] == "dagster"]
    # the failures were written to the run storage (masked): the search looks where they are
    assert any(p.suffix == ".db" and b"HTTP 401" in p.read_bytes() for p in dagster), names
    # ...and to the step's captured stderr (the connectors' log lines, masked)
    assert any("compute_logs" in p.parts and b"HTTP 401" in p.read_bytes() for p in dagster)
    assert {p: _leaks(p.read_bytes()) for p in files if _leaks(p.read_bytes())} == {}


@pytest.mark.parametrize("database", ["warehouse.duckdb", "published/paved.duckdb"])
def test_no_token_in_any_text_column_of_the_warehouses(leaky_run, database):
    """DuckDB compresses strings on disk, so the bytes alone could hide a leak: read every
    column of every table as text as well."""
    con = duckdb.connect(str(leaky_run.home / database), read_only=True)
    try:
        tables = con.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_type = 'BASE TABLE'"
        ).fetchall()
        text = []
        for schema, table in tables:
            rows = con.execute(f'SELECT * FROM "{schema}"."{table}"').fetchall()
            text.append(repr(rows))
    finally:
        con.close()
    assert tables and _leaks("\n".join(text).encode()) == []


def test_a_source_that_crashes_with_the_token_fails_the_run_without_it(
    tmp_path, monkeypatch, capsys
):
    """A bug (not a ConnectorError) fails the step: its message is masked and its cause is not
    attached, so neither the run storage, last_run.json nor stderr hold the token."""
    token = "CrashLeakValue5150xy"

    def crash(*_args, **_kwargs):
        raise RuntimeError(f"unexpected reply echoing {token}")

    monkeypatch.setattr("pipelines.defs.sources.sync_source", crash)
    monkeypatch.setenv("LEAK_CRASH_TOKEN", token)
    monkeypatch.delenv("PAVED_CONFIG", raising=False)
    config = tmp_path / "paved.toml"
    config.write_text(
        '[sources.gh]\ntype = "github"\nbase_url = "http://127.0.0.1:9"\n'
        'token_env = "LEAK_CRASH_TOKEN"\nrepos = ["acme/shop"]\n',
        encoding="utf-8",
    )
    home = tmp_path / "home"
    try:
        code = cli.main(["run", "--home", str(home), "--config", str(config)])
    finally:
        redact.clear()
    out, err = capsys.readouterr()
    files = [p for p in home.rglob("*") if p.is_file()]
    assert any(p.name == "last_run.json" for p in files)
    assert [p for p in files if token.encode() in p.read_bytes()] == []
    assert code == cli.EXIT_FAILURE and token not in out + err
    assert "crashed: RuntimeError: unexpected reply echoing ***" in err


# --- each choke point on its own -----------------------------------------------------------------


@pytest.fixture
def registered():
    """The layer with its logging installed and nothing registered after the test."""
    redact.install_logging()
    yield
    redact.clear()


@pytest.mark.parametrize(
    ("kind", "auth"),
    [
        ("github", "Bearer"),
        ("pagerduty", "Token token="),
        ("opsgenie", "GenieKey"),
    ],
)
def test_a_sync_error_masks_the_token_even_with_httpx_logging_at_debug(
    registered, kind, auth, caplog
):
    token = "Ab3LeakCheckValue77"
    server = FakeServer().start()
    leaky_provider(server)
    settings = {"type": kind, "base_url": server.base_url, "token_env": "T", "max_attempts": 1}
    if kind == "github":
        settings["repos"] = ["acme/shop"]
    con = duckdb.connect(":memory:")
    try:
        with caplog.at_level(logging.DEBUG), pytest.raises(SourceSyncError) as err:
            sync_source(con, "leaky", settings, env={"T": token})
    finally:
        server.stop()
        con.close()
    assert auth in server.log[0].headers["authorization"]
    assert "HTTP 401" in str(err.value) and token not in str(err.value)
    assert token not in json.dumps(err.value.report.as_dict())
    assert "HTTP Request" in caplog.text and token not in caplog.text  # httpx logged, masked
    # httpx and httpcore never log the request headers (where the token travels: the User-Agent
    # would show them); httpcore does log *response* headers at DEBUG, which is how an echoed
    # token would get out without the layer.
    http_lines = [r.getMessage() for r in caplog.records if r.name.startswith("http")]
    assert any("receive_response_headers" in line for line in http_lines)
    assert not any("paved-connectors" in line for line in http_lines)


def test_a_log_record_with_a_secret_is_masked_wherever_it_propagates(registered):
    redact.register(["s3cr3t-value-xyz"])
    seen: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(self.format(record))

    handler = Keep()
    logging.getLogger().addHandler(handler)
    try:
        try:
            raise ValueError("server said s3cr3t-value-xyz")
        except ValueError:
            logging.getLogger("pipelines.some.module").exception("got %s", "s3cr3t-value-xyz")
    finally:
        logging.getLogger().removeHandler(handler)
    assert seen and "s3cr3t-value-xyz" not in seen[0] and "got ***" in seen[0]


def test_register_config_takes_every_env_key_of_every_section(registered):
    config = {
        "sources": {"a": {"token_env": "A"}, "b": {"type": "hr_csv"}},
        "report": {"slack_webhook_env": "HOOK", "smtp_password_env": "PW", "smtp_user_env": "U"},
        "rules": {"production_env_regex": "^prod"},
    }
    env = {
        "A": "tokenA-123456",
        "HOOK": "https://hooks.example/x/y/z",
        "PW": "pw-98765",
        "U": "mailer@acme.test",
        "OTHER": "not-named-anywhere",
    }
    assert sorted(redact.register_config(config, env)) == ["A", "HOOK", "PW", "U"]
    text = " ".join(env.values())
    assert redact.redact(text) == "*** *** *** *** not-named-anywhere"


def test_a_url_encoded_secret_is_masked_too(registered):
    redact.register(["p@ss/word+1"])
    assert redact.redact("GET /x?password=p%40ss%2Fword%2B1") == "GET /x?password=***"
    assert redact.redact("sent p%40ss%2Fword%2B1") == "sent ***"


def test_last_run_json_is_written_masked(tmp_path):
    home = Home(tmp_path / "home").ensure()
    runner._write_last_run(
        home, {"status": "failed", "error": "HTTP 401 Bearer ghp_abcdefghijklmnopqrstuvwxyz0123"}
    )
    saved = json.loads((home.root / "state" / "last_run.json").read_text())
    assert saved == {"status": "failed", "error": "HTTP 401 Bearer ***"}


@pytest.mark.parametrize("error", ["RuntimeError", "PipelineError"])
def test_the_cli_last_line_of_defence_prints_no_secret(registered, monkeypatch, capsys, error):
    redact.register(["cli-secret-4242"])

    def boom(_args, _target):
        cls = runner.PipelineError if error == "PipelineError" else RuntimeError
        raise cls("provider said: cli-secret-4242 / Authorization: Bearer abcdef123456789")

    monkeypatch.setattr(cli, "cmd_run", boom)
    monkeypatch.setattr(cli, "_target", lambda _args: None)
    assert cli.main(["run"]) == cli.EXIT_FAILURE
    err = capsys.readouterr().err
    assert "provider said: *** / Authorization: ***" in err
    assert "cli-secret-4242" not in err and "abcdef123456789" not in err


def _result(tmp_path: Path) -> SimpleNamespace:
    return SimpleNamespace(week="2024-W10", title="Weekly", headlines=["a"], out_dir=tmp_path)


def test_a_slack_error_that_echoes_the_webhook_is_masked_in_the_outcome(
    registered, tmp_path, caplog
):
    hook = "https://hooks.example.test/services/T1/B2/whsecret9876"

    def slack(request: httpx.Request) -> httpx.Response:
        return httpx.Response(403, text=f"invalid_token for {request.url} token=xyz98765")

    home = Home(tmp_path / "home").ensure()
    with caplog.at_level(logging.DEBUG), httpx.Client(transport=httpx.MockTransport(slack)) as c:
        [outcome, _mail] = deliver_report(
            home,
            _result(tmp_path),
            {"slack_webhook_env": "HOOK", "max_attempts": 1},
            env={"HOOK": hook},
            client=c,
            sleep=lambda _s: None,
        )
    assert outcome.status == "failed" and "HTTP 403" in outcome.message
    assert "whsecret9876" not in outcome.message and "xyz98765" not in outcome.message
    assert "whsecret9876" not in caplog.text
    assert not (home.root / "state" / "deliveries.json").exists()  # only successes are kept


def test_an_smtp_error_that_echoes_the_password_is_masked(registered, tmp_path, monkeypatch):
    class RefusingSMTP:
        def __init__(self, *_a, **_k) -> None: ...
        def __enter__(self):
            return self

        def __exit__(self, *_a) -> None: ...
        def ehlo(self) -> None: ...

        def login(self, user: str, password: str) -> None:
            raise smtplib.SMTPAuthenticationError(535, f"bad password {password}".encode())

    monkeypatch.setattr("pipelines.report.deliver.smtplib.SMTP", RefusingSMTP)
    monkeypatch.setattr("pipelines.report.deliver.email_message", lambda *_a: None)
    config = {
        "smtp_host": "127.0.0.1",
        "smtp_starttls": False,
        "mail_from": "p@acme.test",
        "mail_to": ["x@acme.test"],
        "smtp_user_env": "U",
        "smtp_password_env": "PW",
        "max_attempts": 1,
    }
    home = Home(tmp_path / "home").ensure()
    [_slack, outcome] = deliver_report(
        home,
        _result(tmp_path),
        config,
        env={"U": "mailer", "PW": "mail-pw-5150"},
        sleep=lambda _s: None,
    )
    assert outcome.status == "failed" and "535" in outcome.message
    assert "mail-pw-5150" not in outcome.message


# --- the patterns ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "expected"), [
    # auth headers and schemes
    ("Authorization: Bearer abc123def456", "Authorization: ***"),
    ("authorization: token ghp_abcdefghijklmnopqrstuvwxyz0123456789", "authorization: ***"),
    ("Authorization: Token token=y_NbAkKc66ryYTWUXYEu", "Authorization: ***"),
    ('{"Authorization": "GenieKey 1f2e3d4c-aaaa-bbbb-cccc-1234567890ab"}',
     '{"Authorization": "***"}'),
    ("PRIVATE-TOKEN: abc123def456", "PRIVATE-TOKEN: ***"),
    ("sent Bearer eyJhbGciOiJIUzI1NiJ9.e30.x", "sent Bearer ***"),
    ("header was token 0123456789abcdef", "header was token ***"),
    ("Token token=y_NbAkKc66ryYTWUXYEu", "Token token=***"),
    ("GenieKey 1f2e3d4c-aaaa-bbbb-cccc-1234567890ab", "GenieKey ***"),
    # provider token formats, anywhere
    ("leaked ghp_abcdefghijklmnopqrstuvwxyz0123 here", "leaked *** here"),
    ("github_pat_11ABCDEFG0123456789_abcdefghijklmnop", "***"),
    ("glpat-abcdefghijklmnopqrstu", "***"),
    ("posted to https://hooks.slack.com/services/T0/B0/XYZ", "posted to https://hooks.slack.com/services/***"),
    # URL passwords and query parameters
    ("https://user:hunter2@example.com/x", "https://user:***@example.com/x"),
    ("GET http://x/y?access_token=zzz&page=2", "GET http://x/y?access_token=***&page=2"),
    ("?private_token=abc&token=def&api_key=ghi&key=jkl",
     "?private_token=***&token=***&api_key=***&key=***"),
    ('{"access_token": "abc"}', '{"access_token": "***"}'),
])  # fmt: skip
def test_credentials_are_masked(text, expected):
    assert redact.redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "tokens per second",
        "token per second",
        "Bearer tokens are short-lived",
        "commit 3f2a9c1d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a39",
        "sort_key=name&page=2",
        "https://user@example.com/x",
        "x-ratelimit-remaining: 0",
        "the token is missing: check the variable named by `token_env`",
        "HTTP 401 (Bad credentials); authorization failed",
        "GET https://api.github.com/repos/acme/shop/pulls?state=all&per_page=100&page=2",
    ],
)
def test_ordinary_text_is_left_alone(text):
    assert redact.redact(text) == text
