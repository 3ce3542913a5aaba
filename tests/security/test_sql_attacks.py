"""Ad-hoc SQL under attack: every statement is refused with one sentence, or is harmless.

Each statement of the corpus goes through both ways a person can type SQL: the function behind
`paved sql` (`pipelines.query.run_queries`, which `run_query` wraps) and the dashboard's
(`dashboards.sql_client.run_many`, which `run` wraps); a few go through the real `paved sql`
command line too. Both run the statements in a child process limited by the operating system.

What "harmless" means, checked for every statement:
- the answer is a result or one sentence (one line, no traceback), and neither shows the
  server's paths (the home, the checkout, the Python installation, the test's folders);
- no file is written: the home, the attack folder, the user's home folder and `/` (the child's
  working folder) have the same entries afterwards, and no `/tmp/paved-attack*` appears;
- no query goes above its limits: the child's peak resident memory (from `os.wait4`) stays under
  the configured memory limit plus MARGIN, and the query ends within its time limit plus 2 s.

MARGIN is the child's own size before the query: Python, DuckDB and pyarrow loaded (about
320 MB of address space, 90-150 MB resident). The address-space limit is that measured baseline
plus the memory limit, so resident memory can never pass it; the test checks the figure anyway.

The refused and harmless statements run in one child per way (a batch); the resource attacks run
one child each, with a small limit (0.5 GB, 3 s), so the file stays fast.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from dashboards import sql_client
from pipelines import cli
from pipelines.paths import REPO_ROOT, Home
from pipelines.query import (
    QueryRefused,
    QueryResult,
    SqlLimits,
    memory_sentence,
    run_queries,
    time_sentence,
)

GB = 2**30
MARGIN = 512 * 2**20
"""Allowed above the memory limit: the child's baseline (interpreter and libraries)."""
TIME_MARGIN_S = 2.0

R, OK, ANY = "refused", "ok", "either"
"""Expected: refused with a sentence; a result; either, as long as it is harmless."""

