"""Opsgenie (REST, `/v1/incidents`): incidents → `incidents`.

The list is read newest first and paged through the `paging.next` URL of each answer; reading
stops at the first incident created before the window. An open incident holds the cursor back
(see `CursorTracker`), so the run after it resolves re-reads it and records the resolution.

Resolution time: `impactEndDate` when present, else the `IncidentResolved` timeline event when
the payload embeds `timelines`, else `updatedAt` of a resolved or closed incident (DevLake's
choice). Acknowledgement comes only from an embedded timeline; the list does not carry it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any, ClassVar

from pipelines.connectors.base import Connector
from pipelines.connectors.http import request_json
from pipelines.connectors.mapping import CursorTracker, dig, parse_ts, ts

RESOLVED = {"resolved", "closed"}


class OpsgenieConnector(Connector):
    TYPE: ClassVar[str] = "opsgenie"
    DEFAULT_BASE_URL: ClassVar[str] = "https://api.opsgenie.com"
    STREAMS: ClassVar[tuple[str, ...]] = ("incidents",)
    KEYS: ClassVar[frozenset[str]] = frozenset({"services", "default_service", "query"})

    def validate(self) -> None:
        super().validate()
        self.services: dict[str, str] = dict(self.setting("services") or {})

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"GenieKey {self.ctx.token}"} if self.ctx.token else {}

    def units(self) -> Iterator[tuple[str, Callable[[], None]]]:
        yield "incidents", self.sync_incidents

    def sync_incidents(self) -> None:
        key = "incidents"
        saved = self.ctx.state.get(key)
        since = self.since(saved)
        url = f"{self.base_url}/v1/incidents"
        params: dict[str, Any] | None = {
            "limit": min(self.per_page, 100), "offset": 0, "sort": "createdAt", "order": "desc"
        }
        if self.setting("query"):
            params["query"] = self.setting("query")  # e.g. impactedServices:<id>
        tracker = CursorTracker(self.ctx.now)
        records: list[dict[str, Any]] = []
        next_url: str | None = url
        while next_url:
            page = request_json(self.ctx.client, next_url, params=params,
                                headers=self.headers(), what="incidents")
            params = None  # the next URL carries every parameter
            items = [i for i in dig(page.data, "data") or [] if isinstance(i, dict)]
            for item in items:
                created = parse_ts(item.get("createdAt"))
                if created is not None and created < since:
                    next_url = None
                    break
                records.append(self.map_incident(item))
                tracker.see(item.get("createdAt"),
                            finished=str(item.get("status")).lower() in RESOLVED)
            else:
                next_url = dig(page.data, "paging", "next") if items else None
        self.ctx.sink.add("incidents", records, f"GET {url}")
        self.ctx.sink.checkpoint(self.ctx.state, key, tracker.result(saved.cursor), None)

    def service_for(self, impacted: Any) -> str | None:
        ids = [str(i) for i in impacted or []]
        for sid in ids:
            if sid in self.services:
                return self.services[sid]
        if self.setting("default_service"):
            return str(self.setting("default_service"))
        if ids:
            self.warn(f"Opsgenie service {ids[0]} is not mapped in `services`; its incidents "
                      "keep the Opsgenie id as service_id")
            return ids[0]
        return None

    def map_incident(self, inc: dict[str, Any]) -> dict[str, Any]:
        timeline = [t for t in inc.get("timelines") or [] if isinstance(t, dict)]

        def first(*types: str) -> str | None:
            found = sorted(
                t for t in (parse_ts(e.get("eventTime")) for e in timeline
                            if e.get("type") in types) if t is not None
            )
            return ts(found[0]) if found else None

        resolved = None
        if str(inc.get("status")).lower() in RESOLVED:
            resolved = (ts(inc.get("impactEndDate")) or first("IncidentResolved")
                        or ts(inc.get("updatedAt")))
        return {
            "incident_id": f"opsgenie:{inc.get('id')}",
            "service_id": self.service_for(inc.get("impactedServices")),
            "opened_at": ts(inc.get("impactStartDate") or inc.get("createdAt")),
            "severity": inc.get("priority"),
            "acknowledged_at": first("ResponderAlertAcked", "IncidentAcknowledged"),
            "resolved_at": resolved,
        }
