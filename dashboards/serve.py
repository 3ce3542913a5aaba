"""Start the dashboard as a Streamlit server on a PAVED_HOME (what `paved dashboard` calls).

The command is built separately (`build_command`, `server_env`) so tests and other tools can start
the server themselves, on their own port, and always stop it.

Sign-in fails closed: before starting Streamlit, `serve` reads the secrets files Streamlit would
read (`secrets_files`) and refuses to start when an `[auth]` section is there but unusable
(`sign_in_problem`). The page code runs the same check (`app_pages/_auth.py`) for a server started
some other way. This module imports no Streamlit, so the check costs milliseconds.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from dashboards.navigation import APP


def build_command(port: int = 8501, host: str = "127.0.0.1") -> list[str]:
    """The `streamlit run` command line: headless, no usage statistics, bound to `host`.

    It uses the running interpreter (`sys.executable -m streamlit`) so the server sees the same
    environment, and turns off file watching and run-on-save: a served dashboard is not a dev loop.
    """
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        "--server.headless=true",
        f"--server.address={host}",
        f"--server.port={port}",
        "--browser.gatherUsageStats=false",
        "--server.fileWatcherType=none",
        "--server.runOnSave=false",
        "--client.toolbarMode=viewer",
    ]


def server_env(home: Path, base: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for the server: PAVED_HOME selects the home whose published copy it reads."""
    env = dict(os.environ if base is None else base)
    env["PAVED_HOME"] = str(Path(home).expanduser().resolve())
    env["STREAMLIT_BROWSER_GATHER_USAGE_STATS"] = "false"
    return env


def serve(home: Path, port: int = 8501, host: str = "127.0.0.1") -> int:
    """Run the dashboard in the foreground until it stops; returns its exit code.

    Ctrl-C reaches the server too (same process group); we wait for it to exit cleanly.
    Raises SignInMisconfigured, before anything starts, when the secrets ask for a sign-in that
    cannot work.
    """
    problem = sign_in_problem(secrets_files())
    if problem is not None:
        raise SignInMisconfigured(problem)
    process = subprocess.Popen(build_command(port, host), env=server_env(home))
    try:
        return process.wait()
    except KeyboardInterrupt:
        try:
            return process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            return process.wait()


# --- Sign-in settings (Streamlit's `[auth]` secrets), checked without importing Streamlit ---------

SECRETS_NAME = Path(".streamlit") / "secrets.toml"
# Streamlit's own rules (streamlit/auth_util.py, validate_auth_credentials and
# get_validated_redirect_uri): shared keys in [auth], provider keys in [auth] (the default
# provider) or in one [auth.<name>] table per provider.
SHARED_KEYS = ("redirect_uri", "cookie_secret")
PROVIDER_KEYS = ("client_id", "client_secret", "server_metadata_url")
NOT_PROVIDERS = frozenset({"client_kwargs"})  # tables of [auth] that are not providers
_TOML_POSITION = re.compile(r"\s*\(at (?:line (\d+), column \d+|end of document)\)\s*$")
_QUOTED = re.compile(r"\s*(?:'[^']*'|\"[^\"]*\"|\([^)]*\))")  # quoted text may be a secret's part
_MENTIONS_AUTH = re.compile(r"\bauth\b", re.IGNORECASE)


class SignInMisconfigured(ValueError):
    """The secrets configure a sign-in that cannot work: the dashboard must not start."""


def secrets_files(cwd: Path | None = None, env: Mapping[str, str] | None = None) -> list[Path]:
    """The secrets files a server started by `serve` reads, in Streamlit's order (later wins).

    Streamlit's `secrets.files` option defaults to `~/.streamlit/secrets.toml`, then
    `.streamlit/secrets.toml` in the folder the server starts from (`serve` keeps the caller's
    folder: the one `paved dashboard` runs in), then `.streamlit/secrets.toml` beside the app
    script (dashboards/). PAVED_HOME's folder is not among them. The option can be replaced by
    STREAMLIT_SECRETS_FILES or by `[secrets] files` in a `.streamlit/config.toml`.
    """
    env = os.environ if env is None else env
    cwd = Path.cwd() if cwd is None else cwd
    home = Path(env["HOME"]) if env.get("HOME") else Path.home()
    folders = [home, cwd, APP.parent]
    configured: list[str] | None = None
    for folder in folders:  # config.toml files: later ones override earlier ones
        try:
            options = tomllib.loads((folder / ".streamlit" / "config.toml").read_text("utf-8"))
        except (OSError, ValueError):
            continue  # Streamlit itself reports a broken config.toml
        files = options.get("secrets", {}).get("files") if isinstance(options, dict) else None
        if isinstance(files, list):
            configured = [str(f) for f in files]
        elif isinstance(files, str):
            configured = [files]
    if env.get("STREAMLIT_SECRETS_FILES"):
        configured = env["STREAMLIT_SECRETS_FILES"].split()
    if configured is not None:
        return [Path(f).expanduser() for f in configured]
    unique: list[Path] = []
    for folder in folders:
        if (path := folder / SECRETS_NAME) not in unique:
            unique.append(path)
    return unique


