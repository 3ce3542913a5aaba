"""Optional sign-in through Streamlit's OpenID Connect support (`st.login`).

Sign-in is required only when `.streamlit/secrets.toml` has an `[auth]` section (docs/dashboard.md
shows one); without a secrets file, or with one that has no `[auth]`, the dashboard is open, as a
local `paved dashboard` on 127.0.0.1 should be. When `[auth]` is present but cannot be used (the
Authlib package Streamlit needs is missing), the dashboard fails closed: it says what to install
and shows no data. A leading underscore keeps this module out of the page registry.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Mapping
from typing import Any

import streamlit as st

AUTHLIB_HELP = (
    "Sign-in is configured (`[auth]` in .streamlit/secrets.toml) but Streamlit's OpenID Connect "
    "support needs the Authlib package: `uv pip install 'Authlib>=1.3.2'`, then restart "
    "`paved dashboard`. No data is shown until sign-in works."
)


def auth_settings() -> Mapping[str, Any] | None:
    """The `[auth]` section of Streamlit's secrets, or None when there is none.

    Reading st.secrets without a secrets file raises in some Streamlit versions; any failure to
    read them means "no sign-in configured", never an error page.
    """
    try:
        if "auth" not in st.secrets:
            return None
        section = st.secrets["auth"]
    except Exception:  # noqa: BLE001 - a missing or unreadable secrets file: no sign-in
        return None
    return section if isinstance(section, Mapping) else None


def providers(settings: Mapping[str, Any]) -> list[str | None]:
    """The providers to offer: named `[auth.<name>]` sections, else the default (None)."""
    named = [str(k) for k, v in settings.items() if isinstance(v, Mapping)]
    return named or [None]


def require_sign_in() -> bool:
    """True when the page may render: sign-in is off, or the user has signed in.

    Otherwise draws the sign-in screen (or why sign-in cannot work) and returns False.
    """
    settings = auth_settings()
    if settings is None:
        return True
    if importlib.util.find_spec("authlib") is None:
        st.title("paved")
        st.error(AUTHLIB_HELP, icon=":material/lock:")
        return False
    if st.user.is_logged_in:
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
