"""Entry point of the paved dashboard: `streamlit run dashboards/app.py` (or `paved dashboard`).

It only sets the page frame and the navigation; each page is a script in `app_pages/` listed in
`dashboards/navigation.py`. The data comes from the published warehouse of PAVED_HOME, read-only,
through one connection per page render (see `dashboards/data.py`). When `.streamlit/secrets.toml`
configures `[auth]`, every page needs a sign-in first (`app_pages/_auth.py`).
"""

from __future__ import annotations

import sys
from pathlib import Path

# `streamlit run` puts dashboards/ (not the checkout) on sys.path; make `dashboards.*` and
# `pipelines.paths` importable even when the project is not installed in the environment.
_ROOT = str(Path(__file__).resolve().parent.parent)
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

import streamlit as st  # noqa: E402

from dashboards import data  # noqa: E402
from dashboards.app_pages._auth import require_sign_in  # noqa: E402
from dashboards.navigation import sections  # noqa: E402

st.set_page_config(page_title="paved", page_icon=":material/route:", layout="wide")

# Sign-in only when .streamlit/secrets.toml has an [auth] section (see docs/dashboard.md).
if not require_sign_in():
    st.stop()

navigation = st.navigation(
    {
        section: [
            st.Page(page.path, title=page.title, icon=page.icon, default=page.default)
            for page in pages
        ]
        for section, pages in sections().items()
    }
)
# One read-only connection for the whole page, opened by its first uncached query and closed
# when the run ends, even by a rerun or st.stop() (see dashboards/data.py).
with data.render():
    navigation.run()
