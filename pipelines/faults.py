"""Crash points for the crash tests: `PAVED_CRASH_AT=<point>` kills the process there with SIGKILL.

Why in the product: a crash test must stop a run at an exact place (between two writes of one
stage) to prove that a rerun repairs it, and a signal sent from outside lands wherever the run
happens to be. Unset (always, outside those tests), a crash point is one dictionary lookup.
"""

from __future__ import annotations

import os
import signal

ENV = "PAVED_CRASH_AT"


def crash_point(name: str) -> None:
    """Die here, as `kill -9` would, when the environment names this point."""
    if os.environ.get(ENV) == name:
        os.kill(os.getpid(), signal.SIGKILL)