FILES = [
    (R, "select * from read_csv('/etc/passwd')"),
    (R, "select * from read_csv_auto('/etc/passwd')"),
    (R, "select * from read_text('/etc/passwd')"),
    (R, "select * from read_blob('/etc/passwd')"),
    (R, "select * from glob('/etc/*')"),
    (R, "select * from '/etc/passwd'"),
    (R, "from '/etc/hosts'"),
    (R, "select * from read_json('/etc/hosts')"),
    (R, "select * from read_ndjson_objects('/etc/hosts')"),
    (R, "select * from sniff_csv('/etc/passwd')"),
    (R, "select * from parquet_metadata('/etc/passwd')"),
    (R, "select * from read_parquet('{home}/published/parquet/*.parquet')"),
    (R, "select * from read_csv('file:///etc/passwd')"),
    (R, "select * from read_text('~/.bash_history')"),
    (R, "select * from glob('{home}/**')"),
    (R, "select * from sqlite_scan('/etc/passwd', 't')"),
    (R, "copy marts.deployments to '{out}/x.csv'"),
    (R, "copy (select 1) to '{out}/y.parquet' (format parquet)"),
    (R, "copy marts.deployments from '/etc/passwd'"),
    (R, "copy (select 1) to '/tmp/paved-attack.csv'"),
    (R, "export database '{out}/export'"),
    (R, "import database '{out}'"),
]
NETWORK = [
    (R, "select * from read_csv('https://example.com/x.csv')"),
    (R, "select * from read_parquet('s3://bucket/x.parquet')"),
    (R, "select * from 'http://127.0.0.1:1/x.csv'"),
    (R, "select * from read_json('https://api.github.com/')"),
    (R, "select * from read_text('http://169.254.169.254/latest/meta-data/')"),
    (R, "select * from read_csv('hf://datasets/x/y.csv')"),
    (R, "attach 'https://example.com/x.duckdb' as remote"),
    (R, "create secret (type s3, key_id 'x', secret 'y')"),
]
EXTENSIONS = [
    (R, "install httpfs"),
    (R, "load httpfs"),
    (R, "force install httpfs"),
    (R, "install httpfs from 'http://127.0.0.1:1'"),
    (R, "load '/tmp/paved-attack.duckdb_extension'"),
    (R, "install ducklake"),
    (R, "update extensions"),
    (R, "select * from duckdb_extensions()"),
    (R, "select * from extension_versions()"),
]
SETTINGS = [
    (R, "set memory_limit='10GB'"),
    (R, "SET threads = 8"),
    (R, "set enable_external_access = true"),
    (R, "set lock_configuration = false"),
    (R, "SET GLOBAL allow_community_extensions = true"),
    (R, "set temp_directory='{out}'"),
    (R, "set home_directory='/tmp'"),
    (R, "SET VARIABLE x = 1"),
    (R, "reset memory_limit"),
    (R, "RESET ALL"),
    (R, "pragma enable_profiling"),
    (R, "pragma memory_limit='10GB'"),
    (R, "pragma threads=4"),
    (R, "pragma profile_output='{out}/profile.json'"),
    (R, "pragma database_list"),
    (R, "PRAGMA Database_List"),
    (R, "pragma user_agent"),
    (R, "pragma platform"),
]
CATALOG = [
    (R, "select current_setting('temp_directory')"),
    (R, "select * from duckdb_settings()"),
    (R, "from duckdb_settings() where name = 'home_directory'"),
    (R, "select getenv('HOME')"),
    (R, "select * from pragma_database_list()"),
    (R, "select * from duckdb_databases()"),
    (R, "select path from duckdb_databases()"),
    (R, "select * from duckdb_temporary_files()"),
    (R, "select * from duckdb_secrets()"),
    (R, "select * from which_secret('s3://x', 's3')"),
    (R, "select * from duckdb_memory()"),
    (R, "select * from duckdb_logs()"),
    (R, "CALL pragma_database_list()"),
    (R, "CALL enable_logging()"),
    (R, "select * from query('select * from duckdb_settings()')"),
    (R, "select * from query_table('marts.deployments')"),
    (R, "select json_execute_serialized_sql(json_serialize_sql('select 1'))"),
]
WRITES = [
    (R, "create table x as select 1"),
    (R, "create temp table t as select 1"),
    (R, "create view v as select 1"),
    (R, "create macro m(a) as a"),
    (R, "create or replace temp macro evil() as table select * from duckdb_settings()"),
    (R, "create sequence s"),
    (R, "create type mood as enum ('a')"),
    (R, "create schema s2"),
    (R, "create index i on marts.deployments(deployment_id)"),
    (R, "drop table marts.deployments"),
    (R, "drop schema marts cascade"),
    (R, "insert into marts.deployments select * from marts.deployments"),
    (R, "update marts.deployments set team_id = 'x'"),
    (R, "delete from marts.deployments"),
    (R, "truncate marts.deployments"),
    (R, "alter table marts.deployments rename to d2"),
    (R, "comment on table marts.deployments is 'x'"),
    (R, "attach '{out}/other.duckdb' as other"),
    (R, "attach ':memory:' as mem"),
    (R, "detach paved"),
    (R, "use memory"),
    (R, "checkpoint"),
    (R, "force checkpoint"),
    (R, "vacuum"),
    (R, "analyze"),
    (R, "call checkpoint()"),
    (R, "call pragma_version()"),
    (R, "prepare p as select 1"),
    (R, "execute p"),
    (R, "begin transaction"),
    (R, "commit"),
    (R, "explain analyze create temp table t as select 1"),
    (R, "explain analyze insert into marts.deployments select * from marts.deployments"),
    (R, "explain analyze copy (select 1) to '{out}/z.csv'"),
    (R, "explain create table x as select 1"),
    (R, "with x as (select 1) insert into marts.deployments select * from x"),
]
SMUGGLING = [
    (R, "select 1; drop table marts.deployments"),
    (R, "select 1; copy (select 1) to '{out}/s.csv'"),
    (R, "select 1;; install httpfs"),
    (R, "select 1 /* ; */ ; set threads=8"),
    (R, "select 1 -- comment\n; attach ':memory:' as m"),
    (R, "select 'a;b'; set memory_limit='9GB'"),
    (R, "PIVOT marts.deployments ON status USING count(*); drop table marts.deployments"),
    (R, "PIVOT marts.deployments ON status USING count(*); PIVOT marts.scopes ON kind"),
]
DISGUISES = [
    (R, "/* hello */ DROP TABLE marts.deployments"),
    (R, "-- a comment\nCOPY marts.deployments TO '{out}/c.csv'"),
    (R, "SeLeCt * FrOm ReAd_CsV('/etc/passwd')"),
    (R, "select * from \"read_csv\"('/etc/passwd')"),
    (R, "SELECT * FROM DUCKDB_SETTINGS()"),
    (R, "select * from system.main.duckdb_databases()"),
    (R, 'select * from "duckdb_databases"()'),
    (R, "select CURRENT_SETTING('temp_directory')"),
    (R, "select current_setting/**/('home_directory')"),
    (R, "select current_setting ('home_directory')"),
    (R, "/*x*/ExPlAiN AnAlYzE CrEaTe TeMp TaBlE t AS SELECT 1"),
    (R, "explain (format json) create table x as select 1"),
    (R, "describe select * from duckdb_databases()"),
    (R, "summarize select current_setting('temp_directory')"),
    (R, "with s as (select * from duckdb_settings()) select * from s"),
    (R, "select (select count(*) from duckdb_temporary_files())"),
    (R, "select * from pragma_database_list"),
    (R, "from duckdb_databases"),
    (R, "select * from DuckDB_Settings"),
    (R, "select * from pg_settings"),
    (R, "select * from pg_catalog.pg_settings where name like '%directory%'"),
    (R, "select * from pg_catalog.pg_database"),
    (R, "select * from duckdb_profiling_settings()"),
]
READS = [
    (OK, "select count(*) from marts.deployments"),
    (OK, "PIVOT marts.deployments ON status USING count(*)"),
    (OK, "PIVOT marts.deployments ON status IN ('success', 'failure') USING count(*)"),
    (OK, "UNPIVOT marts.deployments ON deployment_id, sha INTO NAME field VALUE val"),
    (OK, "with p as (pivot marts.deployments on status using count(*)) select * from p"),
    (OK, "FROM marts.deployments SELECT deployment_id"),
    (OK, "FROM marts.deployments"),
    (OK, "WITH d AS (SELECT * FROM marts.deployments) SELECT count(*) FROM d"),
    (OK, "DESCRIBE marts.deployments"),
    (OK, "SUMMARIZE marts.deployments"),
    (OK, "SHOW TABLES"),
    (OK, "SHOW ALL TABLES"),
    (OK, "explain select 1"),
    (OK, "explain analyze select count(*) from marts.deployments"),
    (OK, "pragma table_info('marts.deployments')"),
    (OK, "values (1), (2)"),
    (OK, "select * from duckdb_tables()"),
    (OK, "select current_database()"),
    (OK, "select version()"),
    (OK, "select 'duckdb_settings()' as text"),
    (OK, "select 1 as query"),
    (OK, "/* a comment */ select 1 -- and another"),
    (OK, "PRAGMA database_size"),
    (ANY, "select * from duckdb_functions() limit 5"),
]
CORPUS = FILES + NETWORK + EXTENSIONS + SETTINGS + CATALOG + WRITES + SMUGGLING + DISGUISES + READS

