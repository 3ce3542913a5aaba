"""Sign-in fails closed: an `[auth]` section that cannot be used never opens the dashboard.

Streamlit reads its secrets from `~/.streamlit/secrets.toml`, `.streamlit/secrets.toml` in the
folder the server starts from, and `.streamlit/secrets.toml` beside dashboards/app.py; when one of
them cannot be parsed it loads no secrets at all, which used to mean "no sign-in". Now:
`paved dashboard` refuses to start (exit 2, one sentence naming the file and the line, no secret
value), and the app itself shows an error instead of data when started some other way. Without any
`[auth]` the dashboard stays open, as a local `paved dashboard` on 127.0.0.1 should be.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import streamlit
import streamlit.runtime.secrets
from streamlit.runtime.secrets import Secrets
from streamlit.testing.v1 import AppTest
from streamlit.testing.v1.util import patch_config_options

from dashboards import serve as serve_module
from dashboards.app_pages import _auth
from dashboards.navigation import APP
from pipelines import cli
from pipelines.paths import Home

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "dashboards"))  # the dashboard tests' fixture warehouse
from dashboard_fixtures import Warehouse, write_warehouse  # noqa: E402

SECRET = "hunter2-do-not-print"  # a value that must never reach the terminal or the page
GOOD_AUTH = f"""\
[auth]
redirect_uri = "http://localhost:8501/oauth2callback"
cookie_secret = "{SECRET}"
client_id = "paved-dashboard"
client_secret = "{SECRET}"
server_metadata_url = "https://idp.example.invalid/.well-known/openid-configuration"
"""

# (case, secrets.toml text, the line the sentence must name, words it must contain)
BROKEN = [
    (
        "syntax error inside [auth]",
        GOOD_AUTH.replace(f'client_secret = "{SECRET}"', f'client_secret = "{SECRET}'),
        5,
        "not valid TOML",
    ),
    (
        "syntax error elsewhere in a file with [auth]",
        GOOD_AUTH + f"\n[connections.db]\npassword = {SECRET}\n",
        9,
        "not valid TOML",
    ),
    (
        "[auth] written with dotted keys, then a syntax error",
        'auth.redirect_uri = "http://localhost:8501/oauth2callback"\n'
        f"auth.cookie_secret = {SECRET}\n",
        2,
        "not valid TOML",
    ),
    (
        "[auth] without cookie_secret",
        "title = 'paved'\n" + GOOD_AUTH.replace(f'cookie_secret = "{SECRET}"\n', ""),
        2,
        "cookie_secret",
    ),
    (
        "[auth] without the provider's keys",
        "\n".join(GOOD_AUTH.splitlines()[:3]) + "\n",
        1,
        "client_id, client_secret or server_metadata_url",
    ),
    (
        "a named provider without client_secret",
        "\n".join(GOOD_AUTH.splitlines()[:3])
        + f'\n\n[auth.google]\nclient_id = "{SECRET}"\nserver_metadata_url = "https://x.invalid"\n',
        5,
        "[auth.google] has no client_secret",
    ),
    (
        "a redirect_uri Streamlit would refuse",
        GOOD_AUTH.replace("/oauth2callback", "/callback"),
        1,
        "oauth2callback",
    ),
    ("auth as a plain value", f'auth = "{SECRET}"\n', 1, "not the [auth] table"),
]


@dataclass
class Places:
    """Where Streamlit looks for secrets in a test: a fake home folder and the project folder the
    dashboard is started from (the current directory)."""

    home_secrets: Path
    project_secrets: Path
    paved_home: Path


@pytest.fixture(autouse=True)
def no_secrets_outlive_a_test() -> Iterator[None]:
    """Streamlit parses its secrets once per process and keeps them: the [auth] a test wrote in
    its own secrets file would otherwise ask every later test in this process to sign in."""
    yield
    streamlit.runtime.secrets.secrets_singleton._reset()
    streamlit.secrets._reset()


@pytest.fixture
def places(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Places:
    user_home, project = tmp_path / "user", tmp_path / "project"
    for folder in (user_home / ".streamlit", project / ".streamlit"):
        folder.mkdir(parents=True)
    monkeypatch.setenv("HOME", str(user_home))
    monkeypatch.delenv("STREAMLIT_SECRETS_FILES", raising=False)
    monkeypatch.chdir(project)
    return Places(
        home_secrets=user_home / ".streamlit" / "secrets.toml",
        project_secrets=project / ".streamlit" / "secrets.toml",
        paved_home=Home(tmp_path / "paved").ensure().root,
    )


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[list[str]]:
    """Every command `paved dashboard` starts; a stand-in server that exits 0 at once."""
    commands: list[list[str]] = []

    class FakeServer:
        def __init__(self, command: list[str], **_: object) -> None:
            commands.append(command)

        def wait(self, timeout: float | None = None) -> int:
            return 0

    monkeypatch.setattr(serve_module.subprocess, "Popen", FakeServer)
    return commands


# --- `paved dashboard` refuses to start --------------------------------------------------------


@pytest.mark.parametrize(("case", "text", "line", "what"), BROKEN, ids=[b[0] for b in BROKEN])
def test_paved_dashboard_refuses_an_unusable_auth_section_naming_file_and_line(
    places: Places,
    started: list[list[str]],
    capsys: pytest.CaptureFixture[str],
    case: str,
    text: str,
    line: int,
    what: str,
) -> None:
    places.project_secrets.write_text(text, encoding="utf-8")

    code = cli.main(["dashboard", "--home", str(places.paved_home)])

    out, err = capsys.readouterr()
    assert code == 2
    assert started == []
    assert err.count("\n") == 1 and err.startswith("paved: the dashboard was not started: ")
    assert f"{places.project_secrets}, line {line}:" in err
    assert what in err
    assert SECRET not in out + err


def test_a_broken_project_file_disables_the_home_folders_valid_auth_so_it_refuses(
    places: Places, started: list[list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    # Streamlit loads no secrets at all when one file is broken: the valid [auth] in
    # ~/.streamlit would silently vanish and the dashboard would open to everyone.
    places.home_secrets.write_text(GOOD_AUTH, encoding="utf-8")
    places.project_secrets.write_text("[connections]\nurl = \n", encoding="utf-8")

    assert cli.main(["dashboard", "--home", str(places.paved_home)]) == 2

    err = capsys.readouterr().err
    assert f"{places.project_secrets}, line 2:" in err and started == []


def test_a_secrets_path_that_cannot_be_read_refuses(
    places: Places, started: list[list[str]], capsys: pytest.CaptureFixture[str]
) -> None:
    # Streamlit fails on it and loads no secrets; whether it asked for sign-in is unknown.
    places.project_secrets.mkdir()  # a folder named secrets.toml: unreadable even for root

    assert cli.main(["dashboard", "--home", str(places.paved_home)]) == 2

    err = capsys.readouterr().err
    assert f"the secrets file {places.project_secrets} cannot be read" in err and started == []


def test_the_refusal_is_one_sentence_from_a_real_process_and_no_server_starts(
    places: Places,
) -> None:
    places.project_secrets.write_text(BROKEN[0][1], encoding="utf-8")
    command = [sys.executable, "-m", "pipelines.cli", "dashboard", "--home", str(places.paved_home)]
    env = {**os.environ, "PYTHONPATH": str(REPO)}

    # A server would run until killed: the timeout is the "Streamlit never started" check.
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)

    assert done.returncode == 2
    assert done.stdout == ""
    assert "Traceback" not in done.stderr and SECRET not in done.stderr
    assert done.stderr.strip().splitlines() == [done.stderr.strip()]
    assert f"{places.project_secrets}, line 5: not valid TOML" in done.stderr


@pytest.mark.parametrize(
    "secrets",
    [None, "[connections.db]\nurl = 'duckdb:///x'\n", GOOD_AUTH],
    ids=["no secrets file", "secrets without [auth]", "a valid [auth]"],
)
def test_paved_dashboard_starts_without_auth_or_with_a_valid_one(
    places: Places, started: list[list[str]], secrets: str | None
) -> None:
    if secrets is not None:
        places.project_secrets.write_text(secrets, encoding="utf-8")

    assert cli.main(["dashboard", "--home", str(places.paved_home)]) == 0

    assert len(started) == 1 and str(APP) in started[0]


def test_the_checked_files_are_the_ones_streamlit_reads(places: Places) -> None:
    # Ask Streamlit itself, as `streamlit run dashboards/app.py` sets it up, in a clean process.
    code = (
        "import json; from streamlit import config\n"
        f"config._main_script_path = {str(APP)!r}\n"
        "print(json.dumps(config.get_option('secrets.files')))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )

    streamlit_reads = [Path(p) for p in json.loads(done.stdout)]
    assert serve_module.secrets_files() == streamlit_reads
    assert streamlit_reads[:2] == [places.home_secrets, places.project_secrets]


def test_a_configured_secrets_files_option_is_what_gets_checked(
    places: Places, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "vault" / "paved.toml"
    monkeypatch.setenv("STREAMLIT_SECRETS_FILES", str(elsewhere))
    assert serve_module.secrets_files() == [elsewhere]


# --- the app itself, however it was started ----------------------------------------------------


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_warehouse(tmp_path_factory.mktemp("warehouse") / "w.duckdb", Warehouse())


@pytest.fixture
def app(places: Places, warehouse: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[AppTest]:
    """The whole app on a home with published data, reading the project's secrets file through
    a fresh st.secrets (so no parsed secret outlives the test)."""
    home = Home(places.paved_home)
    home.published.write_bytes(warehouse.read_bytes())
    monkeypatch.setenv("PAVED_HOME", str(home.root))
    monkeypatch.setattr(streamlit, "secrets", Secrets())
    with patch_config_options({"secrets.files": [str(places.project_secrets)]}):
        yield AppTest.from_file(str(APP), default_timeout=60)


def data_shown(at: AppTest) -> bool:
    return bool(at.metric or at.get("plotly_chart") or at.dataframe)


def everything_written(at: AppTest) -> str:
    kinds = ("title", "markdown", "error", "info", "caption", "warning")
    return "\n".join(str(el.value) for kind in kinds for el in at.get(kind))


@pytest.mark.parametrize(("case", "text", "line", "what"), BROKEN, ids=[b[0] for b in BROKEN])
def test_the_app_shows_why_and_no_data_when_auth_is_unusable(
    app: AppTest, places: Places, case: str, text: str, line: int, what: str
) -> None:
    places.project_secrets.write_text(text, encoding="utf-8")

    at = app.run()

    assert not at.exception
    assert not data_shown(at)
    assert [e.value for e in at.error if "Sign-in is misconfigured" in e.value]
    assert what in at.error[0].value
    assert SECRET not in everything_written(at)


def test_with_a_valid_auth_section_nothing_shows_until_a_user_signs_in(
    app: AppTest, places: Places, monkeypatch: pytest.MonkeyPatch
) -> None:
    places.project_secrets.write_text(GOOD_AUTH, encoding="utf-8")
    monkeypatch.setattr(_auth, "authlib_installed", lambda: True)

    at = app.run()

    assert not at.exception
    assert not data_shown(at)
    assert [b.label for b in at.button] == ["Sign in"]


def test_with_a_valid_auth_section_a_signed_in_user_sees_the_data(
    app: AppTest, places: Places, monkeypatch: pytest.MonkeyPatch
) -> None:
    places.project_secrets.write_text(GOOD_AUTH, encoding="utf-8")
    monkeypatch.setattr(_auth, "authlib_installed", lambda: True)
    app.user = {"is_logged_in": True, "email": "ana@example.com"}

    at = app.run()

    assert not at.exception
    assert data_shown(at)
    assert ":material/person: ana@example.com" in [c.value for c in at.sidebar.caption]


def test_with_a_valid_auth_section_but_no_authlib_no_data_shows(
    app: AppTest, places: Places, monkeypatch: pytest.MonkeyPatch
) -> None:
    places.project_secrets.write_text(GOOD_AUTH, encoding="utf-8")
    monkeypatch.setattr(_auth, "authlib_installed", lambda: False)

    at = app.run()

    assert not data_shown(at)
    assert "Authlib" in at.error[0].value


@pytest.mark.parametrize(
    "secrets",
    [None, "[connections.db]\nurl = 'duckdb:///x'\n"],
    ids=["no secrets file", "secrets without [auth]"],
)
def test_without_an_auth_section_the_app_opens_without_sign_in(
    app: AppTest, places: Places, secrets: str | None
) -> None:
    if secrets is not None:
        places.project_secrets.write_text(secrets, encoding="utf-8")

    at = app.run()

    assert not at.exception
    assert data_shown(at)
    assert not [b for b in at.button if "Sign in" in b.label]
