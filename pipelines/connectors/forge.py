"""What the code-hosting connectors (GitHub, GitLab) share: the settings that turn CI runs and
deployments into golden-path runs, deployment rules, rollbacks and hotfixes, and Link paging."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from pipelines.connectors.base import Connector
from pipelines.connectors.errors import SourceConfigError
from pipelines.connectors.http import Page, iter_link_pages
from pipelines.connectors.mapping import (
    DEFAULT_HOTFIX,
    DEFAULT_ROLLBACK,
    DeployRule,
    compile_patterns,
)

FORGE_KEYS = frozenset(
    {
        "services",
        "branch",
        "golden_path_pattern",
        "deploy_rules",
        "rollback_pattern",
        "hotfix_pattern",
        "platform_actors",
    }
)


class ForgeConnector(Connector):
    """Base for GitHub and GitLab; subclasses name their scope keys and their headers."""

    SCOPE_KEYS: ClassVar[tuple[str, str]] = ("", "")  # (list of repos, list of owners)
    SCOPE_HINT: ClassVar[str] = ""

    def validate(self) -> None:
        super().validate()
        where = f"[sources.{self.ctx.name}]"
        items, owners = self.SCOPE_KEYS
        if not self.settings.get(items) and not self.settings.get(owners):
            raise SourceConfigError(
                f"{where}: set `{items}` ({self.SCOPE_HINT} list) or `{owners}`"
            )
        self.golden = compile_patterns(
            self.setting("golden_path_pattern"), f"{where}.golden_path_pattern"
        )
        self.rules = [
            DeployRule.parse(r, f"{where}.deploy_rules[{i}]")
            for i, r in enumerate(self.setting("deploy_rules") or [])
        ]
        self.rollback = compile_patterns(
            self.setting("rollback_pattern", DEFAULT_ROLLBACK), f"{where}.rollback_pattern"
        )
        self.hotfix = compile_patterns(
            self.setting("hotfix_pattern", DEFAULT_HOTFIX), f"{where}.hotfix_pattern"
        )
        self.services: dict[str, str] = dict(self.setting("services") or {})
        self.platform_actors = {str(a).lower() for a in self.setting("platform_actors") or []}

    def headers(self) -> dict[str, str]:
        raise NotImplementedError

    def pages(self, url: str, params: dict[str, Any] | None = None, etag: str | None = None,
              what: str = "") -> Iterator[Page]:
        return iter_link_pages(
            self.ctx.client, url, params=params, headers=self.headers(), etag=etag, what=what
        )
