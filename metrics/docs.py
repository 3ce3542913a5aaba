"""Renders docs/metrics.md from the registry, so the published definitions cannot drift from
the ones the pipeline computes (a test fails when the committed file is stale).

Regenerate with: uv run python -m metrics.docs > docs/metrics.md
"""

from __future__ import annotations

import sys

from metrics.registry import load_bands, load_registry

_HEADER = """\
# Metric definitions

<!-- Generated from metrics/*.yml and metrics/bands.csv by `uv run python -m metrics.docs >
docs/metrics.md`. Do not edit by hand: tests/metrics fail when this file is stale. -->

Every metric is computed for each grain (`week`: ISO week starting Monday 00:00 UTC; `month`)
and scope (`service`, `team`, `org`) it lists, in `metrics.metric_values`:
`metric, grain, period_start, scope, scope_id ('org' for org), value, numerator, denominator,
sample_size`. Every period between the first and the last event is present (`metrics.calendar`):
counts are 0 in an empty period, ratios keep `numerator` and `denominator` and have value NULL
when the denominator is 0, medians and percentiles are NULL when there is no sample
(`sample_size` 0). Medians and percentiles are interpolated (`quantile_cont`). Roll-ups of a
ratio re-divide the summed numerator by the summed denominator.

Metrics marked `per_grain` measure a state in each period rather than events (the services
that exist at the end of a week, the people active in a month): each period is measured on its
own, so a month is not the sum of its weeks.

The rules that vary between DORA tools (production environments, counted incident severities,
incident attribution window, whether a rollback marks a failure, band year and window, privacy
group size) are read from `meta.rules`, written from `paved.toml` at each run.
"""

_BANDS_NOTE = """\
## Performance bands

`metrics.performance` holds, per banded metric and scope, the value over a trailing window of
`rules.band_window_weeks` ISO weeks (default 12) ending with the last complete week, and its
band from the State of DevOps report of `rules.band_year` (2024 by default, 2023 selectable).
The last complete week is the earlier of the last week that ended before the run and the week
of the last deployment or incident. Window values: deployment frequency is the average number
of counted deployments per week; change fail rate is the window's failed / counted deployments;
lead time and recovery time are medians over the window's events.

The reports describe clusters in words; `metrics/bands.csv` turns them into half-open ranges
`lower <= value < upper` that tile the axis, with the report's wording kept in `reported`:

- "On demand" is at least 7 deployments per week (daily or more); "once per month" is 12/52
  deployments per week.
- **Change fail rate 2024 is not monotonic**: the high cluster reported 20% and the medium
  cluster 10%. We keep the report's clusters and classify by the **nearest reported value**
  (boundaries at the midpoints 7.5%, 15%, 30%), so 7.5-15% reads `medium` and 15-30% reads
  `high`. The band is the report's cluster label, not a rank of this one metric; read it
  together with the other metrics, as the report does.
- Change fail rate 2023 (5%, 10%, 15%, 64%) uses the same nearest-value rule (7.5%, 12.5%,
  39.5%).
- Where the report gives two clusters the same words (2023 low and medium deployment frequency
  and lead time; 2024 high and medium recovery time "less than one day"), the better cluster
  keeps the reported range and the worse one takes the range beyond it, so every value has
  exactly one band.
"""


def _fmt(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def render_metrics_doc() -> str:
    """The full text of docs/metrics.md for the current registry and bands."""
    registry = load_registry()
    bands = load_bands()
    lines = [_HEADER]
    lines.append("## Metrics\n")
    lines.append("| metric | label | unit | direction | kind | grains | scopes |")
    lines.append("|---|---|---|---|---|---|---|")
    for m in registry.values():
        lines.append(
            f"| `{m.name}` | {m.label} | {m.unit} | {m.direction} | {m.kind} | "
            f"{', '.join(m.grains)} | {', '.join(m.scopes)} |"
        )
    lines.append("")
    for m in registry.values():
        lines.append(f"### `{m.name}`: {m.label}\n")
        lines.append(f"{m.description}\n")
        facts = [
            f"unit **{m.unit}**",
            m.direction.replace("_", " "),
            f"kind `{m.kind}`" + (f" (q = {m.quantile:g})" if m.quantile is not None else ""),
            f"events from `metrics/sql/{m.sql}`",
        ]
        if m.private:
            facts.append("privacy: NULL below `rules.min_group_size`")
        if m.per_grain:
            facts.append("a state measured per period (`per_grain`)")
        lines.append("- " + "; ".join(facts) + "\n")
        lines.append(m.definition.strip() + "\n")
        mine = [b for b in bands if b.metric == m.name]
        if mine:
            lines.append("| year | band | lower | upper | reported |")
            lines.append("|---|---|---|---|---|")
            for b in sorted(mine, key=lambda b: (-b.report_year, b.lower or 0.0)):
                lines.append(
                    f"| {b.report_year} | {b.band} | {_fmt(b.lower)} | {_fmt(b.upper)} | "
                    f"{b.reported} |"
                )
            lines.append("")
    lines.append(_BANDS_NOTE)
    sources = sorted({b.source for b in bands})
    lines.append("Sources: " + "; ".join(sources) + ".\n")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(render_metrics_doc())