SMALL = SqlLimits(memory_limit_gb=0.5, timeout_s=3.0, max_rows=1000)
MEMORY, TIME = "memory", "time"
RESOURCE_ATTACKS = [
    (MEMORY, "select len(range(100000000))"),
    (ANY, "select len(range(30000000))"),
    (ANY, "select len(list_resize([1], 30000000))"),
    (MEMORY, "select length(repeat('x', 1000000000))"),
    (MEMORY, "select string_agg(repeat('x', 1000), ',') from range(5000000)"),
    (ANY, "select length(string_agg(a.range::varchar, ',')) from range(100000) a, range(1000) b"),
    (
        MEMORY,
        "with recursive r(n, s) as (select 1, 'x' union all select n + 1, s || s from r "
        "where n < 40) select max(length(s)) from r",
    ),
    (ANY, "with recursive r(n) as (select 1 union all select n + 1 from r) select count(*) from r"),
    (TIME, "select count(*) from generate_series(1, 1000000000000)"),
    (MEMORY, "select list(range) from range(100000000)"),
    (MEMORY, "select array_agg(repeat('x', 10000)) from range(1000000)"),
    (ANY, "select repeat('x', 1000000) from range(100000)"),
    (ANY, "select len(list_distinct(range(20000000)))"),
]


