"""Start the dashboard as a Streamlit server on a PAVED_HOME (what `paved dashboard` calls).

The command is built separately (`build_command`, `server_env`) so tests and other tools can start
the server themselves, on their own port, and always stop it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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
    """
    process = subprocess.Popen(build_command(port, host), env=server_env(home))
    try:
        return process.wait()
    except KeyboardInterrupt:
        try:
            return process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            return process.wait()
