"""`paved`: the one entry point (contract §2).

Exit status: 0 success, 2 bad input (a file, a flag, a query), 1 failure. Every error is one
sentence plus what to do; tracebacks are for `--debug`.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from pipelines.config import Config, ConfigError, load_config
from pipelines.csv_safe import csv_safe
from pipelines.inbox import InboxError
from pipelines.paths import DATA, DEMO, Home, demo_home, home, reader_home

EXIT_OK, EXIT_FAILURE, EXIT_BAD_INPUT = 0, 1, 2
DEMO_CONFIG = Path(__file__).resolve().parent / "demo" / "paved.demo.toml"


class BadInput(ValueError):
    """Something the user gave us is wrong; exit 2."""


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--home",
        help="PAVED_HOME: warehouse, published copy, reports, state "
        "(the demo's own home is data/demo/ of the checkout)",
    )
    common.add_argument("--debug", action="store_true", help="show tracebacks")
    parser = argparse.ArgumentParser(
        prog="paved", description="Developer-experience analytics for platform teams."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = sub.add_parser("demo", parents=[common], help="generate the demo org, run, serve")
    demo.add_argument("--no-serve", action="store_true", help="stop after printing the figures")
    demo.add_argument("--engineers", type=int, default=200)
    demo.add_argument("--weeks", type=int, default=52)
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument("--port", type=int, default=8501)

    run = sub.add_parser("run", parents=[common], help="run the whole pipeline once")
    run.add_argument(
        "--inbox",
        action="append",
        default=[],
        type=Path,
        help="folder of canonical batch files (repeatable)",
    )
    run.add_argument("--config", type=Path, help="paved.toml (default: <home>/paved.toml)")
    run.add_argument(
        "--full-resync",
        action="store_true",
        help="sources re-read their whole history instead of what changed",
    )
    run.add_argument(
        "--strict",
        action="store_true",
        help="exit 2 when the run added new records to the quarantine (it still publishes)",
    )
    run.add_argument(
        "--into-demo",
        action="store_true",
        help="load into the demo's home on purpose (mixing your data with the demo's)",
    )

    sql = sub.add_parser("sql", parents=[common], help="one read-only query on the warehouse")
    sql.add_argument("query", nargs="?", help="SQL; - reads stdin; none on a terminal: a prompt")
    sql.add_argument("--format", choices=["table", "csv", "json", "parquet"], default="table")
    sql.add_argument("--output", type=Path, help="write the result to this file")
    sql.add_argument("--max-rows", type=int, help="rows kept (default: [sql] max_rows, 100000)")
    sql.add_argument(
        "--timeout",
        type=float,
        help="seconds before the query stops (default: [sql] timeout_s, 30)",
    )
    sql.add_argument(
        "--memory-limit-gb",
        type=float,
        help="memory the query may use (default: [sql] memory_limit_gb, 1)",
    )
    sql.add_argument("--config", type=Path, help="paved.toml with the [sql] table")

    report = sub.add_parser("report", parents=[common], help="render the weekly report")
    report.add_argument("--week", help="YYYY-Www (default: the last complete week)")
    report.add_argument("--out", type=Path, help="folder (default: <home>/reports/<year>-W<week>)")
    report.add_argument("--deliver", action="store_true", help="send to Slack / e-mail")
    report.add_argument("--force", action="store_true", help="deliver even if already delivered")
    report.add_argument("--config", type=Path, help="paved.toml with the [report] table")

    dash = sub.add_parser("dashboard", parents=[common], help="serve the dashboard")
    dash.add_argument("--port", type=int, default=8501)
    dash.add_argument("--host", default="127.0.0.1")

    dev = sub.add_parser("dev", parents=[common], help="open the Dagster UI on the definitions")
    dev.add_argument("--port", type=int, default=3000)

    reset = sub.add_parser("reset", parents=[common], help="empty a home (keeps your paved.toml)")
    reset.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    return parser


READERS = ("sql", "report", "dashboard")
FINDINGS_SHOWN = 20
LIST_OPEN_QUARANTINE = (
    "\"select entity, reason, origin from core.quarantine where status = 'open' "
    'order by loaded_at desc"'
)
LIST_NEW_QUARANTINE = (
    "\"select entity, reason, origin from core.quarantine where status = 'open' "
    'and loaded_at >= (select max(started_at) from meta.runs) order by loaded_at desc"'
)


def _target(args: argparse.Namespace) -> Home:
    """The home a command works on. The demo has its own (`data/demo/` unless --home); readers
    fall back to it when `data/` has no published copy of its own, and say so."""
    if args.command == "demo":
        return demo_home(args.home)
    if args.command not in READERS:
        return home(args.home)
    target, fell_back = reader_home(args.home)
    if fell_back:
        print(
            f"paved: reading the demo's home {target.root} ({home().root} has no published "
            "warehouse of its own; --home DIR chooses another)",
            file=sys.stderr,
        )
    return target


def main(argv: Sequence[str] | None = None) -> int:
    from pipelines.redact import install_logging, redact

    args = _parser().parse_args(argv)
    install_logging()  # every log record, from here on, has its secrets masked
    try:
        target = _target(args)
        handler = {
            "demo": cmd_demo,
            "run": cmd_run,
            "sql": cmd_sql,
            "report": cmd_report,
            "dashboard": cmd_dashboard,
            "dev": cmd_dev,
            "reset": cmd_reset,
        }[args.command]
        return handler(args, target)
    except (BadInput, InboxError, ConfigError) as exc:
        if args.debug:
            raise
        print(f"paved: {redact(exc)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("paved: interrupted", file=sys.stderr)
        return EXIT_FAILURE
    except Exception as exc:  # noqa: BLE001 - the last line of defence: one sentence, exit 1
        if args.debug:
            raise
        from pipelines.query import QueryRefused
        from pipelines.runner import HomeBusy, PipelineError

        if isinstance(exc, QueryRefused):
            print(f"paved sql: {redact(exc)}", file=sys.stderr)
            return EXIT_BAD_INPUT
        if isinstance(exc, HomeBusy):
            print(f"paved: {redact(exc)}", file=sys.stderr)
            return EXIT_FAILURE
        if isinstance(exc, PipelineError):
            print(
                f"paved: the run failed, the published warehouse is unchanged: {redact(exc)}",
                file=sys.stderr,
            )
            return EXIT_FAILURE
        print(
            f"paved: {type(exc).__name__}: {redact(exc)} (rerun with --debug for details)",
            file=sys.stderr,
        )
        return EXIT_FAILURE


def _config(target: Home, config: Path | None) -> Config:
    """The configuration the run will use (as the warehouse resource resolves it), validated now
    so a broken file fails before anything runs."""
    if config is not None and not config.is_file():
        raise BadInput(f"configuration file {config} does not exist")
    default = target.root / "paved.toml"
    explicit = config or os.environ.get("PAVED_CONFIG") or None
    return load_config(explicit or (default if default.is_file() else None))


def _loads_anything(inboxes: list[Path], config: Config) -> bool:
    return bool(inboxes or config.inboxes or config.sources)


def _run(
    target: Home,
    inboxes: list[Path],
    config: Path | None,
    full_resync: bool = False,
    strict: bool = False,
) -> int:
    """One run, its report and its exit status: 0 when it published (quarantined records are
    reported, not an error), 1 when a source failed, 2 with --strict when it quarantined new
    records."""
    from pipelines.headlines import headline_lines
    from pipelines.runner import home_lock, run_pipeline

    for folder in inboxes:
        if not folder.is_dir():
            raise BadInput(f"inbox {folder} is not a folder: pass a folder of canonical files")
    loads = _loads_anything(inboxes, _config(target, config))
    with home_lock(target):  # a busy home is one sentence, before anything is printed
        print(f"paved: running the pipeline into {target.root}")
        summary = run_pipeline(target, inboxes, config, progress=print, full_resync=full_resync)
    print(f"paved: done in {summary.seconds:.1f}s; published {target.published}")
    if summary.quarantined:
        print(
            f"paved: {summary.quarantined} record(s) quarantined "
            f"({summary.new_quarantined} new in this run): paved sql {LIST_OPEN_QUARANTINE}"
        )
    _print_findings(summary.findings)
    for failed in summary.failed_checks:
        print(f"paved: check failed: {failed}", file=sys.stderr)
    if not loads and summary.records == 0:
        print(
            "paved: nothing to load: pass --inbox DIR (a folder of canonical files, see "
            f"docs/contract.md) or configure sources in {target.root / 'paved.toml'} "
            "(see docs/sources.md)"
        )
    else:
        if not loads:
            print("paved: no inbox and no source: rebuilt from the records already loaded")
        for line in headline_lines(target.published):
            print(line)
    if summary.failed_sources:
        print(
            f"paved: published, but {len(summary.failed_sources)} source(s) failed "
            '(see above; `paved sql "select * from meta.source_runs"`)',
            file=sys.stderr,
        )
        return EXIT_FAILURE
    if strict and summary.new_quarantined:
        print(
            f"paved: --strict: this run added {summary.new_quarantined} record(s) to the "
            f"quarantine (the run published); list them with paved sql {LIST_NEW_QUARANTINE}",
            file=sys.stderr,
        )
        return EXIT_BAD_INPUT
    return EXIT_OK


def _print_findings(findings: list[dict[str, object]]) -> None:
    """What the inbox held that paved did not load or does not know: one line each, the first
    FINDINGS_SHOWN of them (all are in meta.inbox_findings and on the Data quality page)."""
    if not findings:
        return
    print(f"paved: {len(findings)} thing(s) in the inbox were not loaded or are not known:")
    for finding in findings[:FINDINGS_SHOWN]:
        print(f"  {finding['file']}: {finding['detail']}")
    if len(findings) > FINDINGS_SHOWN:
        print(
            f"  ... and {len(findings) - FINDINGS_SHOWN} more: paved sql "
            '"select kind, file, detail from meta.inbox_findings order by found_at desc"'
        )


def cmd_run(args: argparse.Namespace, target: Home) -> int:
    inboxes = [p.resolve() for p in args.inbox]
    if (
        not args.into_demo
        and target.kind() == DEMO
        and _loads_anything(inboxes, _config(target, args.config))
    ):
        raise BadInput(
            f"{target.root} is the demo's home: load your data into another home "
            "(--home DIR or PAVED_HOME), pass --into-demo to mix it with the demo on purpose, "
            f"or empty this one first with `paved reset --home {target.root}`"
        )
    return _run(target, inboxes, args.config, args.full_resync, args.strict)


def cmd_demo(args: argparse.Namespace, target: Home) -> int:
    from pipelines.demo import DemoSpec, generate, write_batch
    from pipelines.runner import home_lock

    try:
        spec = DemoSpec(engineers=args.engineers, weeks=args.weeks, seed=args.seed)
    except ValueError as exc:
        raise BadInput(f"demo: {exc}") from exc
    inbox = target.demo_inbox
    with home_lock(target):  # no run may be using the home we are about to empty
        if target.kind() == DATA:
            raise BadInput(
                f"{target.root} holds a warehouse that is not the demo's: run the demo in "
                "another home (`paved demo --home DIR`, or no --home for the demo's own home)"
            )
        # Each demo starts from an empty warehouse, so a demo of another size or date leaves
        # nothing behind (the published copy stays readable until the new one is swapped in).
        for stale in (
            inbox,
            target.legacy_demo_inbox,
            target.warehouse,
            target.warehouse.with_name("warehouse.duckdb.wal"),
        ):
            _remove(stale)
        _remove_if_empty(target.legacy_demo_inbox.parent)
        target.mark(DEMO, engineers=args.engineers, weeks=args.weeks, seed=args.seed)
        started = time.perf_counter()
        frames = generate(spec)
        counts = write_batch(frames, inbox)
        took = time.perf_counter() - started
        print(
            f"paved demo: generated {sum(counts.values()):,} records "
            f"({args.engineers} engineers, {args.weeks} weeks) in {took:.1f}s"
        )
        config = target.root / "paved.toml"
        if not config.exists():  # the demo's roadmap and thresholds, kept for later runs here
            shutil.copyfile(DEMO_CONFIG, config)
        code = _run(target, [inbox], config)
    if code != EXIT_OK:
        return code
    from pipelines.report import render_report

    report = render_report(target)
    print(f"paved demo: weekly report for {report.week} in {report.out_dir}")
    if args.no_serve:
        return code
    return _serve(target, args.port, "127.0.0.1")


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()


def _remove_if_empty(folder: Path) -> None:
    try:
        folder.rmdir()
    except OSError:  # missing or not empty: leave it
        pass


# What `paved reset` removes: everything a run or the demo writes. paved.toml is the user's.
RESET_ENTRIES = (
    "warehouse.duckdb",
    "warehouse.duckdb.wal",
    "warehouse.duckdb.tmp",
    "spill",
    "published",
    "reports",
    "dagster",
    "demo-batch",
    "demo/inbox",
    "state",
)


def _reset_targets(target: Home) -> list[Path]:
    found = [target.root / name for name in RESET_ENTRIES if (target.root / name).exists()]
    config = target.root / "paved.toml"
    if config.is_file() and config.read_bytes() == DEMO_CONFIG.read_bytes():
        found.append(config)  # the demo's copy, not a user's
    return found


def cmd_reset(args: argparse.Namespace, target: Home) -> int:
    """Empty a home: warehouse, published copy, Parquet, reports, state, Dagster history and the
    demo batch. A user's paved.toml stays. Asks on a terminal; elsewhere needs --yes."""
    from pipelines.runner import home_lock

    found = _reset_targets(target)
    if not found:
        print(f"paved reset: {target.root} holds nothing to remove")
        return EXIT_OK
    names = ", ".join(str(p.relative_to(target.root)) for p in found)
    if not args.yes:
        if not sys.stdin.isatty():
            raise BadInput(
                f"paved reset empties {target.root} and needs a confirmation: "
                "pass --yes (no terminal to ask on)"
            )
        answer = input(f"Empty {target.root}? This removes {names}. [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("paved reset: nothing removed")
            return EXIT_FAILURE
    with home_lock(target):
        _refuse_a_held_warehouse(target)
        lock = target.state_dir / "run.lock"
        for path in _reset_targets(target):
            if path == target.state_dir:  # the lock we hold goes last
                for entry in path.iterdir():
                    if entry != lock:
                        _remove(entry)
            else:
                _remove(path)
        _remove_if_empty(target.legacy_demo_inbox.parent)
        lock.unlink(missing_ok=True)  # a run starting from now on finds an empty home
        _remove_if_empty(target.state_dir)
    kept = " (kept paved.toml)" if (target.root / "paved.toml").exists() else ""
    print(f"paved reset: emptied {target.root}: removed {names}{kept}")
    return EXIT_OK


def _refuse_a_held_warehouse(target: Home) -> None:
    """HomeBusy when another process (a run of `paved dev`, a tool) has the warehouse open."""
    import duckdb

    from pipelines.runner import busy_from_duckdb

    if not target.warehouse.exists():
        return
    try:
        duckdb.connect(str(target.warehouse)).close()
    except duckdb.IOException as exc:
        busy = busy_from_duckdb(target, exc)
        if busy is None:
            raise
        raise busy from None


def cmd_report(args: argparse.Namespace, target: Home) -> int:
    from pipelines.report import WeekError, deliver_report, load_report_config, render_report

    if not target.published.is_file():
        raise BadInput("no published warehouse yet: run `paved demo` or `paved run` first")
    try:
        result = render_report(target, args.week, args.out)
    except WeekError as exc:
        raise BadInput(str(exc)) from exc
    print(f"paved report: {result.title} -> {result.out_dir}")
    for line in result.headlines:
        print(f"  {line}")
    for warning in result.warnings:
        print(f"paved report: {warning}", file=sys.stderr)
    if not args.deliver:
        return EXIT_OK
    default = target.root / "paved.toml"
    config_path = (
        args.config or os.environ.get("PAVED_CONFIG") or (default if default.is_file() else None)
    )
    outcomes = deliver_report(target, result, load_report_config(config_path), args.force)
    for outcome in outcomes:
        print(f"paved report: {outcome.channel}: {outcome.status} ({outcome.message})")
    return EXIT_OK if all(o.ok for o in outcomes) else EXIT_FAILURE


def _serve(target: Home, port: int, host: str) -> int:
    """Serve the dashboard; a sign-in that cannot work (a broken or incomplete `[auth]` in
    Streamlit's secrets) is bad input: exit 2, one sentence, Streamlit never started."""
    from dashboards.serve import SignInMisconfigured, secrets_files, serve, sign_in_problem

    problem = sign_in_problem(secrets_files())
    if problem is not None:
        raise BadInput(f"the dashboard was not started: {problem}")
    print(f"paved: dashboard on http://{host}:{port}  (Ctrl+C to stop)")
    try:
        return serve(target.root, port=port, host=host)
    except SignInMisconfigured as exc:  # the file changed between the two checks
        raise BadInput(f"the dashboard was not started: {exc}") from None


def cmd_dashboard(args: argparse.Namespace, target: Home) -> int:
    return _serve(target, args.port, args.host)


def cmd_dev(args: argparse.Namespace, target: Home) -> int:
    from pipelines.runner import _instance

    target.ensure()
    _instance(target).dispose()  # writes dagster.yaml (telemetry off) on first use
    env = {**os.environ, "DAGSTER_HOME": str(target.dagster_home), "PAVED_HOME": str(target.root)}
    command = [
        sys.executable,
        "-m",
        "dagster",
        "dev",
        "-m",
        "pipelines.definitions",
        "-h",
        "127.0.0.1",
        "-p",
        str(args.port),
    ]
    return subprocess.call(command, env=env)


def cmd_sql(args: argparse.Namespace, target: Home) -> int:
    if args.format == "parquet" and not args.output:
        raise BadInput("--format parquet needs --output FILE")
    if args.query is None and sys.stdin.isatty():
        return _sql_prompt(args, target)
    query = sys.stdin.read() if args.query in (None, "-") else args.query
    _sql_once(args, target, query)
    return EXIT_OK


def _sql_limits(args: argparse.Namespace, target: Home):  # -> pipelines.query.SqlLimits
    """The [sql] limits of the home's paved.toml (or --config), flags overriding them."""
    from pipelines.query import sql_limits

    for flag, value in (
        ("--max-rows", args.max_rows),
        ("--timeout", args.timeout),
        ("--memory-limit-gb", args.memory_limit_gb),
    ):
        if value is not None and value <= 0:
            raise BadInput(f"{flag} must be more than 0")
    if args.config is not None and not args.config.is_file():
        raise BadInput(f"configuration file {args.config} does not exist")
    return sql_limits(target.root, args.config).override(
        max_rows=args.max_rows, timeout_s=args.timeout, memory_limit_gb=args.memory_limit_gb
    )


def _sql_once(args: argparse.Namespace, target: Home, query: str) -> None:
    """One query in a limited child process (`pipelines.query.run_query`, as the dashboard)."""
    from pipelines.query import run_query

    limits = _sql_limits(args, target)
    result = run_query(
        target.published,
        query,
        max_rows=limits.max_rows,
        timeout_s=limits.timeout_s,
        memory_limit_gb=limits.memory_limit_gb,
    )
    if args.format == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        columns = {c: [row[i] for row in result.rows] for i, c in enumerate(result.columns)}
        pq.write_table(pa.table(columns), args.output)
    else:
        text = _format(result.columns, result.rows, args.format)
        if args.output:
            args.output.write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
    if result.truncated:
        print(
            f"paved sql: showing the first {limits.max_rows:,} rows; raise --max-rows for more",
            file=sys.stderr,
        )


def _sql_prompt(args: argparse.Namespace, target: Home) -> int:
    """An interactive prompt with history (kept in <home>/state/sql_history); `;` ends a query."""
    import readline

    from pipelines.query import QueryRefused

    history = target.root / "state" / "sql_history"
    history.parent.mkdir(parents=True, exist_ok=True)
    if history.exists():
        readline.read_history_file(history)
    print("paved sql: end a query with ';'; Ctrl+D quits. Try: SHOW ALL TABLES;")
    buffer: list[str] = []
    try:
        while True:
            try:
                line = input("paved> " if not buffer else "   ..> ")
            except EOFError:
                print()
                return EXIT_OK
            buffer.append(line)
            if not line.rstrip().endswith(";"):
                continue
            query, buffer = "\n".join(buffer), []
            try:
                _sql_once(args, target, query)
            except QueryRefused as exc:
                print(f"paved sql: {exc}", file=sys.stderr)
    finally:
        readline.write_history_file(history)


def _format(columns: list[str], rows: list[tuple], fmt: str) -> str:
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow([csv_safe(c) for c in columns])  # no cell a spreadsheet runs as a formula
        writer.writerows(["" if v is None else csv_safe(v) for v in row] for row in rows)
        return buffer.getvalue()
    if fmt == "json":
        records = [dict(zip(columns, row, strict=True)) for row in rows]
        return json.dumps(records, default=str, indent=1) + "\n"
    cells = [[str(c) for c in columns]] + [
        ["NULL" if v is None else str(v) for v in row] for row in rows
    ]
    widths = [max(len(r[i]) for r in cells) for i in range(len(columns))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
