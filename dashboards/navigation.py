"""The dashboard's page registry: one line per page, so adding a page is adding its file.

Every planned page is listed with its section; `available_pages()` keeps those whose file exists
in `app_pages/`, so a page under construction elsewhere never breaks the app and the sidebar order
is decided here once rather than by file names. Pages live in `app_pages/`, not `pages/`:
Streamlit would otherwise also auto-register `pages/` and show every page twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DASHBOARD_DIR = Path(__file__).resolve().parent
PAGES_DIR = DASHBOARD_DIR / "app_pages"
APP = DASHBOARD_DIR / "app.py"


@dataclass(frozen=True)
class PageSpec:
    """One page: its file in app_pages/, the title and icon in the menu, and its menu section."""

    file: str
    title: str
    icon: str
    section: str
    default: bool = False

    @property
    def path(self) -> Path:
        return PAGES_DIR / self.file

    @property
    def url_path(self) -> str:
        """The page's URL path as st.Page infers it: "" for the default page, else the file stem."""
        return "" if self.default else Path(self.file).stem


PAGES: tuple[PageSpec, ...] = (
    PageSpec("overview.py", "Overview", ":material/dashboard:", "DORA", default=True),
    PageSpec("delivery.py", "Delivery", ":material/rocket_launch:", "DORA"),
    PageSpec("adoption.py", "Adoption", ":material/route:", "Platform"),
    PageSpec("onboarding.py", "Onboarding", ":material/person_add:", "Platform"),
    PageSpec("impact.py", "Impact & roadmap", ":material/insights:", "Platform"),
    PageSpec("ci_health.py", "CI health", ":material/build:", "Engineering"),
    PageSpec("catalogue.py", "Catalogue", ":material/menu_book:", "Reference"),
    PageSpec("data_quality.py", "Data quality", ":material/fact_check:", "Reference"),
    PageSpec("sql.py", "SQL", ":material/terminal:", "Reference"),
)


def available_pages() -> list[PageSpec]:
    """The registered pages whose file exists, in menu order."""
    return [page for page in PAGES if page.path.is_file()]


def sections() -> dict[str, list[PageSpec]]:
    """Available pages grouped by section, sections in first-appearance order."""
    grouped: dict[str, list[PageSpec]] = {}
    for page in available_pages():
        grouped.setdefault(page.section, []).append(page)
    return grouped
