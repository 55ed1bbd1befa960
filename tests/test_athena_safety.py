"""Athena SQL cannot reach the learner's files (issue 12 §2): each attack is refused.

Two walls, each tested on its own:

* the Athena layer: DuckDB's table functions (``read_text``, ``read_csv``, ``glob``...) and its own
  statements (``ATTACH``, ``INSTALL``, ``LOAD``, ``COPY``, ``PRAGMA``, ``SET``, ``EXPORT``) are
  not Athena SQL, and are refused with the error Athena gives for them (a syntax error, or an
  unknown function), before DuckDB sees anything;
* DuckDB itself (``localcloud.engines.athena.runtime.connect``): external access off, files
  readable only under the engine's S3 cache, no extension loading, configuration locked.
"""

from __future__ import annotations

import time

import boto3
import duckdb
import pytest

from helpers import lab

BUCKET = "athena-safety-tests"
OUT = f"s3://{BUCKET}/results/"


@pytest.fixture(scope="module")
def athena():
    lab.start("04")
    boto3.client("s3").create_bucket(Bucket=BUCKET)
    return boto3.client("athena")


def failure(athena, sql: str) -> str:
    qid = athena.start_query_execution(QueryString=sql, ResultConfiguration={"OutputLocation": OUT})["QueryExecutionId"]
    for _ in range(400):
        status = athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]["Status"]
        if status["State"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            assert status["State"] == "FAILED", f"{sql!r} was not refused"
            return status["StateChangeReason"]
        time.sleep(0.05)
    raise AssertionError(f"{sql!r} did not finish")


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT content FROM read_text('/etc/passwd')",
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM read_csv_auto('/etc/passwd')",
        "SELECT * FROM read_parquet('/tmp/x.parquet')",
        "SELECT * FROM read_json('/etc/passwd')",
        "SELECT * FROM read_blob('/etc/passwd')",
        "SELECT * FROM glob('/*')",
        "SELECT * FROM '/etc/passwd'",
    ],
)
def test_table_functions_in_from_are_syntax_errors(athena, sql):
    reason = failure(athena, sql)
    assert reason.startswith("SYNTAX_ERROR:") and "mismatched input" in reason, reason
    assert "root:" not in reason


def test_table_function_invocation_is_not_registered(athena):
    reason = failure(athena, "SELECT * FROM TABLE(read_text('/etc/passwd'))")
    assert reason.startswith("FUNCTION_NOT_FOUND:") and "Table function 'read_text' not registered" in reason


@pytest.mark.parametrize(
    "call", ["read_text('/etc/passwd')", "getenv('HOME')", "current_setting('allowed_directories')", "glob('/')"]
)
def test_duckdb_only_functions_are_not_registered(athena, call):
    name = call.split("(")[0]
    assert failure(athena, f"SELECT {call}").startswith(
        f"FUNCTION_NOT_FOUND: line 1:8: Function '{name}' not registered"
    )


@pytest.mark.parametrize(
    "sql, token",
    [
        ("ATTACH '/tmp/x.db' AS x", "ATTACH"),
        ("INSTALL httpfs", "INSTALL"),
        ("LOAD httpfs", "LOAD"),
        ("COPY (SELECT 1) TO '/tmp/athena-safety.csv'", "COPY"),
        ("PRAGMA enable_profiling", "PRAGMA"),
        ("EXPORT DATABASE '/tmp/athena-safety'", "EXPORT"),
        ("SET enable_external_access = true", "enable_external_access"),
        ("/* a comment first */ ATTACH '/tmp/x.db'", "ATTACH"),
    ],
)
def test_duckdb_statements_are_syntax_errors(athena, sql, token):
    reason = failure(athena, sql)
    assert reason.startswith("SYNTAX_ERROR:") and f"mismatched input '{token}'" in reason, reason


def test_the_legitimate_path_still_works(athena):
    qid = athena.start_query_execution(QueryString="SELECT 1 AS one", ResultConfiguration={"OutputLocation": OUT})[
        "QueryExecutionId"
    ]
    for _ in range(400):
        ex = athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]
        if ex["Status"]["State"] == "SUCCEEDED":
            break
        time.sleep(0.05)
    rows = athena.get_query_results(QueryExecutionId=qid)["ResultSet"]["Rows"]
    assert [d["VarCharValue"] for d in rows[1]["Data"]] == ["1"]


# ---- the second wall: DuckDB as the engine configures it --------------------------------------------


@pytest.fixture
def sandboxed(tmp_path):
    from localcloud.engines.athena import runtime

    cache = tmp_path / "s3cache"
    cache.mkdir()
    (cache / "ok.csv").write_text("a\n1\n")
    con = runtime.connect([cache])
    yield con, cache
    con.close()


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT content FROM read_text('/etc/passwd')",
        "SELECT * FROM read_csv('/etc/passwd')",
        "SELECT * FROM glob('/*')",
        "ATTACH '/tmp/athena-safety.db' AS x",
        "COPY (SELECT 1) TO '/tmp/athena-safety.csv'",
        "INSTALL httpfs",
        "LOAD httpfs",
    ],
)
def test_duckdb_cannot_reach_files_outside_the_cache(sandboxed, sql):
    con, _ = sandboxed
    with pytest.raises(duckdb.Error, match="disabled|Permission"):
        con.execute(sql)


def test_duckdb_traversal_out_of_the_cache_is_refused(sandboxed):
    con, cache = sandboxed
    with pytest.raises(duckdb.Error, match="disabled|Permission"):
        con.execute(f"SELECT * FROM read_csv('{cache}/../../../../etc/passwd')")


def test_duckdb_configuration_is_locked(sandboxed):
    con, _ = sandboxed
    for setting in ("enable_external_access = true", "allowed_directories = ['/']", "lock_configuration = false"):
        with pytest.raises(duckdb.Error, match="locked"):
            con.execute(f"SET {setting}")


def test_duckdb_still_reads_the_cache(sandboxed):
    con, cache = sandboxed
    assert con.execute(f"SELECT a FROM read_csv('{cache}/ok.csv')").fetchall() == [(1,)]
