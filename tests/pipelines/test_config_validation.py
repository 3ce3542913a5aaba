"""`paved.toml` is validated whole: strict types, no unknown key or section, and every problem is
one sentence naming the file, the key and what is expected."""

from __future__ import annotations

import dataclasses
import json
import textwrap
from pathlib import Path

import pytest

from pipelines.cli import main
from pipelines.config import Config, ConfigError, Rules, load_config
from pipelines.config_models import (
    FrictionSection,
    ImpactSection,
    InitiativeSection,
    RoadmapSection,
    RulesSection,
    SourceSection,
)
from pipelines.connectors import SOURCE_TYPES
from pipelines.connectors.base import COMMON_KEYS
from pipelines.impact import ImpactSettings
from pipelines.roadmap import FrictionThresholds, Initiative, RoadmapSettings

REPO = Path(__file__).resolve().parents[2]

INITIATIVE = """
[[roadmap.initiatives]]
id = "deploy-through-platform"
title = "Every production deployment goes through the platform"
capability = "deploy"
target_metric = "platform_deploy_share"
scope = "org"
baseline_start = 2025-01-06
baseline_end = 2025-03-02
due_date = 2025-12-31
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "paved.toml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def refusal(path: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return str(caught.value)


# (file content, the key path the message names, what the message says is expected)
REFUSED = {
    "band_window_weeks as a string": (
        '[rules]\nband_window_weeks = "12"',
        "[rules] band_window_weeks",
        "expected an integer, got the string '12'",
    ),
    "rollback_is_failure as the string no": (
        '[rules]\nrollback_is_failure = "no"',
        "[rules] rollback_is_failure",
        "expected true or false, got the string 'no'",
    ),
    "a rule that does not exist": (
        "[rules]\nband_windows_weeks = 12",
        "[rules] band_windows_weeks",
        "unknown rule; expected one of attribution_window_hours, band_window_weeks",
    ),
    "a section that does not exist": (
        "[sqll]\nmax_rows = 10",
        "[sqll]",
        "unknown section; the sections are friction, impact, inbox, report, roadmap, rules",
    ),
    "a section that is not a table": (
        "rules = 5",
        "[rules]",
        "expected a table, got the integer 5",
    ),
    "an impossible earliest_event_at": (
        '[rules]\nearliest_event_at = "2000-13-01"',
        "[rules] earliest_event_at",
        "expected a date YYYY-MM-DD, got the string '2000-13-01'",
    ),
    "earliest_employment_date in another format": (
        '[rules]\nearliest_employment_date = "01/02/1990"',
        "[rules] earliest_employment_date",
        "expected a date YYYY-MM-DD, got the string '01/02/1990'",
    ),
    "a negative event_future_tolerance_hours": (
        "[rules]\nevent_future_tolerance_hours = -1",
        "[rules] event_future_tolerance_hours",
        "expected a number >= 0, got the integer -1",
    ),
    "a fractional employment_future_tolerance_days": (
        "[rules]\nemployment_future_tolerance_days = 1.5",
        "[rules] employment_future_tolerance_days",
        "expected an integer >= 0, got the number 1.5",
    ),
    "max_field_bytes below 1024": (
        "[rules]\nmax_field_bytes = 512",
        "[rules] max_field_bytes",
        "expected an integer >= 1024, got the integer 512",
    ),
    "incident_severities as one string": (
        '[rules]\nincident_severities = "sev1"',
        "[rules] incident_severities",
        "expected an array, got the string 'sev1'",
    ),
    "a band year without bands (Rules.validate)": (
        "[rules]\nband_year = 2019",
        "[rules]: band_year",
        "must be 2023 or 2024, not 2019",
    ),
    "a source's token_env as a number": (
        '[sources.github]\ntype = "github"\ntoken_env = 5\nrepos = ["acme/shop"]',
        "[sources.github] token_env",
        "expected a string, got the integer 5",
    ),
    "a source's timeout_s as a string": (
        '[sources.pd]\ntype = "pagerduty"\ntoken_env = "PD"\ntimeout_s = "30"',
        "[sources.pd] timeout_s",
        "expected a number > 0, got the string '30'",
    ),
    "a negative page size": (
        '[sources.gl]\ntype = "gitlab"\ntoken_env = "GL"\nprojects = ["a/b"]\nper_page = -5',
        "[sources.gl] per_page",
        "expected an integer >= 1, got the integer -5",
    ),
    "a misspelt key of a source (the connector's check)": (
        '[sources.github]\ntype = "github"\ntokn_env = "GH"\nrepos = ["acme/shop"]',
        "[sources.github]: unknown key(s) tokn_env",
        "for type 'github'; see docs/sources.md",
    ),
    "a misspelt key of a deploy rule": (
        '[sources.github]\ntype = "github"\ntoken_env = "GH"\nrepos = ["acme/shop"]\n'
        'deploy_rules = [{ workflow = "^Deploy", enviroment = "production" }]',
        "[sources.github] deploy_rules[0].enviroment",
        "unknown key; expected one of environment, job, workflow",
    ),
    "a source of an unknown type": (
        '[sources.tickets]\ntype = "jira"',
        "[sources.tickets]",
        "type 'jira' is not one of github, gitlab",
    ),
    "a token written in the file": (
        '[sources.pd]\ntype = "pagerduty"\ntoken = "s3cret"',
        "[sources.pd]: `token`",
        "must not be in the configuration file; put the token in an environment variable",
    ),
    "inbox paths as one string": (
        '[inbox]\npaths = "./exports"',
        "[inbox] paths",
        "expected an array, got the string './exports'",
    ),
    "a report SMTP port as a string": (
        '[report]\nsmtp_port = "587"',
        "[report] smtp_port",
        "expected an integer, got the string '587'",
    ),
    "a report key that does not exist": (
        '[report]\nslack_webhook = "https://hooks.slack.com/x"',
        "[report] slack_webhook",
        "unknown key; expected one of backoff_seconds",
    ),
    "a roadmap window of zero weeks": (
        "[roadmap]\ncurrent_window_weeks = 0",
        "[roadmap] current_window_weeks",
        "expected an integer >= 1, got the integer 0",
    ),
    "an initiative's target as a string": (
        INITIATIVE + 'target_value = "0.95"',
        "[[roadmap.initiatives]] #1 target_value",
        "expected a number, got the string '0.95'",
    ),
    "an initiative without a target": (
        INITIATIVE,
        "[[roadmap.initiatives]] #1",
        "missing required key(s) target_value",
    ),
    "an initiative on a metric that does not exist (the roadmap's check)": (
        INITIATIVE.replace("platform_deploy_share", "happiness") + "target_value = 0.95",
        "initiative 'deploy-through-platform': target_metric",
        "'happiness' is not a metric of the registry",
    ),
    "a friction window as a string": (
        '[friction]\nwindow_weeks = "12"',
        "[friction] window_weeks",
        "expected an integer, got the string '12'",
    ),
    "a negative friction threshold (FrictionThresholds.validate)": (
        "[friction]\nonboarding_days = -1",
        "[friction] onboarding_days",
        "must not be negative",
    ),
    "an impact confidence as a string": (
        '[impact]\nconfidence = "0.95"',
        "[impact] confidence",
        "expected a number, got the string '0.95'",
    ),
    "too few bootstrap samples (ImpactSettings.from_raw)": (
        "[impact]\nbootstrap_samples = 10",
        "[impact] bootstrap_samples",
        "must be 100 to 20000",
    ),
    "an SQL row cap as a string": (
        '[sql]\nmax_rows = "1000"',
        "[sql] max_rows",
        "expected an integer >= 1, got the string '1000'",
    ),
    "a negative SQL memory limit": (
        "[sql]\nmemory_limit_gb = -1",
        "[sql] memory_limit_gb",
        "expected a number > 0, got the integer -1",
    ),
}


@pytest.mark.parametrize(("text", "key", "expected"), REFUSED.values(), ids=REFUSED.keys())
def test_a_wrong_value_is_refused_naming_the_file_the_key_and_what_is_expected(
    tmp_path: Path, text: str, key: str, expected: str
) -> None:
    path = write(tmp_path, text)
    message = refusal(path)
    assert message.startswith(str(path))
    assert key in message
    assert expected in message
    assert "pydantic" not in message.lower() and "input_value" not in message


def test_every_problem_of_the_file_is_listed_one_per_line(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        [rules]
        band_window_weeks = "12"
        rollback_is_failure = "no"

        [sql]
        max_rows = 1.5
        """,
    )
    lines = refusal(path).splitlines()
    assert lines == [
        f"{path}: [rules] rollback_is_failure: expected true or false, got the string 'no'",
        f"{path}: [rules] band_window_weeks: expected an integer, got the string '12'",
        f"{path}: [sql] max_rows: expected an integer >= 1, got the number 1.5",
    ]


