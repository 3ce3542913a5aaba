"""Backstage software catalog (`/api/catalog/entities/by-query`).

- Components → `services`: the owner becomes the team, the repository comes from the
  `github.com/project-slug` / `gitlab.com/project-slug` annotation or the source location, and the
  `backstage.io/source-template` annotation (added by the scaffolder's `catalog:write`) is the
  golden-path template.
- Groups → `teams` (topology from `topologies` or the `paved.dev/topology` annotation).
- Users → `identities`: the logins and e-mails that are one person, keyed by the user's
  e-mail. They are not `engineers`, because the catalog knows no start date: an `engineers`
  record from here would be quarantined, or worse, replace the HR record of the same id.
  Core can merge them into `engineers.aliases` by matching any alias.

The catalog is small and has no change filter, so every run reads it whole with keyset
(`cursor`) pagination; re-reading is free downstream because raw stores a record only when its
payload changed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, ClassVar
from urllib.parse import urlparse

from pipelines.connectors.base import Connector
from pipelines.connectors.http import request_json
from pipelines.connectors.mapping import dig, entity_ref_name

SOURCE_TEMPLATE = "backstage.io/source-template"
TOPOLOGY_ANNOTATION = "paved.dev/topology"
REPO_SLUGS = ("github.com/project-slug", "gitlab.com/project-slug")
LOCATIONS = ("backstage.io/source-location", "backstage.io/managed-by-location")
LOGIN_ANNOTATIONS = ("github.com/user-login", "gitlab.com/user-login")


def entity_id(entity: dict[str, Any]) -> str | None:
    """`name`, or `namespace/name` outside the default namespace."""
    name = dig(entity, "metadata", "name")
    ns = dig(entity, "metadata", "namespace") or "default"
    if not name:
        return None
    return str(name) if ns == "default" else f"{ns}/{name}"


def repo_from_location(location: str) -> tuple[str | None, str | None]:
    """(`owner/name`, sub-folder) from `url:https://github.com/o/r/tree/main/dir[/catalog-info.yaml]`."""
    text = location.split(":", 1)[1] if location.startswith(("url:", "file:")) else location
    parsed = urlparse(text)
    parts = [p for p in parsed.path.split("/") if p]
    if len(parts) < 2 or not parsed.netloc:
        return None, None
    if "-" in parts:  # GitLab: /group/sub/project/-/tree/main/dir
        cut = parts.index("-")
        repo_parts, rest = parts[:cut], parts[cut + 1 :]
    else:
        repo_parts, rest = parts[:2], parts[2:]
    # rest: tree|blob, ref, folders..., maybe a file name
    folders = rest[2:] if len(rest) >= 2 and rest[0] in ("tree", "blob") else []
    if folders and "." in folders[-1]:
        folders = folders[:-1]
    return "/".join(repo_parts), ("/".join(folders) or None)


class BackstageConnector(Connector):
    TYPE: ClassVar[str] = "backstage"
    NEEDS_TOKEN: ClassVar[bool] = False
    STREAMS: ClassVar[tuple[str, ...]] = ("services", "teams", "identities")
    KEYS: ClassVar[frozenset[str]] = frozenset(
        {"component_types", "group_types", "topologies", "services"}
    )
    KINDS: ClassVar[dict[str, str]] = {
        "services": "component", "teams": "group", "identities": "user"
    }

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.ctx.token}"} if self.ctx.token else {}

    @property
    def api(self) -> str:
        base = self.base_url
        return base if base.endswith("/api/catalog") else f"{base}/api/catalog"

    def units(self) -> Iterator[tuple[str, Callable[[], None]]]:
        for stream in self.streams:
            yield stream, (lambda s=stream: self.sync_kind(s))

    def entities(self, kind: str) -> Iterator[dict[str, Any]]:
        """Every entity of a kind, following `pageInfo.nextCursor` (the cursor replaces the
        filter on later pages, as the API requires)."""
        url = f"{self.api}/entities/by-query"
        params: dict[str, Any] = {"filter": f"kind={kind}", "limit": self.per_page}
        while True:
            page = request_json(self.ctx.client, url, params=params, headers=self.headers(),
                                what=f"{kind} entities")
            for item in dig(page.data, "items") or []:
                if isinstance(item, dict):
                    yield item
            cursor = dig(page.data, "pageInfo", "nextCursor")
            if not cursor:
                return
            params = {"cursor": cursor, "limit": self.per_page}

    def sync_kind(self, stream: str) -> None:
        kind = self.KINDS[stream]
        mapper = {"services": self.map_component, "teams": self.map_group,
                  "identities": self.map_user}[stream]
        wanted = {
            "services": self.setting("component_types"),
            "teams": self.setting("group_types"),
        }.get(stream)
        records = []
        for entity in self.entities(kind):
            if wanted and dig(entity, "spec", "type") not in wanted:
                continue
            records.append(mapper(entity))
        self.ctx.sink.add(stream, records, f"GET {self.api}/entities/by-query?filter=kind={kind}")
        self.ctx.sink.checkpoint(self.ctx.state, stream, None, None)

    def map_component(self, e: dict[str, Any]) -> dict[str, Any]:
        annotations = dig(e, "metadata", "annotations") or {}
        repo = next((annotations[a] for a in REPO_SLUGS if annotations.get(a)), None)
        path = None
        for key in LOCATIONS:
            if annotations.get(key):
                loc_repo, loc_path = repo_from_location(str(annotations[key]))
                repo = repo or loc_repo
                path = path or loc_path
        sid = entity_id(e)
        return {
            "service_id": dict(self.setting("services") or {}).get(sid, sid),
            "team_id": entity_ref_name(dig(e, "spec", "owner")),
            "repo": repo,
            "name": dig(e, "metadata", "title") or dig(e, "metadata", "name"),
            "path": path,
            "tier": dig(e, "spec", "tier") or dig(e, "metadata", "labels", "tier"),
            "lifecycle": dig(e, "spec", "lifecycle"),
            "template": entity_ref_name(annotations.get(SOURCE_TEMPLATE)),
        }

    def map_group(self, e: dict[str, Any]) -> dict[str, Any]:
        tid = entity_id(e)
        topology = dict(self.setting("topologies") or {}).get(tid) or dig(
            e, "metadata", "annotations", TOPOLOGY_ANNOTATION
        )
        return {
            "team_id": tid,
            "name": dig(e, "spec", "profile", "displayName") or dig(e, "metadata", "title")
            or dig(e, "metadata", "name"),
            "topology": topology,
            "parent_team_id": entity_ref_name(dig(e, "spec", "parent")),
        }

    @staticmethod
    def map_user(e: dict[str, Any]) -> dict[str, Any]:
        annotations = dig(e, "metadata", "annotations") or {}
        email = dig(e, "spec", "profile", "email")
        aliases = [email, entity_id(e), *(annotations.get(a) for a in LOGIN_ANNOTATIONS)]
        teams = [entity_ref_name(g) for g in dig(e, "spec", "memberOf") or []]
        return {
            "identity_id": entity_id(e),
            "email": email,
            "team_id": teams[0] if teams else None,
            "aliases": list(dict.fromkeys(a for a in aliases if a)),
        }
