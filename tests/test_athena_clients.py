"""Well-known Athena clients work end to end against localcloud (issue 14).

* pyathena: the plain DB-API cursor (pyformat and qmark parameters), ``PandasCursor`` (CSV
  results, and ``unload=True``: Parquet through UNLOAD and its data manifest), ``ArrowCursor``,
  and the SQLAlchemy dialect (inspector: schemas, tables, columns; ``pandas.read_sql_table``);
* awswrangler: ``read_sql_query`` with its default ``ctas_approach=True`` (a CTAS table whose
  files it finds through the data manifest), ``unload_approach=True``, ``read_sql_table`` and
  ``repair_table`` (``MSCK REPAIR TABLE `t``` in a backtick-quoted database).

``ArrowCursor`` reads result files with pyarrow's own S3 client, which ignores AWS_ENDPOINT_URL
(apache/arrow#49643) and which pyathena cannot be given (pyathena #485): it cannot reach any S3
but AWS's.  It works on localcloud as it works on AWS with a workgroup that uses managed query
results, where it reads the rows through GetQueryResults; that is what is tested here.
"""

from __future__ import annotations

import datetime as dt
import decimal
import time

import boto3
import pandas as pd
import pytest

from helpers import lab

BUCKET = "athena-client-tests"
OUT = f"s3://{BUCKET}/results/"
DB = "clients_db"