def sign_in_problem(files: Iterable[Path]) -> str | None:
    """Why the sign-in these secrets files configure cannot work, in one sentence; None when it
    can, or when no file configures one (the dashboard is then open, as on 127.0.0.1).

    Fails closed: when any file cannot be read or parsed while sign-in is mentioned in any of them,
    Streamlit would load no secrets at all and open the dashboard to everyone, so this is a
    problem too. The sentence names the file and the line, never a value from the file.
    """
    broken: list[tuple[Path, int, str]] = []
    mentioned = False
    winner: tuple[Path, str, Any] | None = None  # Streamlit merges top-level keys: last [auth] wins
    for path in files:
        if path.suffix != ".toml":
            continue  # a folder of Kubernetes-style secrets: left to the page's check
        try:
            raw = path.read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            continue
        except OSError as exc:
            return (
                f"the secrets file {path} cannot be read ({exc.strerror or type(exc).__name__}), "
                "so whether it asks for sign-in is unknown; fix its permissions or remove it"
            )
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            mentioned = mentioned or bool(_MENTIONS_AUTH.search(raw.decode("utf-8", "replace")))
            broken.append((path, raw[: exc.start].count(b"\n") + 1, "is not UTF-8 text"))
            continue
        try:
            secrets = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            mentioned = mentioned or bool(_MENTIONS_AUTH.search(text))
            broken.append((path, *_toml_error(str(exc), text)))
            continue
        if "auth" in secrets:
            mentioned = True
            winner = (path, text, secrets["auth"])
    if broken and mentioned:
        path, line, what = broken[0]
        return (
            f"{path}, line {line}: {what}, so the sign-in it configures ([auth]) cannot be read "
            "and the dashboard would be open to anyone; fix the file (or remove [auth] from it to "
            "run without sign-in)"
        )
    if winner is None:
        return None
    path, text, section = winner
    found = auth_section_problem(section)
    if found is None:
        return None
    table, what = found
    return (
        f"{path}, line {_table_line(text, table)}: {what}, so sign-in cannot work; fix the file "
        "(or remove [auth] from it to run without sign-in)"
    )


def auth_section_problem(section: Any) -> tuple[str, str] | None:
    """What is wrong with an `[auth]` section, as (table, what) with table "auth" or
    "auth.<provider>"; None when Streamlit's sign-in can use it. Names keys, never values."""
    if not isinstance(section, Mapping):
        return "auth", "auth is a value, not the [auth] table"
    missing = [key for key in SHARED_KEYS if not _filled(section.get(key))]
    if missing:
        return "auth", f"[auth] has no {_keys(missing)}"
    if not str(section["redirect_uri"]).endswith("/oauth2callback"):
        return "auth", "[auth] redirect_uri does not end with /oauth2callback"
    named = sign_in_providers(section)
    if named == [None]:
        missing = [key for key in PROVIDER_KEYS if not _filled(section.get(key))]
        if missing:
            return "auth", f"[auth] has no {_keys(missing)} (nor any [auth.<provider>] table)"
        return None
    for name in named:
        provider = section[name]
        if "_" in str(name):
            return f"auth.{name}", f"the provider name [auth.{name}] contains '_'"
        missing = [key for key in PROVIDER_KEYS if not _filled(provider.get(key))]
        if missing:
            return f"auth.{name}", f"[auth.{name}] has no {_keys(missing)}"
    return None


def sign_in_providers(section: Mapping[str, Any]) -> list[str | None]:
    """The providers to offer: the named `[auth.<name>]` tables, else the default one (None)."""
    named = [
        str(key)
        for key, value in section.items()
        if isinstance(value, Mapping) and key not in NOT_PROVIDERS
    ]
    return named or [None]


def _filled(value: Any) -> bool:
    return isinstance(value, str) and value.strip() != ""


def _keys(keys: list[str]) -> str:
    return " or ".join(", ".join(keys).rsplit(", ", 1)) if len(keys) > 1 else keys[0]


def _toml_error(message: str, text: str) -> tuple[int, str]:
    """(line, what) of a TOML error, without the quoted text tomllib may echo from the file."""
    position = _TOML_POSITION.search(message)
    line = int(position.group(1)) if position and position.group(1) else text.count("\n") + 1
    what = _QUOTED.sub("", _TOML_POSITION.sub("", message)).strip() or "invalid TOML"
    return line, f"not valid TOML ({what[0].lower()}{what[1:]})"


def _table_line(text: str, table: str) -> int:
    """The line declaring `table` ("auth" or "auth.<name>"): its header, or its first dotted key."""
    parts = [re.escape(part) for part in table.split(".")]
    name = r"\s*\.\s*".join(rf"[\"']?{part}[\"']?" for part in parts)
    patterns = [rf"^\s*\[\s*{name}\s*\]", rf"^\s*{name}\s*[.=]", r"^\s*\[\s*[\"']?auth\b"]
    lines = text.splitlines()
    for pattern in patterns:
        for number, line in enumerate(lines, start=1):
            if re.search(pattern, line):
                return number
    return 1