# --- helpers -------------------------------------------------------------------------------------


def _leaks(home: Home, attack_folder: Path) -> list[str]:
    """Paths that must never appear in an answer."""
    return [str(home.root), str(REPO_ROOT), sys.prefix, str(attack_folder.parent)]


def _snapshot(*folders: Path) -> set[str]:
    found: set[str] = set()
    for folder in folders:
        if folder.exists():
            found.update(str(p) for p in folder.rglob("*"))
    return found


def _top(folder: Path) -> set[str]:
    return {p.name for p in folder.iterdir()}


def _tmp_attacks() -> set[str]:
    return {p.name for p in Path("/tmp").glob("paved-attack*")}


@pytest.fixture
def no_file_written(in_published_home: Home, attack_folder: Path) -> Iterator[None]:
    """Nothing appears in the home, the attack folder, ~, ~/.duckdb, / or /tmp/paved-attack*."""
    user_home = Path(os.path.expanduser("~"))
    before = (
        _snapshot(in_published_home.root, attack_folder, user_home / ".duckdb"),
        _top(user_home),
        _top(Path("/")),
        _tmp_attacks(),
    )
    yield
    after = (
        _snapshot(in_published_home.root, attack_folder, user_home / ".duckdb"),
        _top(user_home),
        _top(Path("/")),
        _tmp_attacks(),
    )
    assert after == before


def _statement(sql: str, home: Home, attack_folder: Path) -> str:
    return sql.replace("{out}", str(attack_folder)).replace("{home}", str(home.root))


def _is_sentence(text: str) -> bool:
    return bool(text) and "\n" not in text and "Traceback" not in text


def _check_answer(
    expected: str, sql: str, refused: str | None, cells: list[object], leaks: list[str]
) -> list[str]:
    """What is wrong with one answer (empty: nothing)."""
    problems = []
    if expected == R and refused is None:
        problems.append(f"not refused: {sql!r}")
    if expected == OK and refused is not None:
        problems.append(f"refused a read: {sql!r}: {refused}")
    if refused is not None and not _is_sentence(refused):
        problems.append(f"not one sentence: {sql!r}: {refused!r}")
    shown = " ".join([refused or "", *(str(c) for c in cells)])
    # A path the statement itself names may be echoed back; any other is a leak.
    problems += [f"shows {leak}: {sql!r}" for leak in leaks if leak in shown and leak not in sql]
    return problems


# --- the corpus ----------------------------------------------------------------------------------


def test_the_corpus_is_large_and_has_no_duplicates() -> None:
    statements = [sql for _, sql in CORPUS + RESOURCE_ATTACKS]
    assert len(statements) >= 120
    assert len(set(statements)) == len(statements)


def test_through_paved_sql_each_statement_is_refused_with_a_sentence_or_harmless(
    in_published_home: Home, attack_folder: Path, no_file_written: None
) -> None:
    statements = [_statement(sql, in_published_home, attack_folder) for _, sql in CORPUS]
    limits = SqlLimits(memory_limit_gb=1.0, timeout_s=10.0, max_rows=100)
    answers = run_queries(in_published_home.published, statements, limits)
    problems = []
    for (expected, _), statement, answer in zip(CORPUS, statements, answers, strict=True):
        refused = str(answer) if isinstance(answer, QueryRefused) else None
        cells = [] if isinstance(answer, QueryRefused) else [*answer.columns, *answer.rows]
        problems += _check_answer(
            expected, statement, refused, cells, _leaks(in_published_home, attack_folder)
        )
    assert problems == []
    usage = answers[-1].usage
    assert usage is not None and usage.peak_rss_bytes < limits.memory_limit_gb * GB + MARGIN