def _run(athena, sql: str, db: str = DB) -> dict:
    qid = athena.start_query_execution(
        QueryString=sql, QueryExecutionContext={"Database": db}, ResultConfiguration={"OutputLocation": OUT}
    )["QueryExecutionId"]
    for _ in range(400):
        ex = athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]
        if ex["Status"]["State"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
            assert ex["Status"]["State"] == "SUCCEEDED", ex["Status"].get("StateChangeReason")
            return ex
        time.sleep(0.05)
    raise AssertionError(f"{sql} did not finish")


@pytest.fixture(scope="module")
def env():
    target = lab.start("04")
    s3, athena = boto3.client("s3"), boto3.client("athena")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(
        Bucket=BUCKET, Key="data/people/p.csv", Body=b"1,alice,eng,100\n2,bob,eng,80\n3,carol,ops,90\n4,dave,ops,\\N\n"
    )
    for year, rows in (("2023", b"a,1\n"), ("2024", b"b,2\nc,3\n")):
        s3.put_object(Bucket=BUCKET, Key=f"data/events/year={year}/part.csv", Body=rows)
    _run(athena, f"CREATE DATABASE IF NOT EXISTS {DB}", "default")
    _run(
        athena,
        "CREATE EXTERNAL TABLE IF NOT EXISTS people (id int, name string, dept string, salary int) "
        f"ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' LOCATION 's3://{BUCKET}/data/people/'",
    )
    _run(
        athena,
        "CREATE EXTERNAL TABLE IF NOT EXISTS events (k string, v int) PARTITIONED BY (year string) "
        f"ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' LOCATION 's3://{BUCKET}/data/events/'",
    )
    return {"region": target.region, "athena": athena, "s3": s3}


def _connect(env, **kwargs):
    from pyathena import connect

    kwargs.setdefault("s3_staging_dir", OUT)
    return connect(region_name=env["region"], schema_name=DB, **kwargs)


# ---- pyathena ----------------------------------------------------------------------------------------


def test_pyathena_cursor_types_and_rows(env):
    cur = _connect(env).cursor()
    cur.execute("SELECT id, name, salary, 7 / 2 AS q, DATE '2024-01-02' AS d, 1.5 AS x FROM people ORDER BY id")
    assert [(d[0], d[1]) for d in cur.description] == [
        ("id", "integer"),
        ("name", "varchar"),
        ("salary", "integer"),
        ("q", "integer"),
        ("d", "date"),
        ("x", "decimal"),
    ]
    rows = cur.fetchall()
    assert rows[0] == (1, "alice", 100, 3, dt.date(2024, 1, 2), decimal.Decimal("1.5"))
    assert rows[3][2] is None and len(rows) == 4


def test_pyathena_parameters_pyformat_and_qmark(env):
    cur = _connect(env).cursor()
    cur.execute("SELECT name FROM people WHERE id = %(id)s", {"id": 2})
    assert cur.fetchall() == [("bob",)]
    # qmark: each value travels as one ExecutionParameter (a SQL literal's text), never as SQL
    cur.execute("SELECT name FROM people WHERE id = ? AND dept = ?", ["3", "'ops'"], paramstyle="qmark")
    assert cur.fetchall() == [("carol",)]
    cur.execute("SELECT count(*) FROM people WHERE name = ?", ["'alice'' OR ''1''=''1'"], paramstyle="qmark")
    assert cur.fetchall() == [(0,)]


def test_pyathena_pandas_cursor(env):
    from pyathena.pandas.cursor import PandasCursor

    df = _connect(env).cursor(PandasCursor).execute("SELECT id, name, salary FROM people ORDER BY id").as_pandas()
    assert df["name"].tolist() == ["alice", "bob", "carol", "dave"]
    assert str(df["id"].dtype) == "Int64" and pd.isna(df["salary"].iloc[3])


def test_pyathena_pandas_cursor_unload(env):
    from pyathena.pandas.cursor import PandasCursor

    cur = _connect(env).cursor(PandasCursor, unload=True)
    df = cur.execute("SELECT id, name FROM people WHERE id <= 2 ORDER BY id").as_pandas()
    assert sorted(df["name"].tolist()) == ["alice", "bob"]


def test_pyathena_arrow_cursor_with_managed_query_results(env):
    from pyathena.arrow.cursor import ArrowCursor

    env["athena"].create_work_group(
        Name="clients_managed", Configuration={"ManagedQueryResultsConfiguration": {"Enabled": True}}
    )
    conn = _connect(env, s3_staging_dir=None, work_group="clients_managed")
    table = conn.cursor(ArrowCursor).execute("SELECT id, name FROM people ORDER BY id").as_arrow()
    assert table.column("name").to_pylist() == ["alice", "bob", "carol", "dave"]
    assert table.column("id").to_pylist() == [1, 2, 3, 4]


def test_sqlalchemy_inspector_and_read_sql_table(env):
    import sqlalchemy as sa

    engine = sa.create_engine(f"awsathena+rest://:@athena.{env['region']}.amazonaws.com:443/{DB}?s3_staging_dir={OUT}")
    insp = sa.inspect(engine)
    assert DB in insp.get_schema_names()
    assert {"people", "events"} <= set(insp.get_table_names(schema=DB))
    cols = insp.get_columns("people", schema=DB)
    assert [(c["name"], type(c["type"]).__name__) for c in cols] == [
        ("id", "INTEGER"),
        ("name", "String"),
        ("dept", "String"),
        ("salary", "INTEGER"),
    ]
    assert insp.has_table("people", schema=DB) and not insp.has_table("nope", schema=DB)
    df = pd.read_sql_table("people", engine, schema=DB)
    assert sorted(df["name"]) == ["alice", "bob", "carol", "dave"]
    q = pd.read_sql_query("SELECT dept, count(*) AS n FROM people GROUP BY dept ORDER BY dept", engine)
    assert q.values.tolist() == [["eng", 2], ["ops", 2]]


# ---- awswrangler ----------------------------------------------------------------------------------------


def test_awswrangler_ctas_approach_is_the_default(env):
    import awswrangler as wr

    df = wr.athena.read_sql_query("SELECT id, name, salary FROM people ORDER BY id", database=DB, s3_output=OUT)
    assert df.values.tolist()[:2] == [[1, "alice", 100], [2, "bob", 80]] and len(df) == 4
    assert pd.isna(df["salary"].iloc[3])
    empty = wr.athena.read_sql_query("SELECT id, name FROM people WHERE id > 100", database=DB, s3_output=OUT)
    assert empty.empty and list(empty.columns) == ["id", "name"]


def test_awswrangler_unload_approach(env):
    import awswrangler as wr

    df = wr.athena.read_sql_query(
        "SELECT id, name FROM people WHERE dept = 'ops'",
        database=DB,
        ctas_approach=False,
        unload_approach=True,
        s3_output=f"s3://{BUCKET}/unload/ops/",
    )
    assert sorted(df["name"].tolist()) == ["carol", "dave"]


def test_awswrangler_read_sql_table(env):
    import awswrangler as wr

    df = wr.athena.read_sql_table("people", database=DB, s3_output=OUT)
    assert sorted(df["id"].tolist()) == [1, 2, 3, 4]


def test_awswrangler_repair_table(env):
    import awswrangler as wr

    assert wr.athena.repair_table("events", database=DB, s3_output=OUT) == "SUCCEEDED"
    df = wr.athena.read_sql_query(
        "SELECT year, count(*) AS n FROM events GROUP BY year ORDER BY year",
        database=DB,
        ctas_approach=False,
        s3_output=OUT,
    )
    assert df.values.tolist() == [["2023", 1], ["2024", 2]]
