"""PagerDuty (REST v2): incidents with their log entries → `incidents`.

Why time windows: PagerDuty's classic offset pagination refuses `offset + limit` beyond 10,000,
so a busy account's history cannot be paged in one query. Each window's first page asks for
`total=true`; a window holding more than the cap is split in halves until each fits.

Times come from the log entries (the first `acknowledge_log_entry`, the last `resolve_log_entry`),
because an incident's own `acknowledgements` are cleared when it resolves. PagerDuty services are
mapped to paved services through `services`; an unmapped service keeps its PagerDuty id and is
reported, so the mapping can be completed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any, ClassVar

from pipelines.connectors.base import Connector
from pipelines.connectors.http import request_json
from pipelines.connectors.mapping import CursorTracker, dig, iso, parse_ts, ts


class PagerDutyConnector(Connector):
    TYPE: ClassVar[str] = "pagerduty"
    DEFAULT_BASE_URL: ClassVar[str] = "https://api.pagerduty.com"
    STREAMS: ClassVar[tuple[str, ...]] = ("incidents",)
    KEYS: ClassVar[frozenset[str]] = frozenset(
        {"service_ids", "services", "default_service", "window_days", "offset_cap", "log_entries"}
    )

    def validate(self) -> None:
        super().validate()
        self.services: dict[str, str] = dict(self.setting("services") or {})
        self.cap = int(self.setting("offset_cap", 10_000))
        self.window = timedelta(days=float(self.setting("window_days", 30)))

    def headers(self) -> dict[str, str]:
        h = {"Accept": "application/vnd.pagerduty+json;version=2"}
        if self.ctx.token:
            h["Authorization"] = f"Token token={self.ctx.token}"
        return h

    def units(self) -> Iterator[tuple[str, Callable[[], None]]]:
        yield "incidents", self.sync_incidents

    @property
    def limit(self) -> int:
        return min(self.per_page, 100)  # PagerDuty's maximum page size

    def sync_incidents(self) -> None:
        key = "incidents"
        saved = self.ctx.state.get(key)
        start, end = self.since(saved), self.ctx.now
        tracker = CursorTracker(self.ctx.now)
        url = f"{self.base_url}/incidents"
        incidents: dict[str, dict[str, Any]] = {}
        # Fixed-size windows first (PagerDuty also limits how far one query may span), then
        # each window is split further while it holds more than the offset cap.
        cursor = start
        while cursor < end:
            stop = min(cursor + self.window, end)
            self.fetch_window(url, cursor, stop, incidents)
            cursor = stop
        records = []
        for incident in incidents.values():
            entries = incident.get("log_entries")
            if entries is None and self.setting("log_entries", True):
                entries = self.log_entries(incident.get("id"))
            records.append(self.map_incident(incident, entries or []))
            tracker.see(incident.get("created_at"),
                        finished=str(incident.get("status")) == "resolved")
        self.ctx.sink.add("incidents", records, f"GET {url}")
        self.ctx.sink.checkpoint(self.ctx.state, key, tracker.result(saved.cursor), None)

    def fetch_window(
        self, url: str, start: datetime, end: datetime, out: dict[str, dict[str, Any]]
    ) -> None:
        params: dict[str, Any] = {
            "since": iso(start),
            "until": iso(end),
            "limit": self.limit,
            "offset": 0,
            "total": "true",
            "time_zone": "UTC",
            "sort_by": "created_at:asc",
        }
        if self.setting("service_ids"):
            params["service_ids[]"] = list(self.setting("service_ids"))
        page = request_json(self.ctx.client, url, params=params, headers=self.headers(),
                            what="incidents")
        total = dig(page.data, "total")
        if isinstance(total, int) and total > self.cap and end - start > timedelta(seconds=2):
            mid = start + (end - start) / 2
            self.fetch_window(url, start, mid, out)
            self.fetch_window(url, mid, end, out)
            return
        offset = 0
        while True:
            for incident in dig(page.data, "incidents") or []:
                if isinstance(incident, dict) and incident.get("id"):
                    out[incident["id"]] = incident
            offset += self.limit
            if not dig(page.data, "more") or offset + self.limit > self.cap:
                if dig(page.data, "more"):
                    self.warn(f"incidents {iso(start)}..{iso(end)}: more than {self.cap} in a "
                              "window that cannot be split further; some were skipped")
                return
            params = {**params, "offset": offset, "total": "false"}
            page = request_json(self.ctx.client, url, params=params, headers=self.headers(),
                                what="incidents")

    def log_entries(self, incident_id: Any) -> list[dict[str, Any]]:
        """The overview log (trigger, acknowledge, resolve...), offset-paged."""
        url = f"{self.base_url}/incidents/{incident_id}/log_entries"
        entries: list[dict[str, Any]] = []
        offset = 0
        while True:
            params = {"is_overview": "true", "limit": self.limit, "offset": offset,
                      "time_zone": "UTC"}
            page = request_json(self.ctx.client, url, params=params, headers=self.headers(),
                                what="incident log entries")
            entries.extend(e for e in dig(page.data, "log_entries") or [] if isinstance(e, dict))
            offset += self.limit
            if not dig(page.data, "more") or offset + self.limit > self.cap:
                return entries

    def service_for(self, service: Any) -> str | None:
        sid = dig(service, "id")
        if sid in self.services:
            return self.services[sid]
        if self.setting("default_service"):
            return str(self.setting("default_service"))
        if sid:
            self.warn(f"PagerDuty service {sid} ({dig(service, 'summary')}) is not mapped in "
                      "`services`; its incidents keep the PagerDuty id as service_id")
        return sid

    def map_incident(self, inc: dict[str, Any], entries: list[dict[str, Any]]) -> dict[str, Any]:
        def times(kind: str) -> list[datetime]:
            found = [parse_ts(e.get("created_at")) for e in entries if e.get("type") == kind]
            return sorted(t for t in found if t is not None)

        acks = times("acknowledge_log_entry") or sorted(
            t for t in (parse_ts(a.get("at")) for a in inc.get("acknowledgements") or []
                        if isinstance(a, dict)) if t is not None
        )
        resolves = times("resolve_log_entry")
        resolved = None
        if str(inc.get("status")) == "resolved":
            resolved = (iso(resolves[-1]) if resolves else
                        ts(inc.get("resolved_at") or inc.get("last_status_change_at")))
        return {
            "incident_id": f"pagerduty:{inc.get('id')}",
            "service_id": self.service_for(inc.get("service")),
            "opened_at": ts(inc.get("created_at")),
            "severity": dig(inc, "priority", "summary") or inc.get("urgency"),
            "acknowledged_at": iso(acks[0]) if acks else None,
            "resolved_at": resolved,
        }