def test_an_empty_file_gives_the_contracts_defaults(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, ""))
    assert config.rules == Rules()
    assert (config.sources, config.inboxes) == ({}, ())


def test_the_demo_configuration_loads(tmp_path: Path) -> None:
    config = load_config(REPO / "pipelines" / "demo" / "paved.demo.toml")
    assert config.rules == Rules()
    assert len(config.raw["roadmap"]["initiatives"]) == 3


@pytest.mark.parametrize(
    "document", ["README.md", "docs/sources.md", "docs/platform.md", "docs/report.md"]
)
def test_the_documented_examples_load(tmp_path: Path, document: str) -> None:
    text = (REPO / document).read_text(encoding="utf-8")
    blocks = [part.split("```", 1)[0] for part in text.split("```toml")[1:]]
    assert blocks
    for block in blocks:
        load_config(write(tmp_path, block))


def test_rules_keep_their_values_as_written(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        [rules]
        incident_severities = ["sev1", "sev2"]
        event_future_tolerance_hours = 48
        attribution_window_hours = 1.5
        earliest_event_at = 2010-01-01
        earliest_employment_date = "1990-06-30"
        """,
    )
    record = load_config(path).rules.as_record()
    assert record["incident_severities"] == ["sev1", "sev2"]
    assert json.dumps(record["event_future_tolerance_hours"]) == "48"  # an integer stays one
    assert record["attribution_window_hours"] == 1.5
    assert (record["earliest_event_at"], record["earliest_employment_date"]) == (
        "2010-01-01",
        "1990-06-30",
    )


def test_the_sql_section_accepts_its_limits(tmp_path: Path) -> None:
    path = write(tmp_path, "[sql]\nmemory_limit_gb = 1.5\ntimeout_s = 30\nmax_rows = 10000\n")
    assert isinstance(load_config(path), Config)


@pytest.mark.parametrize(
    ("model", "fields"),
    [
        (RulesSection, [f.name for f in dataclasses.fields(Rules)]),
        (FrictionSection, [f.name for f in dataclasses.fields(FrictionThresholds)]),
        (ImpactSection, [f.name for f in dataclasses.fields(ImpactSettings)]),
        (RoadmapSection, [f.name for f in dataclasses.fields(RoadmapSettings)] + ["initiatives"]),
        (InitiativeSection, [f.name for f in dataclasses.fields(Initiative)]),
        (SourceSection, COMMON_KEYS.union(*(c.KEYS for c in SOURCE_TYPES.values()))),
    ],
    ids=["rules", "friction", "impact", "roadmap", "initiatives", "sources"],
)
def test_each_model_declares_exactly_the_keys_its_code_reads(model, fields) -> None:
    assert set(model.model_fields) == set(fields)


def test_a_broken_config_makes_paved_run_exit_2_with_one_sentence(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = write(tmp_path, '[rules]\nband_window_weeks = "12"\n')
    assert main(["run", "--home", str(tmp_path / "home"), "--config", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.splitlines() == [
        f"paved: {bad}: [rules] band_window_weeks: expected an integer, got the string '12'"
    ]
    assert "Traceback" not in err
