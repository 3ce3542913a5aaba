"""Optional sign-in through Streamlit's OpenID Connect support (`st.login`), failing closed.

Sign-in is required only when Streamlit's secrets have an `[auth]` section (docs/dashboard.md
shows one); without a secrets file, or with one that has no `[auth]`, the dashboard is open, as a
local `paved dashboard` on 127.0.0.1 should be. Whenever sign-in is asked for but cannot work, the
dashboard fails closed: it says why and shows no data. That covers an `[auth]` section with missing
keys, a secrets file that cannot be parsed while sign-in is mentioned (Streamlit would then load no
secrets at all and open the dashboard to everyone), and a missing Authlib package. `paved
dashboard` refuses to start in the first two cases (dashboards/serve.py); this is the same check
for a server started some other way. A leading underscore keeps this module out of the page
registry.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import streamlit as st
from streamlit import config

from dashboards.serve import auth_section_problem, sign_in_problem, sign_in_providers

AUTHLIB_HELP = (
    "Sign-in is configured (`[auth]` in .streamlit/secrets.toml) but Streamlit's OpenID Connect "
    "support needs the Authlib package: `uv pip install 'Authlib>=1.3.2'`, then restart "
    "`paved dashboard`. No data is shown until sign-in works."
)


class SignInBroken(Exception):
    """Sign-in is asked for but cannot work; the message says why, without any secret value."""


def secrets_paths() -> list[Path]:
    """The secrets files and folders this Streamlit server reads (its `secrets.files` option)."""
    return [Path(p).expanduser() for p in config.get_option("secrets.files")]


def auth_settings() -> Mapping[str, Any] | None:
    """The `[auth]` section of Streamlit's secrets, or None when sign-in is not configured.

    Raises SignInBroken when sign-in is configured but unusable. Reading st.secrets raises when
    there is no secrets file at all (no sign-in) but also when a file cannot be parsed or read:
    that is "no sign-in" only when no configured secrets path exists.
    """
    paths = secrets_paths()
    problem = sign_in_problem(paths)
    if problem is not None:
        raise SignInBroken(problem)
    try:
        section = st.secrets["auth"] if "auth" in st.secrets else None
    except Exception as exc:  # noqa: BLE001 - Streamlit raises several types here
        if not any(path.exists() for path in paths):
            return None  # no secrets file at all: an open local dashboard
        raise SignInBroken(
            f"Streamlit could not read its secrets ({type(exc).__name__}), so whether sign-in is "
            "required is unknown"
        ) from None
    if section is None:
        return None
    found = auth_section_problem(section)
    if found is not None:
        raise SignInBroken(f"{found[1]}, so sign-in cannot work")
    return section


def authlib_installed() -> bool:
    """Whether the package Streamlit's OpenID Connect support needs is importable."""
    return importlib.util.find_spec("authlib") is not None


def providers(settings: Mapping[str, Any]) -> list[str | None]:
    """The providers to offer: named `[auth.<name>]` sections, else the default (None)."""
    return sign_in_providers(settings)


def require_sign_in() -> bool:
    """True when the page may render: sign-in is off, or the user has signed in.

    Otherwise draws the sign-in screen (or why sign-in cannot work) and returns False; the caller
    then calls st.stop() before any data is read.
    """
    try:
        settings = auth_settings()
    except SignInBroken as exc:
        st.title("paved")
        st.error(
            f"Sign-in is misconfigured: {exc}. Fix Streamlit's secrets (or remove `[auth]` to run "
            "without sign-in) and restart the dashboard. No data is shown until sign-in works.",
            icon=":material/lock:",
        )
        return False
    if settings is None:
        return True
    if not authlib_installed():
        st.title("paved")
        st.error(AUTHLIB_HELP, icon=":material/lock:")
        return False
    if st.user.get("is_logged_in") is True:
        with st.sidebar:
            who = st.user.get("email") or st.user.get("name") or "signed in"
            st.caption(f":material/person: {who}")
            if st.button("Sign out", key="sign_out", icon=":material/logout:"):
                st.logout()
        return True
    st.title("paved")
    st.info("Sign in to see the dashboard.", icon=":material/lock:")
    for provider in providers(settings):
        label = "Sign in" if provider is None else f"Sign in with {provider}"
        if st.button(label, key=f"sign_in_{provider or 'default'}", icon=":material/login:"):
            if provider is None:
                st.login()
            else:
                st.login(provider)
    return False
