"""Platform engineering: settings, friction signals, impact analysis and the roadmap.

The plain-SQL platform marts (adoption, CI health, capability usage, catalogue completeness,
impact observations) are ordinary marts (pipelines/marts.py). What lives here needs the
configuration or Python: the platform settings of paved.toml recorded in `meta.*`, the friction
signals judged by those thresholds, the bootstrap of `marts.platform_impact`, and the roadmap,
which reads the metric registry. This module imports no other defs module, so transform.py can
make publishing wait for these assets without an import cycle.
"""

import dagster as dg

from pipelines.defs.resources import WarehouseResource
from pipelines.impact import build_platform_impact
from pipelines.roadmap import build_roadmap, load_platform_settings, write_settings
from pipelines.sqlfiles import run_sql_file


def _key(path: str) -> dg.AssetKey:
    return dg.AssetKey(path.split("/"))


SETTINGS = {
    "meta/initiatives": "One row per roadmap initiative of [[roadmap.initiatives]].",
    "meta/friction_thresholds": "One row: the [friction] thresholds in force.",
    "meta/roadmap_settings": "One row: the [roadmap] settings in force.",
    "meta/impact_settings": "One row: the [impact] settings in force.",
}
SETTINGS_KEYS = [_key(k) for k in SETTINGS]
FRICTION_KEY = _key("marts/friction_signals")
IMPACT_KEY = _key("marts/platform_impact")
ROADMAP = {
    "marts/roadmap_progress": "One row per roadmap initiative: baseline, current value, "
    "target, trend, status and why.",
    "marts/opportunities": "One row per (team, capability) with a gap to the adopters: gap x "
    "size, ranked.",
}
ROADMAP_KEYS = [_key(k) for k in ROADMAP]
METRIC_DEPS = [_key("metrics/metric_values"), _key("metrics/catalog"), _key("metrics/calendar")]


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            _key(k),
            group_name="platform",
            deps=[_key("core/deployments")],
            description=d,
            kinds={"duckdb"},
        )
        for k, d in SETTINGS.items()
    ],
    name="platform_settings",
)
def platform_settings(warehouse: WarehouseResource):
    """The platform sections of paved.toml, validated and recorded (relative initiative dates
    are resolved against the end of the deployment data)."""
    settings = load_platform_settings(warehouse.config().raw)
    with warehouse.connect() as con:
        initiatives = write_settings(con, settings)
    for key in SETTINGS_KEYS:
        rows = initiatives if key.path[-1] == "initiatives" else 1
        yield dg.MaterializeResult(asset_key=key, metadata={"dagster/row_count": rows})


@dg.asset(
    key=FRICTION_KEY,
    group_name="platform",
    deps=[
        _key("meta/friction_thresholds"),
        _key("meta/rules"),
        _key("marts/onboarding"),
        _key("marts/ci_runs"),
        _key("marts/platform_events"),
        _key("marts/incident_links"),
        _key("marts/deployments"),
        _key("core/incidents"),
        _key("core/engineers"),
        _key("core/commits"),
    ],  # fmt: skip
    kinds={"duckdb"},
)
def friction_signals(warehouse: WarehouseResource) -> dg.MaterializeResult:
    """One row per (signal, scope, capability): friction over the trailing window, with its
    threshold from [friction] and whether it triggered."""
    with warehouse.connect() as con:
        run_sql_file(con, "marts/friction_signals.sql")
        rows = con.execute("SELECT count(*) FROM marts.friction_signals").fetchone()[0]
        triggered = con.execute(
            "SELECT count(*) FROM marts.friction_signals WHERE triggered"
        ).fetchone()[0]
    return dg.MaterializeResult(metadata={"dagster/row_count": rows, "triggered": triggered})


@dg.asset(
    key=IMPACT_KEY,
    group_name="platform",
    deps=[
        _key("marts/platform_impact_observations"),
        _key("meta/impact_settings"),
        _key("meta/rules"),
    ],  # fmt: skip
    kinds={"duckdb"},
)
def platform_impact(warehouse: WarehouseResource) -> dg.MaterializeResult:
    """One row per (metric, comparison): adopters against non-adopters and
    difference-in-differences, with a seeded bootstrap interval or not_enough_data."""
    settings = load_platform_settings(warehouse.config().raw)
    with warehouse.connect() as con:
        rows = build_platform_impact(con, settings.impact)
        ok = con.execute(
            "SELECT count(*) FROM marts.platform_impact WHERE status = 'ok'"
        ).fetchone()[0]
    return dg.MaterializeResult(metadata={"dagster/row_count": rows, "estimated": ok})


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            _key(k),
            group_name="platform",
            deps=[
                _key("meta/initiatives"),
                _key("meta/roadmap_settings"),
                _key("meta/friction_thresholds"),
                IMPACT_KEY,
                *METRIC_DEPS,
                _key("marts/adoption"),
                _key("marts/catalogue_completeness"),
            ],  # fmt: skip
            description=d,
            kinds={"duckdb"},
        )
        for k, d in ROADMAP.items()
    ],
    name="roadmap",
)
def roadmap(warehouse: WarehouseResource):
    """Roadmap progress per initiative and the ranked opportunities per team and capability."""
    with warehouse.connect() as con:
        counts = build_roadmap(con)
    for key in ROADMAP_KEYS:
        yield dg.MaterializeResult(
            asset_key=key, metadata={"dagster/row_count": counts[key.path[-1]]}
        )


PLATFORM_ASSETS = [platform_settings, friction_signals, platform_impact, roadmap]
PLATFORM_KEYS = [*SETTINGS_KEYS, FRICTION_KEY, IMPACT_KEY, *ROADMAP_KEYS]