def test_through_the_dashboard_each_statement_is_refused_with_a_sentence_or_harmless(
    in_published_home: Home, attack_folder: Path, no_file_written: None
) -> None:
    statements = [_statement(sql, in_published_home, attack_folder) for _, sql in CORPUS]
    answers = sql_client.run_many(statements, max_rows=100)
    problems = []
    for (expected, _), statement, answer in zip(CORPUS, statements, answers, strict=True):
        cells = [*answer.frame.columns, *answer.frame.astype(str).to_numpy().ravel().tolist()]
        problems += _check_answer(
            expected, statement, answer.refused, cells, _leaks(in_published_home, attack_folder)
        )
    assert problems == []
    usage = answers[-1].usage
    assert usage is not None and usage.peak_rss_bytes < 1.0 * GB + MARGIN


# --- resource attacks ---------------------------------------------------------------------------


def _within_limits(answer: QueryResult | QueryRefused, limits: SqlLimits) -> None:
    usage = answer.usage
    assert usage is not None
    assert usage.peak_rss_bytes < limits.memory_limit_gb * GB + MARGIN
    assert usage.address_space_limit < limits.memory_limit_gb * GB + MARGIN
    assert usage.elapsed_s < limits.timeout_s + TIME_MARGIN_S


def _expected_sentence(expected: str, refused: str | None) -> None:
    sentences = {
        MEMORY: memory_sentence(SMALL.memory_limit_gb),
        TIME: time_sentence(SMALL.timeout_s),
    }
    if expected in sentences:
        assert refused == sentences[expected]
    elif refused is not None:
        assert refused in sentences.values()


@pytest.mark.parametrize(("expected", "sql"), RESOURCE_ATTACKS)
def test_a_resource_attack_through_paved_sql_stays_within_its_limits(
    in_published_home: Home, no_file_written: None, expected: str, sql: str
) -> None:
    (answer,) = run_queries(in_published_home.published, [sql], SMALL)
    _within_limits(answer, SMALL)
    _expected_sentence(expected, str(answer) if isinstance(answer, QueryRefused) else None)


@pytest.mark.parametrize(("expected", "sql"), RESOURCE_ATTACKS)
def test_a_resource_attack_through_the_dashboard_stays_within_its_limits(
    in_published_home: Home,
    no_file_written: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    expected: str,
    sql: str,
) -> None:
    config = tmp_path / "paved.toml"
    config.write_text(
        f"[sql]\nmemory_limit_gb = {SMALL.memory_limit_gb}\ntimeout_s = {SMALL.timeout_s}\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("PAVED_CONFIG", str(config))
    answer = sql_client.run(sql)
    assert answer.usage is not None
    usage = answer.usage
    assert usage.peak_rss_bytes < SMALL.memory_limit_gb * GB + MARGIN
    assert usage.elapsed_s < SMALL.timeout_s + TIME_MARGIN_S
    _expected_sentence(expected, answer.refused)


# --- the command line ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sql", "says"),
    [
        ("select len(range(100000000))", "the query needed more than 0.5 GB of memory"),
        ("select * from duckdb_databases()", "duckdb_databases() is not allowed"),
        ("copy marts.deployments to '/tmp/paved-attack.csv'", "COPY statements are not allowed"),
    ],
)
def test_paved_sql_answers_an_attack_with_one_sentence_and_exit_2(
    in_published_home: Home,
    no_file_written: None,
    capsys: pytest.CaptureFixture[str],
    sql: str,
    says: str,
) -> None:
    argv = ["sql", "--home", str(in_published_home.root), "--memory-limit-gb", "0.5", sql]
    assert cli.main(argv) == cli.EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert err.startswith("paved sql: ") and says in err
    assert err.count("\n") == 1 and str(in_published_home.root) not in err
